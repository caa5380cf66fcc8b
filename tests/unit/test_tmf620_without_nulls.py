"""Null members left out of a TMF620 body: values without one are not copied."""

from __future__ import annotations

from typing import Any

import pytest

from offer_catalog.resources.tmf620.rules import without_nulls


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": None, "b": 1}, {"b": 1}),
        ({"a": {"b": [{"c": None, "d": [None, {"e": None}]}]}}, {"a": {"b": [{"d": [None, {}]}]}}),
        ([{"a": None}, None, 1], [{}, None, 1]),
        ({"a": [[[{"b": {"c": {"d": None}}}]]], "e": "f"}, {"a": [[[{"b": {"c": {}}}]]], "e": "f"}),
    ],
)
def test_null_members_are_left_out_at_every_depth(value: Any, expected: Any) -> None:
    before = repr(value)
    assert without_nulls(value) == expected
    assert repr(value) == before  # the given value is not changed


def test_a_value_without_null_members_is_returned_itself() -> None:
    kept = {"a": [1, None, {"b": "c"}], "d": {"e": [True, 2.5]}}
    assert without_nulls(kept) is kept
    changed = {"a": [1, {"b": None}], "d": {"e": [True]}}
    result = without_nulls(changed)
    assert result == {"a": [1, {}], "d": {"e": [True]}}
    assert result is not changed and result["d"] is not changed["d"]


def test_a_deep_body_with_a_null_at_the_bottom_is_cleaned_in_one_pass() -> None:
    value: Any = {"x": None}
    for _ in range(200):
        value = {"a": value, "b": [1]}  # work repeated per level would double at every level
    cleaned = without_nulls(value)
    while "a" in cleaned:
        cleaned = cleaned["a"]
    assert cleaned == {}
