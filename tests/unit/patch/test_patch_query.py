"""JSON Patch Query: grammar, selection by member values, multi-match semantics, errors."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offer_catalog.patch import (
    InvalidPointer,
    MalformedPatch,
    PatchConflict,
    PathNotFound,
    QueryNoMatch,
    QueryPlan,
    TestFailed,
    apply_json_patch,
    apply_patch_query,
    compile_patch_query,
)
from offer_catalog.patch.patch_query import Condition, Query, parse_query_path


def offering() -> dict[str, Any]:
    return {
        "id": "9881",
        "relatedParty": [
            {"id": "1", "role": "vendor", "name": "Acme"},
            {"id": "2", "role": "owner", "name": "Bob"},
            {"id": "3", "role": "vendor", "name": "Zeta"},
        ],
        "productOfferingPrice": [
            {"id": "7", "name": "Monthly", "price": {"unit": "EUR", "value": 10}},
            {"id": "8", "name": "Setup", "price": {"unit": "USD", "value": 99}},
        ],
        "productSpecCharacteristic": [
            {
                "name": "Color",
                "characteristicValueSpecification": [
                    {"isDefault": True, "value": "Black"},
                    {"isDefault": False, "value": "White"},
                ],
            },
            {
                "name": "Speed",
                "characteristicValueSpecification": [{"isDefault": True, "value": 100}],
            },
        ],
        "untouched": {"deep": [1, 2]},
    }


def query(doc: Any, *ops: dict[str, Any]) -> Any:
    return apply_patch_query(doc, list(ops))


# --- grammar -------------------------------------------------------------------------------------


def test_plain_path_parses_to_tokens() -> None:
    assert parse_query_path("/a/b~1c") == (("a", "b/c"), None)


def test_query_path_segments() -> None:
    tokens, segments = parse_query_path("/a~1b?x.y=1&z=%26%3D%2F/c/d?e=")
    assert tokens == ()
    assert segments == (
        Query("a/b", (Condition(("x", "y"), "1", 1), Condition(("z",), "&=/", None))),
        "c",
        Query("d", (Condition(("e",), "", None),)),
    )


def test_parent_path_form_moves_conditions_to_the_array_they_name() -> None:
    """TMF630 Part 5: `/orderItem/quantity?orderItem.productOffering.id=1513`."""
    _, segments = parse_query_path("/orderItem/quantity?orderItem.productOffering.id=1513")
    assert segments == (Query("orderItem", (Condition(("productOffering", "id"), "1513", 1513),)), "quantity")
    _, own = parse_query_path("/orderItem?orderItem.id=2&state=x")
    assert own == (Query("orderItem", (Condition(("id",), "2", 2), Condition(("state",), "x", None))),)
    _, mixed = parse_query_path("/a/b/c?a.k=1&c.x=2&y.z=3")
    assert mixed == (
        Query("a", (Condition(("k",), "1", 1),)),
        "b",
        Query("c", (Condition(("x",), "2", 2), Condition(("y", "z"), "3", 3))),
    )


def test_parent_path_form_replaces_a_member_of_the_selected_elements() -> None:
    doc = offering()
    result = query(
        doc,
        {
            "op": "replace",
            "path": "/productOfferingPrice/name?productOfferingPrice.price.unit=USD",
            "value": "S",
        },
        {"op": "replace", "path": "/relatedParty/name?relatedParty.role=vendor", "value": "V"},
        {
            "op": "replace",
            "path": "/productSpecCharacteristic/characteristicValueSpecification/isDefault"
            "?productSpecCharacteristic.name=Color&characteristicValueSpecification.value=White",
            "value": True,
        },
    )
    assert [p["name"] for p in result["productOfferingPrice"]] == ["Monthly", "S"]
    assert [p["name"] for p in result["relatedParty"]] == ["V", "Bob", "V"]
    colors = result["productSpecCharacteristic"][0]["characteristicValueSpecification"]
    assert [c["isDefault"] for c in colors] == [True, True]
    assert result["productSpecCharacteristic"][1] == doc["productSpecCharacteristic"][1]
    with pytest.raises(QueryNoMatch):
        query(doc, {"op": "remove", "path": "/relatedParty/name?relatedParty.role=nobody"})


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("7", 7),
        ("-0", 0),
        ("7.0", 7.0),
        ("1e2", 100.0),
        ("1.5E-1", 0.15),
        ("07", None),
        ("+7", None),
        ("7.", None),
    ],
)
def test_condition_numbers_follow_json_grammar(text: str, number: float | None) -> None:
    _, segments = parse_query_path(f"/a?k={text}")
    assert segments is not None
    condition = segments[0].conditions[0]  # type: ignore[union-attr]
    assert condition.number == number
    assert type(condition.number) is type(number)


@pytest.mark.parametrize(
    "path",
    ["/a?", "/a?x", "/a?=1", "/a?x..y=1", "/a?.x=1", "/a?x=1&", "/a?x=1&&y=2", "a?x=1", "?x=1", "/a~2?x=1"],
)
def test_bad_query_syntax(path: str) -> None:
    with pytest.raises(InvalidPointer) as caught:
        parse_query_path(path)
    assert caught.value.path == path
    assert caught.value.code == "invalid_pointer"


def test_bad_query_in_a_patch_names_the_operation() -> None:
    with pytest.raises(InvalidPointer) as caught:
        query(offering(), {"op": "remove", "path": "/ok"}, {"op": "remove", "path": "/relatedParty?role"})
    err = caught.value
    assert (err.op_index, err.op, err.path, err.member) == (1, "remove", "/relatedParty?role", "path")


def test_still_validates_operations() -> None:
    with pytest.raises(MalformedPatch) as caught:
        query(offering(), {"op": "replace", "path": "/relatedParty?role=vendor"})
    assert caught.value.member == "value"
    with pytest.raises(MalformedPatch):
        apply_patch_query(offering(), {"op": "remove"})


# --- selection -----------------------------------------------------------------------------------


def test_remove_all_matching_elements() -> None:
    """The TMF620 v5 example: remove every vendor."""
    result = query(offering(), {"op": "remove", "path": "/relatedParty?role=vendor"})
    assert result["relatedParty"] == [{"id": "2", "role": "owner", "name": "Bob"}]


def test_select_one_and_replace_a_member() -> None:
    result = query(
        offering(), {"op": "replace", "path": "/productOfferingPrice?id=7/name", "value": "Monthly fee"}
    )
    assert [p["name"] for p in result["productOfferingPrice"]] == ["Monthly fee", "Setup"]


def test_replace_a_member_of_every_match() -> None:
    result = query(offering(), {"op": "replace", "path": "/relatedParty?role=vendor/name", "value": "X"})
    assert [p["name"] for p in result["relatedParty"]] == ["X", "Bob", "X"]


def test_replace_whole_matched_elements_without_aliasing() -> None:
    value = {"role": "gone"}
    result = query(offering(), {"op": "replace", "path": "/relatedParty?role=vendor", "value": value})
    first, _, last = result["relatedParty"]
    assert first == last == value
    assert first is not last
    assert first is not value


def test_nested_query_path() -> None:
    """The TMF620 v5 characteristic example in this grammar: flip the default colour."""
    values = "/productSpecCharacteristic?name=Color/characteristicValueSpecification"
    result = query(
        offering(),
        {"op": "replace", "path": values + "?value=Black/isDefault", "value": False},
        {"op": "replace", "path": values + "?value=White/isDefault", "value": True},
    )
    values = result["productSpecCharacteristic"][0]["characteristicValueSpecification"]
    assert values == [{"isDefault": False, "value": "Black"}, {"isDefault": True, "value": "White"}]


def test_nested_query_matches_across_several_parents() -> None:
    doc = {"a": [{"x": 1, "b": [{"y": 2}, {"y": 3}]}, {"x": 1, "b": [{"y": 3}]}, {"x": 2, "b": [{"y": 2}]}]}
    result = query(doc, {"op": "add", "path": "/a?x=1/b?y=3/hit", "value": True})
    assert result["a"][0]["b"] == [{"y": 2}, {"y": 3, "hit": True}]
    assert result["a"][1]["b"] == [{"y": 3, "hit": True}]
    assert result["a"][2] is doc["a"][2]
    removed = query(doc, {"op": "remove", "path": "/a?x=1/b?y=3"})
    assert removed["a"][0]["b"] == [{"y": 2}]
    assert removed["a"][1]["b"] == []


def test_plain_segment_between_queries() -> None:
    doc = {"a": [{"k": 1, "inner": {"list": [{"v": "x"}, {"v": "y"}]}}]}
    result = query(doc, {"op": "remove", "path": "/a?k=1/inner/list?v=y"})
    assert result == {"a": [{"k": 1, "inner": {"list": [{"v": "x"}]}}]}


@pytest.mark.parametrize(
    ("condition", "selected"),
    [
        ("v=7", ["int", "float", "str"]),
        ("v=7.0", ["int", "float"]),
        ("v=07", []),
        ("v=true", ["true", "strtrue"]),
        ("v=false", ["false"]),
        ("v=null", ["null", "strnull"]),
        ("v=1", []),  # true is not 1
        ("v=0", []),  # false is not 0
        ("v=x", []),
        ("v=", ["empty"]),
        ("w.v=7", ["nested"]),
        ("v=7&n=str", ["str"]),
        ("v=7&n=nothing", []),
    ],
)
def test_value_types_in_conditions(condition: str, selected: list[str]) -> None:
    doc = {
        "items": [
            {"n": "int", "v": 7},
            {"n": "float", "v": 7.0},
            {"n": "str", "v": "7"},
            {"n": "true", "v": True},
            {"n": "strtrue", "v": "true"},
            {"n": "false", "v": False},
            {"n": "null", "v": None},
            {"n": "strnull", "v": "null"},
            {"n": "object", "v": {"7": 7}},
            {"n": "array", "v": [7]},
            {"n": "empty", "v": ""},
            {"n": "nested", "w": {"v": 7}},
            {"n": "flat", "w": 7},
            "not an object",
            [7],
        ]
    }
    if not selected:
        with pytest.raises(QueryNoMatch):
            query(doc, {"op": "test", "path": f"/items?{condition}", "value": None})
        return
    result = query(doc, {"op": "add", "path": f"/items?{condition}/hit", "value": 1})
    assert [item["n"] for item in result["items"] if isinstance(item, dict) and "hit" in item] == selected


def test_percent_decoded_values() -> None:
    doc = {"refs": [{"href": "http://x/a&b=c"}, {"href": "other"}]}
    result = query(doc, {"op": "remove", "path": "/refs?href=http:%2F%2Fx%2Fa%26b%3Dc"})
    assert result == {"refs": [{"href": "other"}]}


def test_add_with_query_in_last_segment_inserts_before_each_match() -> None:
    result = query(offering(), {"op": "add", "path": "/relatedParty?role=vendor", "value": {"role": "new"}})
    assert [p["role"] for p in result["relatedParty"]] == ["new", "vendor", "owner", "new", "vendor"]


def test_add_to_an_array_inside_each_match() -> None:
    doc = {"a": [{"k": 1, "tags": []}, {"k": 1, "tags": ["x"]}]}
    result = query(doc, {"op": "add", "path": "/a?k=1/tags/-", "value": "t"})
    assert [item["tags"] for item in result["a"]] == [["t"], ["x", "t"]]


def test_test_must_hold_at_every_match() -> None:
    doc = offering()
    assert query(doc, {"op": "test", "path": "/relatedParty?role=vendor/role", "value": "vendor"}) == doc
    with pytest.raises(TestFailed):
        query(doc, {"op": "test", "path": "/relatedParty?role=vendor/name", "value": "Acme"})


# --- the pointer form (TMF620 v5's productSpecification example) -------------------------------

CVS = "/productSpecCharacteristic/characteristicValueSpecification"


def test_pointer_form_parses_to_a_walk_and_a_query() -> None:
    _, segments = parse_query_path(f"{CVS}/isDefault?value={CVS}/Black")
    assert segments == (
        Query("productSpecCharacteristic", ()),
        Query("characteristicValueSpecification", (Condition(("value",), "Black", None),)),
        "isDefault",
    )


def test_pointer_form_flips_the_default_colour() -> None:
    """The v5 example itself: the characteristic values are reached through every characteristic."""
    doc = offering()
    result = query(
        doc,
        {"op": "replace", "path": f"{CVS}/isDefault?value={CVS}/Black", "value": False},
        {"op": "replace", "path": f"{CVS}/isDefault?value={CVS}/White", "value": True},
    )
    colors = result["productSpecCharacteristic"][0]["characteristicValueSpecification"]
    assert colors == [{"isDefault": False, "value": "Black"}, {"isDefault": True, "value": "White"}]
    assert result["productSpecCharacteristic"][1] is doc["productSpecCharacteristic"][1]
    nested = "/productSpecCharacteristic?name=Color/characteristicValueSpecification"
    assert result == query(
        doc,
        {"op": "replace", "path": nested + "?value=Black/isDefault", "value": False},
        {"op": "replace", "path": nested + "?value=White/isDefault", "value": True},
    )


@pytest.mark.parametrize(
    ("literal", "n"),
    [
        ("x~1y", 1),  # '/' as ~1
        ("x%2Fy", 1),  # or as %2F
        ("~0%26%3D", 2),  # '~' as ~0, then '&' and '=' percent-encoded
        ("7", 4),  # a number, as in every condition
    ],
)
def test_pointer_form_literals_are_pointer_tokens_then_percent_decoded(literal: str, n: int) -> None:
    doc = {"a": [{"v": "x/y", "n": 1}, {"v": "~&=", "n": 2}, {"v": "x", "n": 3}, {"v": 7, "n": 4}]}
    result = query(doc, {"op": "remove", "path": f"/a/n?v=/a/{literal}"})
    assert [item.get("n") for item in result["a"]] == [None if m == n else m for m in (1, 2, 3, 4)]
    removed = query(doc, {"op": "remove", "path": f"/a?v=/a/{literal}"})
    assert removed["a"] == [item for item in doc["a"] if item["n"] != n]


@pytest.mark.parametrize(
    "path",
    [
        f"{CVS}/isDefault?value=/productSpecCharacteristic/other/Black",  # not a prefix of the path
        f"{CVS}/isDefault?value={CVS}/Black/White",  # an unescaped '/' in the literal
        f"{CVS}/isDefault?value={CVS}/isDefault/x/Black",  # longer than the path
    ],
)
def test_pointer_form_prefix_must_be_the_array_path(path: str) -> None:
    with pytest.raises(InvalidPointer, match="must be the path of an array of") as caught:
        query(offering(), {"op": "test", "path": "/id", "value": "9881"}, {"op": "remove", "path": path})
    err = caught.value
    assert (err.code, err.op_index, err.path, err.member) == ("invalid_pointer", 1, path, "path")


@pytest.mark.parametrize(
    "path",
    [
        f"{CVS}/isDefault?value={CVS}/B~2",  # a bad escape in the pointer
        f"{CVS}/isDefault?value={CVS}/Black&name=a/b",  # '/' in a value that is no pointer
        f"{CVS}/isDefault?value={CVS}/Black&name",  # a condition without '='
        f"{CVS}/isDefault?value={CVS}/Black&name=x&name=/productSpecCharacteristic/Color",  # ambiguous
        f"{CVS}/isDefault?=/productSpecCharacteristic/x",  # no member
    ],
)
def test_pointer_form_malformed(path: str) -> None:
    with pytest.raises(InvalidPointer) as caught:
        parse_query_path(path)
    assert (caught.value.code, caught.value.path) == ("invalid_pointer", path)


def test_pointer_form_other_conditions_apply_to_the_pointed_array() -> None:
    doc = {"c": [{"name": "Color", "v": [{"value": "Black", "t": "s", "d": 1}, {"value": "Black", "d": 2}]}]}
    _, segments = parse_query_path("/c/v/d?value=/c/v/Black&t=s&c.name=Color")
    assert segments == (
        Query("c", (Condition(("name",), "Color", None),)),
        Query("v", (Condition(("t",), "s", None), Condition(("value",), "Black", None))),
        "d",
    )
    result = query(doc, {"op": "replace", "path": "/c/v/d?value=/c/v/Black&t=s&c.name=Color", "value": 0})
    assert [item["d"] for item in result["c"][0]["v"]] == [0, 2]
    # Pointers to two arrays of the path, each with its own condition.
    both = query(doc, {"op": "replace", "path": "/c/v/d?name=/c/Color&value=/c/v/Black", "value": 0})
    assert [item["d"] for item in both["c"][0]["v"]] == [0, 0]
    with pytest.raises(QueryNoMatch):
        query(doc, {"op": "replace", "path": "/c/v/d?name=/c/Size&value=/c/v/Black", "value": 0})


def test_pointer_form_walks_objects_and_keeps_indices() -> None:
    doc = {
        "inner": {"list": [{"v": "x", "k": 1}, {"v": "y", "k": 2}]},
        "a": [{"b": [{"v": 1}]}, {"b": [{"v": 1}]}],
    }
    result = query(doc, {"op": "replace", "path": "/inner/list/k?v=/inner/list/y", "value": 0})
    assert result["inner"]["list"] == [{"v": "x", "k": 1}, {"v": "y", "k": 0}]
    _, segments = parse_query_path("/a/1/b/v?v=/a/1/b/1")
    assert segments == ("a", Query("1", ()), Query("b", (Condition(("v",), "1", 1),)), "v")
    indexed = query(doc, {"op": "replace", "path": "/a/1/b/v?v=/a/1/b/1", "value": 2})
    assert indexed["a"] == [{"b": [{"v": 1}]}, {"b": [{"v": 2}]}]


def test_pointer_form_skips_elements_the_path_does_not_fit() -> None:
    doc = {"c": [{"name": "free text"}, "not an object", {"v": [{"value": "Black", "d": True}]}]}
    result = query(doc, {"op": "replace", "path": "/c/v/d?value=/c/v/Black", "value": False})
    assert result["c"][2]["v"] == [{"value": "Black", "d": False}]
    assert result["c"][0] is doc["c"][0]
    with pytest.raises(QueryNoMatch):
        query(doc, {"op": "replace", "path": "/c/v/d?value=/c/v/White", "value": False})
    with pytest.raises(QueryNoMatch):  # no element has the array
        query({"c": [{"name": "x"}]}, {"op": "remove", "path": "/c/v?value=/c/v/x"})
    with pytest.raises(QueryNoMatch):  # nothing to walk
        query({"c": []}, {"op": "remove", "path": "/c/v?value=/c/v/x"})
    with pytest.raises(PathNotFound):  # the walk itself starts nowhere
        query({}, {"op": "remove", "path": "/c/v?value=/c/v/x"})
    with pytest.raises(PatchConflict, match="needs an array, found a object at '/c/v'"):  # not an array
        query({"c": {"v": {"value": "x"}}}, {"op": "remove", "path": "/c/v?value=/c/v/x"})
    with pytest.raises(PatchConflict, match="needs an array, found a string at '/c/1/v'"):
        query({"c": [{}, {"v": "text"}]}, {"op": "remove", "path": "/c/v?value=/c/v/x"})


def test_pointer_form_move_from_one_match() -> None:
    result = query(
        offering(),
        {"op": "move", "from": f"{CVS}?value={CVS}/White", "path": "/productSpecCharacteristic/1/x"},
    )
    assert result["productSpecCharacteristic"][0]["characteristicValueSpecification"] == [
        {"isDefault": True, "value": "Black"}
    ]
    assert result["productSpecCharacteristic"][1]["x"] == {"isDefault": False, "value": "White"}


def test_empty_values_followed_by_segments_keep_their_meaning() -> None:
    """`=` then `/`: a pointer only when it starts with the path's first token and has two tokens."""
    assert parse_query_path("/a?x=/b/c")[1] == (Query("a", (Condition(("x",), "", None),)), "b", "c")
    assert parse_query_path("/a?x=/a")[1] == (Query("a", (Condition(("x",), "", None),)), "a")
    assert parse_query_path("/a?x=1&y=/a/c")[1] == (
        Query("a", (Condition(("x",), "1", 1), Condition(("y",), "c", None))),
    )


