"""JSON Patch: the six operations, validation errors, atomicity, copy-on-write and aliasing."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from offer_catalog.patch import (
    InvalidPointer,
    MalformedPatch,
    PatchConflict,
    PatchError,
    PathNotFound,
    Plan,
    TestFailed,
    apply_json_patch,
    compile_json_patch,
)
from offer_catalog.patch._apply import Applier, Operation, run


def doc_factory() -> dict[str, Any]:
    return {
        "name": "offer",
        "tags": ["a", "b", "c"],
        "price": {"unit": "EUR", "value": 10, "tax": {"rate": 20}},
        "untouched": {"deep": {"list": [1, 2, {"x": 1}]}},
        "n": 1,
    }


def apply(doc: Any, *ops: dict[str, Any]) -> Any:
    return apply_json_patch(doc, list(ops))


# --- the six operations -------------------------------------------------------------------------


def test_add_member_and_replace_existing_member() -> None:
    doc = doc_factory()
    result = apply(doc, {"op": "add", "path": "/new", "value": 1}, {"op": "add", "path": "/n", "value": 2})
    assert result["new"] == 1
    assert result["n"] == 2


def test_add_into_array_inserts() -> None:
    result = apply(doc_factory(), {"op": "add", "path": "/tags/1", "value": "x"})
    assert result["tags"] == ["a", "x", "b", "c"]


def test_add_at_length_and_dash_append() -> None:
    result = apply(
        doc_factory(),
        {"op": "add", "path": "/tags/3", "value": "d"},
        {"op": "add", "path": "/tags/-", "value": "e"},
    )
    assert result["tags"] == ["a", "b", "c", "d", "e"]


def test_add_past_end_is_path_not_found() -> None:
    with pytest.raises(PathNotFound) as caught:
        apply(doc_factory(), {"op": "add", "path": "/tags/4", "value": "d"})
    assert caught.value.code == "path_not_found"
    assert caught.value.path == "/tags/4"


def test_dash_is_a_plain_key_in_objects() -> None:
    result = apply(doc_factory(), {"op": "add", "path": "/price/-", "value": 1})
    assert result["price"]["-"] == 1


def test_add_root_replaces_document() -> None:
    assert apply(doc_factory(), {"op": "add", "path": "", "value": [1]}) == [1]


def test_add_with_missing_parent() -> None:
    with pytest.raises(PathNotFound, match="no member 'missing'"):
        apply(doc_factory(), {"op": "add", "path": "/missing/x", "value": 1})


def test_remove_member_and_element() -> None:
    result = apply(doc_factory(), {"op": "remove", "path": "/price/tax"}, {"op": "remove", "path": "/tags/0"})
    assert "tax" not in result["price"]
    assert result["tags"] == ["b", "c"]


@pytest.mark.parametrize("path", ["/missing", "/price/missing", "/tags/3", "/tags/-", "/tags/01"])
def test_remove_missing(path: str) -> None:
    with pytest.raises(PathNotFound):
        apply(doc_factory(), {"op": "remove", "path": path})


def test_remove_root_is_a_conflict() -> None:
    with pytest.raises(PatchConflict, match="whole document"):
        apply(doc_factory(), {"op": "remove", "path": ""})


def test_replace_member_element_and_root() -> None:
    result = apply(
        doc_factory(),
        {"op": "replace", "path": "/price/value", "value": 12.5},
        {"op": "replace", "path": "/tags/2", "value": "z"},
    )
    assert result["price"]["value"] == 12.5
    assert result["tags"] == ["a", "b", "z"]
    assert apply(doc_factory(), {"op": "replace", "path": "", "value": "scalar"}) == "scalar"


@pytest.mark.parametrize("path", ["/missing", "/price/missing", "/tags/3", "/tags/-"])
def test_replace_missing(path: str) -> None:
    with pytest.raises(PathNotFound):
        apply(doc_factory(), {"op": "replace", "path": path, "value": 1})


def test_move_member() -> None:
    result = apply(doc_factory(), {"op": "move", "from": "/price/tax", "path": "/tax"})
    assert result["tax"] == {"rate": 20}
    assert "tax" not in result["price"]


def test_move_array_element_then_path_is_read_after_removal() -> None:
    result = apply(doc_factory(), {"op": "move", "from": "/tags/0", "path": "/tags/2"})
    assert result["tags"] == ["b", "c", "a"]


def test_move_to_same_location_is_a_no_op_but_source_must_exist() -> None:
    doc = doc_factory()
    assert apply(doc, {"op": "move", "from": "/price", "path": "/price"}) == doc
    with pytest.raises(PathNotFound) as caught:
        apply(doc, {"op": "move", "from": "/nope", "path": "/nope"})
    assert caught.value.member == "from"


def test_move_into_own_child_is_a_conflict() -> None:
    with pytest.raises(PatchConflict, match="own children") as caught:
        apply(doc_factory(), {"op": "move", "from": "/price", "path": "/price/tax/inner"})
    assert caught.value.code == "conflict"
    assert caught.value.op_index == 0
    with pytest.raises(PatchConflict):
        apply(doc_factory(), {"op": "move", "from": "", "path": "/x"})


def test_move_to_sibling_with_common_string_prefix_is_legal() -> None:
    # "/ab" is a string prefix of "/abc" but not a token prefix.
    result = apply({"ab": 1}, {"op": "move", "from": "/ab", "path": "/abc"})
    assert result == {"abc": 1}


def test_move_errors_name_the_from_member() -> None:
    with pytest.raises(PathNotFound) as caught:
        apply(
            doc_factory(),
            {"op": "add", "path": "/x", "value": 1},
            {"op": "move", "from": "/zz", "path": "/y"},
        )
    err = caught.value
    assert (err.op_index, err.op, err.path, err.member) == (1, "move", "/zz", "from")


def test_move_to_a_bad_target_names_the_path_member() -> None:
    with pytest.raises(PathNotFound) as caught:
        apply(doc_factory(), {"op": "move", "from": "/n", "path": "/missing/x"})
    assert (caught.value.path, caught.value.member) == ("/missing/x", "path")


def test_copy() -> None:
    result = apply(doc_factory(), {"op": "copy", "from": "/price", "path": "/price2"})
    assert result["price2"] == result["price"]


def test_copy_errors_name_the_from_member() -> None:
    with pytest.raises(PathNotFound) as caught:
        apply(doc_factory(), {"op": "copy", "from": "/tags/9", "path": "/y"})
    assert (caught.value.path, caught.value.member) == ("/tags/9", "from")


def test_copy_is_not_aliased_to_its_source() -> None:
    doc = doc_factory()
    result = apply(
        doc,
        {"op": "replace", "path": "/price/value", "value": 11},  # price is now a copy owned by this apply
        {"op": "copy", "from": "/price", "path": "/price2"},
        {"op": "replace", "path": "/price2/tax/rate", "value": 5},
        {"op": "add", "path": "/price/unit", "value": "USD"},
    )
    assert result["price"] == {"unit": "USD", "value": 11, "tax": {"rate": 20}}
    assert result["price2"] == {"unit": "EUR", "value": 11, "tax": {"rate": 5}}
    assert result["price2"] is not result["price"]
    assert result["price2"]["tax"] is not result["price"]["tax"]
    assert doc == doc_factory()


def test_copy_of_untouched_value_is_a_distinct_object() -> None:
    doc = doc_factory()
    result = apply(doc, {"op": "copy", "from": "/untouched", "path": "/again"})
    assert result["again"] == doc["untouched"]
    assert result["again"] is not doc["untouched"]
    assert result["again"]["deep"] is not doc["untouched"]["deep"]


@pytest.mark.parametrize(
    ("actual", "expected", "passes"),
    [
        (1, 1.0, True),
        (1.0, 1, True),
        (1, True, False),
        (True, 1, False),
        (0, False, False),
        (False, 0, False),
        (None, False, False),
        (None, None, True),
        ("1", 1, False),
        ([1, {"a": 2}], [1.0, {"a": 2.0}], True),
        ([1], [True], False),
        ({"a": 0}, {"a": False}, False),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
        ({"a": 1}, {"a": 1, "b": None}, False),
        ({"a": 1}, {"b": 1}, False),
        ([1, 2], [2, 1], False),
        ([1, 2], [1, 2, 3], False),
        ({"a": []}, {"a": {}}, False),
        ("x", "x", True),
    ],
)
def test_test_uses_json_equality(actual: Any, expected: Any, passes: bool) -> None:
    patch = [{"op": "test", "path": "/v", "value": expected}]
    if passes:
        assert apply_json_patch({"v": actual}, patch) == {"v": actual}
    else:
        with pytest.raises(TestFailed) as caught:
            apply_json_patch({"v": actual}, patch)
        assert caught.value.code == "test_failed"


def test_test_failure_message_is_short() -> None:
    with pytest.raises(TestFailed) as caught:
        apply({"v": "x" * 200}, {"op": "test", "path": "/v", "value": {"a": 1}})
    assert "expected object" in str(caught.value)
    assert len(str(caught.value)) < 200


def test_test_missing_path() -> None:
    with pytest.raises(PathNotFound):
        apply(doc_factory(), {"op": "test", "path": "/missing", "value": 1})


def test_descending_into_a_scalar_is_a_conflict() -> None:
    for op in (
        {"op": "add", "path": "/name/x", "value": 1},
        {"op": "remove", "path": "/n/x"},
        {"op": "replace", "path": "/price/unit/x", "value": 1},
        {"op": "add", "path": "/name/x/y", "value": 1},
        {"op": "test", "path": "/n/0", "value": 1},
    ):
        with pytest.raises(PatchConflict) as caught:
            apply(doc_factory(), op)
        assert caught.value.code == "conflict"


def test_patching_inside_a_scalar_document_is_a_conflict() -> None:
    with pytest.raises(PatchConflict, match="document root"):
        apply("text", {"op": "add", "path": "/x", "value": 1})


def test_nested_arrays_and_objects() -> None:
    result = apply(
        doc_factory(),
        {"op": "add", "path": "/untouched/deep/list/2/y", "value": [1, [2]]},
        {"op": "add", "path": "/untouched/deep/list/2/y/1/-", "value": 3},
    )
    assert result["untouched"]["deep"]["list"][2] == {"x": 1, "y": [1, [2, 3]]}


def test_unknown_members_of_an_operation_are_ignored() -> None:
    assert apply({}, {"op": "add", "path": "/a", "value": 1, "extra": True}) == {"a": 1}


def test_null_value_is_a_value() -> None:
    assert apply({}, {"op": "add", "path": "/a", "value": None}) == {"a": None}


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("patch", [{}, "[]", None, 1, {"op": "add"}])
def test_patch_must_be_an_array(patch: Any) -> None:
    with pytest.raises(MalformedPatch) as caught:
        apply_json_patch({}, patch)
    assert caught.value.code == "malformed_patch"
    assert caught.value.op_index is None


@pytest.mark.parametrize(
    ("operation", "member", "fragment"),
    [
        ("add", None, "must be an object, not a string"),
        (["op"], None, "not a array"),
        ({"path": "/a", "value": 1}, "op", "missing member 'op'"),
        ({"op": "spam", "path": "/a"}, "op", "unknown op 'spam'"),
        ({"op": 1, "path": "/a"}, "op", "unknown op 1"),
        ({"op": "ADD", "path": "/a", "value": 1}, "op", "unknown op"),
        ({"op": "add", "value": 1}, "path", "missing member 'path'"),
        ({"op": "remove", "path": None}, "path", "must be a string, not a null"),
        ({"op": "remove", "path": ["/a"]}, "path", "must be a string, not a array"),
        ({"op": "add", "path": "/a"}, "value", "missing member 'value' (required by 'add')"),
        ({"op": "replace", "path": "/a"}, "value", "missing member 'value'"),
        ({"op": "test", "path": "/a"}, "value", "missing member 'value'"),
        ({"op": "move", "path": "/a"}, "from", "missing member 'from' (required by 'move')"),
        ({"op": "copy", "path": "/a", "from": 3}, "from", "must be a string, not a number"),
    ],
)
def test_malformed_operation(operation: Any, member: str | None, fragment: str) -> None:
    patch = [{"op": "test", "path": "", "value": {}}, operation]
    with pytest.raises(MalformedPatch) as caught:
        apply_json_patch({}, patch)
    err = caught.value
    assert err.op_index == 1
    assert err.member == member
    assert fragment in err.reason
    assert str(err).startswith("operation 1")


@pytest.mark.parametrize(("member", "pointer"), [("path", "a"), ("path", "/~2"), ("from", "/x~")])
def test_invalid_pointer_in_an_operation(member: str, pointer: str) -> None:
    operation = {"op": "copy", "path": "/ok", "from": "/ok"} | {member: pointer}
    with pytest.raises(InvalidPointer) as caught:
        apply_json_patch({"ok": 1}, [operation])
    err = caught.value
    assert (err.code, err.op_index, err.op, err.path, err.member) == (
        "invalid_pointer",
        0,
        "copy",
        pointer,
        member,
    )


def test_validation_happens_before_any_operation_runs() -> None:
    # Op 0 would fail at apply time, but the malformed op 1 is reported: the patch is not valid at all.
    with pytest.raises(MalformedPatch):
        apply_json_patch({}, [{"op": "remove", "path": "/missing"}, {"op": "bogus"}])


def test_error_reports_the_failing_operation_index() -> None:
    patch = [
        {"op": "add", "path": "/a", "value": 1},
        {"op": "test", "path": "/a", "value": 1},
        {"op": "replace", "path": "/b", "value": 2},
    ]
    with pytest.raises(PathNotFound) as caught:
        apply_json_patch({}, patch)
    err = caught.value
    assert (err.op_index, err.op, err.path, err.member) == (2, "replace", "/b", "path")
    assert str(err) == "operation 2 (replace), path '/b': no member 'b' at the document root"


# --- atomicity, immutability, sharing, aliasing --------------------------------------------------


def test_failure_leaves_the_input_untouched() -> None:
    doc = doc_factory()
    patch = [
        {"op": "replace", "path": "/price/value", "value": 99},
        {"op": "remove", "path": "/tags/0"},
        {"op": "add", "path": "/untouched/deep/list/-", "value": 4},
        {"op": "test", "path": "/name", "value": "other"},
    ]
    with pytest.raises(TestFailed) as caught:
        apply_json_patch(doc, patch)
    assert caught.value.op_index == 3
    assert doc == doc_factory()


def test_success_leaves_the_input_untouched() -> None:
    doc = doc_factory()
    apply(
        doc,
        {"op": "replace", "path": "/price/tax/rate", "value": 7},
        {"op": "remove", "path": "/tags/1"},
        {"op": "move", "from": "/untouched/deep/list/2", "path": "/moved"},
        {"op": "add", "path": "/moved/z", "value": 1},
    )
    assert doc == doc_factory()


def test_untouched_subtrees_are_shared() -> None:
    doc = doc_factory()
    result = apply(doc, {"op": "replace", "path": "/price/tax/rate", "value": 7})
    assert result["untouched"] is doc["untouched"]
    assert result["tags"] is doc["tags"]
    assert result is not doc
    assert result["price"] is not doc["price"]
    assert result["price"]["tax"] is not doc["price"]["tax"]


def test_moved_value_keeps_its_subtree_shared() -> None:
    doc = doc_factory()
    result = apply(doc, {"op": "move", "from": "/untouched/deep", "path": "/deep"})
    assert result["deep"] is doc["untouched"]["deep"]
    assert doc == doc_factory()


def test_top_level_container_is_always_new() -> None:
    doc = doc_factory()
    for patch in ([], [{"op": "test", "path": "/n", "value": 1}]):
        result = apply_json_patch(doc, patch)
        assert result == doc
        assert result is not doc
        assert result["price"] is doc["price"]
    moved = apply_json_patch(doc, [{"op": "move", "from": "/price", "path": ""}])
    assert moved == doc["price"]
    assert moved is not doc["price"]
    assert apply_json_patch("scalar", []) == "scalar"


def test_result_does_not_alias_patch_values() -> None:
    value = {"nested": {"list": [1, 2]}}
    patch = [
        {"op": "add", "path": "/a", "value": value},
        {"op": "replace", "path": "/n", "value": [value]},
        {"op": "add", "path": "", "value": {"root": value}},
        {"op": "add", "path": "/b", "value": value},
    ]
    patch_before = copy.deepcopy(patch)
    result = apply_json_patch(doc_factory(), patch)
    assert result["b"] == value
    assert result["b"] is not value
    result["b"]["nested"]["list"].append(3)
    result["root"]["nested"]["x"] = 1
    assert patch == patch_before
    value["nested"]["list"].append(99)
    assert result["b"]["nested"]["list"] == [1, 2, 3]


def test_repeated_operations_on_one_path_copy_each_container_once() -> None:
    doc = doc_factory()
    applier = Applier(doc)
    plan = compile_json_patch(
        [
            {"op": "replace", "path": "/price/tax/rate", "value": 1},
            {"op": "add", "path": "/price/tax/kind", "value": "vat"},
            {"op": "remove", "path": "/price/unit"},
        ]
    )
    for operation in plan:
        run(applier, operation)
    # The root, /price and /price/tax: three copies for three operations on the same path.
    assert len(applier.owned) == 3
    result = applier.result()
    assert result["price"] == {"value": 10, "tax": {"rate": 1, "kind": "vat"}}
    assert doc == doc_factory()


# --- compiled plans -------------------------------------------------------------------------------


def test_plan_is_reusable_and_immutable() -> None:
    patch = [{"op": "add", "path": "/tags/-", "value": {"k": "v"}}, {"op": "remove", "path": "/n"}]
    plan = compile_json_patch(patch)
    assert isinstance(plan, Plan)
    assert len(plan) == 2
    assert [operation.op for operation in plan] == ["add", "remove"]
    assert plan.operations[0].tokens == ("tags", "-")
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.operations = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        plan.operations[0].op = "x"  # type: ignore[misc]
    first = apply_json_patch(doc_factory(), plan)
    second = apply_json_patch(doc_factory(), plan)
    assert first == second
    assert first["tags"][-1] is not second["tags"][-1]


def test_plan_keeps_its_own_copy_of_values() -> None:
    patch = [{"op": "add", "path": "/v", "value": {"k": [1]}}]
    plan = compile_json_patch(patch)
    patch[0]["value"]["k"].append(2)  # type: ignore[index]
    assert apply_json_patch({}, plan) == {"v": {"k": [1]}}


def test_compile_reports_errors_at_compile_time() -> None:
    with pytest.raises(MalformedPatch):
        compile_json_patch([{"op": "add", "path": "/a"}])


def test_run_tags_errors_with_operation_context() -> None:
    applier = Applier({})
    with pytest.raises(PatchError) as caught:
        run(applier, Operation(7, "remove", "/x", ("x",)))
    assert (caught.value.op_index, caught.value.op, caught.value.path) == (7, "remove", "/x")
