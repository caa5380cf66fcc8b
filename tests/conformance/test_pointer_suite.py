"""RFC 6901 vectors (sections 5 and 6, plus derived error and escape cases) against resolve_pointer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offer_catalog.patch import PatchError, resolve_pointer
from support.shared import shared_dir

DATA = shared_dir(module_level=True) / "conformance" / "json-patch"
SUITE: dict[str, Any] = json.loads((DATA / "pointer_rfc6901_tests.json").read_text("utf-8"))
VECTORS: list[dict[str, Any]] = SUITE["tests"]


def test_vector_count() -> None:
    """12 section 5 vectors, 12 section 6 vectors, 13 derived ones."""
    prefixes = [vector["id"].split("-")[0] for vector in VECTORS]
    assert (prefixes.count("s5"), prefixes.count("s6"), prefixes.count("d")) == (12, 12, 13)


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["id"] for vector in VECTORS])
def test_vector(vector: dict[str, Any]) -> None:
    """Each pointer resolves to its expected value, or raises a PatchError for the error vectors."""
    doc = SUITE["docs"][vector["doc"]]
    if "error" in vector:
        with pytest.raises(PatchError) as caught:
            resolve_pointer(doc, vector["pointer"])
        assert caught.value.path == vector["pointer"]
    else:
        assert json.dumps(resolve_pointer(doc, vector["pointer"]), sort_keys=True) == json.dumps(
            vector["expected"], sort_keys=True
        )