# --- errors --------------------------------------------------------------------------------------


def test_no_match_is_an_error() -> None:
    with pytest.raises(QueryNoMatch) as caught:
        query(offering(), {"op": "remove", "path": "/relatedParty?role=nobody"})
    err = caught.value
    assert (err.code, err.op_index, err.path, err.member) == (
        "query_no_match",
        0,
        "/relatedParty?role=nobody",
        "path",
    )
    assert "'/relatedParty'" in err.reason


def test_no_match_message_lists_a_few_arrays() -> None:
    doc = {"a": [{"x": 1, "b": [{"y": 1}]} for _ in range(5)]}
    with pytest.raises(QueryNoMatch) as caught:
        query(doc, {"op": "remove", "path": "/a?x=1/b?y=2"})
    assert caught.value.reason.count("/b'") == 3
    assert "..." in caught.value.reason


def test_query_on_a_non_array_is_a_conflict() -> None:
    with pytest.raises(PatchConflict, match="needs an array, found a string at '/id'"):
        query(offering(), {"op": "remove", "path": "/id?x=1"})


def test_query_on_a_missing_array_is_path_not_found() -> None:
    with pytest.raises(PathNotFound) as caught:
        query(offering(), {"op": "remove", "path": "/missing?x=1"})
    assert caught.value.path == "/missing?x=1"


