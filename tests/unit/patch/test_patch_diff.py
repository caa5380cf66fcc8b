"""diff(a, b): a JSON Patch that turns a into b, reasonably small, never aliasing b."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from offer_catalog.patch import apply_json_patch, diff


@pytest.mark.parametrize(
    ("a", "b", "ops"),
    [
        ({"a": 1}, {"a": 1}, []),
        (1, 1.0, []),  # JSON equal: nothing to do
        ({"a": 1}, {"a": 2}, [{"op": "replace", "path": "/a", "value": 2}]),
        ({"a": 1}, {"a": True}, [{"op": "replace", "path": "/a", "value": True}]),
        ({"a": 0}, {"a": False}, [{"op": "replace", "path": "/a", "value": False}]),
        ({"a": 1, "b": 2}, {"a": 1}, [{"op": "remove", "path": "/b"}]),
        ({}, {"c": [1]}, [{"op": "add", "path": "/c", "value": [1]}]),
        ({"x": {"y": {"z": 1}}}, {"x": {"y": {"z": 2}}}, [{"op": "replace", "path": "/x/y/z", "value": 2}]),
        (
            {"a/b": 1, "m~n": 1},
            {"a/b": 2},
            [{"op": "replace", "path": "/a~1b", "value": 2}, {"op": "remove", "path": "/m~0n"}],
        ),
        ({"a": 1}, [1], [{"op": "replace", "path": "", "value": [1]}]),
        ("x", "y", [{"op": "replace", "path": "", "value": "y"}]),
        ({"a": {"b": 1}}, {"a": [1]}, [{"op": "replace", "path": "/a", "value": [1]}]),
        (
            [1, 2, 3, 4],
            [1, 9, 4],
            [{"op": "replace", "path": "/1", "value": 9}, {"op": "remove", "path": "/2"}],
        ),
        (
            [1, 4],
            [1, 2, 3, 4],
            [{"op": "add", "path": "/1", "value": 2}, {"op": "add", "path": "/2", "value": 3}],
        ),
        ([1, 2, 3], [1, 2, 3, 4], [{"op": "add", "path": "/3", "value": 4}]),
        ([0, 1, 2, 3], [1, 2, 3], [{"op": "remove", "path": "/0"}]),
        ([{"id": 1, "v": "a"}], [{"id": 1, "v": "b"}], [{"op": "replace", "path": "/0/v", "value": "b"}]),
        ([], [], []),
        ([1, 1, 1], [1, 1], [{"op": "remove", "path": "/2"}]),
    ],
)
def test_diff(a: Any, b: Any, ops: list[dict[str, Any]]) -> None:
    assert diff(a, b) == ops
    assert apply_json_patch(a, diff(a, b)) == b


def test_diff_does_not_alias_either_input() -> None:
    a = {"keep": [1]}
    b = {"keep": [1], "new": {"deep": [1, 2]}, "list": [[1]]}
    before = copy.deepcopy(b)
    ops = diff(a, b)
    ops[0]["value"]["deep"].append(3)
    assert b == before
    b["new"]["deep"].append(4)
    assert ops[0]["value"]["deep"] == [1, 2, 3]
