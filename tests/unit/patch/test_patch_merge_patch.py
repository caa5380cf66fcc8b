"""JSON Merge Patch: RFC 7396 semantics, copy-on-write sharing, no aliasing with the patch."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offer_catalog.patch import apply_merge_patch


def doc_factory() -> dict[str, Any]:
    return {"name": "offer", "price": {"unit": "EUR", "value": 10}, "tags": ["a"], "keep": {"x": [1]}}


def test_members_merge_recursively_and_null_deletes() -> None:
    result = apply_merge_patch(doc_factory(), {"price": {"value": 12, "unit": None}, "name": None, "new": 1})
    assert result == {"price": {"value": 12}, "tags": ["a"], "keep": {"x": [1]}, "new": 1}


def test_deleting_an_absent_member_is_fine() -> None:
    assert apply_merge_patch({"a": 1}, {"b": None}) == {"a": 1}


def test_arrays_replace_whole_and_keep_their_nulls() -> None:
    result = apply_merge_patch(doc_factory(), {"tags": [None, {"a": None}]})
    assert result["tags"] == [None, {"a": None}]


def test_object_patch_on_scalar_member_builds_an_object_without_nulls() -> None:
    result = apply_merge_patch({"a": "text"}, {"a": {"b": {"c": None, "d": 1}}})
    assert result == {"a": {"b": {"d": 1}}}


@pytest.mark.parametrize("patch", [["x"], "text", 3, True, None])
def test_non_object_patch_replaces_the_document(patch: Any) -> None:
    assert apply_merge_patch(doc_factory(), patch) == patch


def test_non_object_document_is_replaced_by_an_object() -> None:
    assert apply_merge_patch(["a"], {"b": 1, "c": None}) == {"b": 1}
    assert apply_merge_patch(None, {"b": {"c": 1}}) == {"b": {"c": 1}}


def test_input_is_not_mutated_and_untouched_members_are_shared() -> None:
    doc = doc_factory()
    patch = {"price": {"value": 11}}
    patch_before = copy.deepcopy(patch)
    result = apply_merge_patch(doc, patch)
    assert doc == doc_factory()
    assert patch == patch_before
    assert result is not doc
    assert result["price"] is not doc["price"]
    assert result["keep"] is doc["keep"]
    assert result["tags"] is doc["tags"]


def test_empty_patch_returns_a_new_top_level_object() -> None:
    doc = doc_factory()
    result = apply_merge_patch(doc, {})
    assert result == doc
    assert result is not doc


def test_result_does_not_alias_patch_values() -> None:
    patch = {"list": [{"a": 1}], "obj": {"inner": {"k": [1]}}}
    result = apply_merge_patch({}, patch)
    assert result["list"] is not patch["list"]
    assert result["list"][0] is not patch["list"][0]
    assert result["obj"]["inner"] is not patch["obj"]["inner"]
    result["obj"]["inner"]["k"].append(2)
    result["list"][0]["a"] = 2
    assert patch == {"list": [{"a": 1}], "obj": {"inner": {"k": [1]}}}
    whole = [{"a": 1}]
    replaced = apply_merge_patch({}, whole)
    assert replaced == whole
    assert replaced is not whole
    assert replaced[0] is not whole[0]