def test_missing_member_after_a_match_is_path_not_found() -> None:
    with pytest.raises(PathNotFound) as caught:
        query(offering(), {"op": "replace", "path": "/relatedParty?role=owner/email", "value": "x"})
    assert (caught.value.path, caught.value.op_index) == ("/relatedParty?role=owner/email", 0)
    assert "'/relatedParty/1'" in caught.value.reason


def test_failure_is_atomic() -> None:
    doc = offering()
    before = copy.deepcopy(doc)
    with pytest.raises(QueryNoMatch) as caught:
        query(
            doc,
            {"op": "remove", "path": "/relatedParty?role=vendor"},
            {"op": "replace", "path": "/productOfferingPrice?id=7/name", "value": "x"},
            {"op": "remove", "path": "/relatedParty?role=vendor"},  # none left
        )
    assert caught.value.op_index == 2
    assert doc == before


# --- move and copy -------------------------------------------------------------------------------


def test_move_from_a_query() -> None:
    result = query(offering(), {"op": "move", "from": "/relatedParty?role=owner", "path": "/owner"})
    assert result["owner"]["name"] == "Bob"
    assert len(result["relatedParty"]) == 2


def test_copy_to_a_query_location() -> None:
    result = query(
        offering(),
        {"op": "copy", "from": "/productOfferingPrice?id=8/price", "path": "/productOfferingPrice?id=7/old"},
    )
    assert result["productOfferingPrice"][0]["old"] == {"unit": "USD", "value": 99}
    assert result["productOfferingPrice"][0]["old"] is not result["productOfferingPrice"][1]["price"]


