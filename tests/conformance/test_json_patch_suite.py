"""The json-patch-tests community suite (tests.json, spec_tests.json) against the patch engine.

Every record runs, the disabled ones included:
* records with ``expected`` must produce it (compared as canonical JSON, so true != 1);
* records with ``error`` must raise a PatchError; records with neither must not raise;
* the two disabled "duplicate op" records hold an object with a repeated ``op`` member, which a plain
  JSON parse silently collapses: they run as raw JSON text through ``parse_json``, which must reject it;
* the other two disabled records (scalar document, test on the whole document) are supported and run
  like any other.
Each record runs three ways: a plain list, a compiled Plan, and through the JSON Patch Query engine
(whose plain pointers must behave exactly like JSON Patch).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from offer_catalog.patch import (
    InvalidJson,
    PatchError,
    apply_json_patch,
    apply_patch_query,
    compile_json_patch,
    parse_json,
)
from support.shared import shared_dir

DATA = shared_dir(module_level=True) / "conformance" / "json-patch"
FILES = ("tests.json", "spec_tests.json")


class DuplicatePairs(list[tuple[str, Any]]):
    """An object whose member names repeat, kept as its pairs so it can be written back verbatim."""


def _pairs_hook(pairs: list[tuple[str, Any]]) -> Any:
    if len({key for key, _ in pairs}) != len(pairs):
        return DuplicatePairs(pairs)
    return dict(pairs)


def _load(name: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(
        (DATA / name).read_text("utf-8"), object_pairs_hook=_pairs_hook
    )
    return records


RECORDS = [(name, index, record) for name in FILES for index, record in enumerate(_load(name))]


def _has_duplicates(value: Any) -> bool:
    if isinstance(value, DuplicatePairs):
        return True
    if isinstance(value, dict):
        return any(_has_duplicates(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_duplicates(v) for v in value)
    return False


def _to_text(value: Any) -> str:
    """Serialise back to JSON text, writing repeated member names as they were."""
    if isinstance(value, DuplicatePairs):
        return "{" + ",".join(f"{json.dumps(k)}:{_to_text(v)}" for k, v in value) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_to_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_to_text(v) for v in value) + "]"
    return json.dumps(value)


def canonical(value: Any) -> str:
    """Canonical JSON text: equal iff the values are equal as JSON with their exact types."""
    return json.dumps(value, sort_keys=True)


def _id(record: tuple[str, int, dict[str, Any]]) -> str:
    name, index, body = record
    comment = str(body.get("comment", "")).replace(" ", "_")[:40]
    return f"{name.removesuffix('.json')}-{index}-{comment}"


def _via_list(doc: Any, patch: Any) -> Any:
    return apply_json_patch(doc, patch)


def _via_plan(doc: Any, patch: Any) -> Any:
    return apply_json_patch(doc, compile_json_patch(patch))


def _via_query(doc: Any, patch: Any) -> Any:
    return apply_patch_query(doc, patch)


ENGINES = {"list": _via_list, "plan": _via_plan, "query": _via_query}


def test_suite_size() -> None:
    """Guard against a silently truncated copy: 112 records, 4 disabled, 108 runnable (see PROVENANCE.md)."""
    assert len(RECORDS) == 112
    assert sum(1 for _, _, r in RECORDS if r.get("disabled")) == 4
    assert sum(1 for _, _, r in RECORDS if _has_duplicates(r["patch"])) == 2


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("record", RECORDS, ids=_id)
def test_record(record: tuple[str, int, dict[str, Any]], engine: str) -> None:
    """Run one suite record through one engine."""
    _, _, body = record
    apply = ENGINES[engine]
    if _has_duplicates(body["patch"]):
        assert "error" in body
        with pytest.raises(InvalidJson) as caught:
            parse_json(_to_text(body["patch"]).encode("utf-8"))
        assert caught.value.code == "invalid_json"
        return
    doc_before = copy.deepcopy(body["doc"])
    patch_before = copy.deepcopy(body["patch"])
    if "error" in body:
        with pytest.raises(PatchError):
            apply(body["doc"], body["patch"])
    else:
        result = apply(body["doc"], body["patch"])
        if "expected" in body:
            assert canonical(result) == canonical(body["expected"])
    # Neither the document nor the patch may be touched, whatever the outcome.
    assert canonical(body["doc"]) == canonical(doc_before)
    assert canonical(body["patch"]) == canonical(patch_before)
