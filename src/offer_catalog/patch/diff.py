"""Diff two JSON documents into a JSON Patch that turns the first into the second."""

from __future__ import annotations

from offer_catalog.patch._json import JSONValue, clone, json_equal
from offer_catalog.patch.pointer import escape_token

Op = dict[str, JSONValue]


def diff(a: JSONValue, b: JSONValue) -> list[Op]:
    """Return a JSON Patch (list of operation objects) that turns ``a`` into ``b``."""
    ops: list[Op] = []
    _diff(a, b, "", ops)
    return ops


def _diff(a: JSONValue, b: JSONValue, path: str, ops: list[Op]) -> None:
    ta = type(a)
    if ta is dict and type(b) is dict:
        _diff_objects(a, b, path, ops)
    elif ta is list and type(b) is list:
        _diff_arrays(a, b, path, ops)
    elif not json_equal(a, b):
        # Different types (including true vs 1) or different scalars: replace whole.
        ops.append({"op": "replace", "path": path, "value": clone(b)})


def _diff_objects(a: dict[str, JSONValue], b: dict[str, JSONValue], path: str, ops: list[Op]) -> None:
    for key, value in a.items():
        child = path + "/" + escape_token(key)
        if key not in b:
            ops.append({"op": "remove", "path": child})
        else:
            _diff(value, b[key], child, ops)
    for key, value in b.items():
        if key not in a:
            ops.append({"op": "add", "path": path + "/" + escape_token(key), "value": clone(value)})


def _diff_arrays(a: list[JSONValue], b: list[JSONValue], path: str, ops: list[Op]) -> None:
    # Skip the common prefix and suffix; pair up the middles element by element, then remove the
    # surplus of a or add the surplus of b. Not a minimal edit script, but always correct.
    start = 0
    shortest = min(len(a), len(b))
    while start < shortest and json_equal(a[start], b[start]):
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and json_equal(a[end_a - 1], b[end_b - 1]):
        end_a -= 1
        end_b -= 1
    paired = min(end_a, end_b) - start
    for offset in range(paired):
        _diff(a[start + offset], b[start + offset], f"{path}/{start + offset}", ops)
    position = start + paired
    for _ in range(end_a - end_b):
        # Each removal shifts the rest left, so the same index is removed repeatedly.
        ops.append({"op": "remove", "path": f"{path}/{position}"})
    for index in range(position, end_b):
        ops.append({"op": "add", "path": f"{path}/{index}", "value": clone(b[index])})