def test_move_from_several_locations_is_a_conflict() -> None:
    with pytest.raises(PatchConflict, match="'from' selects 2 locations") as caught:
        query(offering(), {"op": "move", "from": "/relatedParty?role=vendor", "path": "/x"})
    assert (caught.value.member, caught.value.path) == ("from", "/relatedParty?role=vendor")


def test_copy_to_several_locations_is_a_conflict() -> None:
    with pytest.raises(PatchConflict, match="'path' selects 2 locations"):
        query(offering(), {"op": "copy", "from": "/id", "path": "/relatedParty?role=vendor/copied"})


def test_from_query_without_match_names_from() -> None:
    with pytest.raises(QueryNoMatch) as caught:
        query(offering(), {"op": "copy", "from": "/relatedParty?role=none", "path": "/x"})
    assert (caught.value.member, caught.value.path) == ("from", "/relatedParty?role=none")


# --- plain pointers, plans, sharing --------------------------------------------------------------


def test_plain_pointers_behave_as_json_patch() -> None:
    patch = [
        {"op": "add", "path": "/relatedParty/-", "value": {"role": "x"}},
        {"op": "move", "from": "/id", "path": "/code"},
        {"op": "copy", "from": "/code", "path": "/id"},
        {"op": "test", "path": "/code", "value": "9881"},
        {"op": "remove", "path": "/productOfferingPrice/0"},
        {"op": "replace", "path": "/untouched/deep/0", "value": 5},
    ]
    assert query(offering(), *patch) == apply_json_patch(offering(), patch)


