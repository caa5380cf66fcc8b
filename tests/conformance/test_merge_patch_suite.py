"""RFC 7396 Appendix A: the 15 JSON Merge Patch examples against apply_merge_patch."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from offer_catalog.patch import apply_merge_patch
from support.shared import shared_dir

DATA = shared_dir(module_level=True) / "conformance" / "json-patch"
CASES: list[dict[str, Any]] = json.loads((DATA / "merge_patch_rfc7396_tests.json").read_text("utf-8"))


def canonical(value: Any) -> str:
    """Canonical JSON text: equal iff the values are equal as JSON with their exact types."""
    return json.dumps(value, sort_keys=True)


def test_all_fifteen_examples_present() -> None:
    """RFC 7396 Appendix A has 15 examples."""
    assert len(CASES) == 15


@pytest.mark.parametrize("case", CASES, ids=[f"A-{i + 1}" for i in range(len(CASES))])
def test_example(case: dict[str, Any]) -> None:
    """The merge gives the RFC's result and leaves the document and the patch as they were."""
    doc_before = copy.deepcopy(case["doc"])
    patch_before = copy.deepcopy(case["patch"])
    result = apply_merge_patch(case["doc"], case["patch"])
    assert canonical(result) == canonical(case["result"])
    assert canonical(case["doc"]) == canonical(doc_before)
    assert canonical(case["patch"]) == canonical(patch_before)