def test_mixed_plain_and_query_operations() -> None:
    result = query(
        offering(),
        {"op": "remove", "path": "/relatedParty/0"},
        {"op": "replace", "path": "/relatedParty?role=vendor/name", "value": "Only"},
    )
    assert [p["name"] for p in result["relatedParty"]] == ["Bob", "Only"]


def test_query_plan_is_reusable_and_owns_its_values() -> None:
    value = {"role": "new"}
    plan = compile_patch_query([{"op": "add", "path": "/relatedParty?role=owner/extra", "value": value}])
    assert isinstance(plan, QueryPlan)
    assert len(plan) == 1
    assert [query_op.operation.op for query_op in plan] == ["add"]
    value["role"] = "changed"
    first = apply_patch_query(offering(), plan)
    second = apply_patch_query(offering(), plan)
    assert first["relatedParty"][1]["extra"] == {"role": "new"}
    assert first == second
    assert first["relatedParty"][1]["extra"] is not second["relatedParty"][1]["extra"]


def test_input_unchanged_and_untouched_subtrees_shared() -> None:
    doc = offering()
    before = copy.deepcopy(doc)
    result = query(doc, {"op": "remove", "path": "/relatedParty?role=vendor"})
    assert doc == before
    assert result["untouched"] is doc["untouched"]
    assert result["productOfferingPrice"] is doc["productOfferingPrice"]
    assert result["relatedParty"][0] is doc["relatedParty"][1]
    assert result is not doc
