"""JSON value helpers shared by the engine: the value type, fast clone, JSON equality."""

from __future__ import annotations

from typing import Any, TypeAlias

# A JSON value as the stdlib/orjson/msgspec decoders produce it: dict (str keys), list, str, int,
# float, bool or None. Typed as Any because a recursive union forces every caller to narrow.
JSONValue: TypeAlias = Any


def clone(value: JSONValue) -> JSONValue:
    """Return a deep copy of a JSON value (scalars are immutable and returned as is)."""
    # Exact type checks instead of isinstance/copy.deepcopy: ~10x cheaper and JSON has no subclasses.
    t = type(value)
    if t is dict:
        return {k: (clone(v) if type(v) in _CONTAINERS else v) for k, v in value.items()}
    if t is list:
        return [clone(v) if type(v) in _CONTAINERS else v for v in value]
    return value


_CONTAINERS = frozenset((dict, list))


def json_equal(a: JSONValue, b: JSONValue) -> bool:
    """Compare by JSON semantics: 1 == 1.0, but true != 1 and false != 0, recursively."""
    ta = type(a)
    tb = type(b)
    if ta is dict:
        if tb is not dict or len(a) != len(b):
            return False
        return all(key in b and json_equal(value, b[key]) for key, value in a.items())
    if ta is list:
        if tb is not list or len(a) != len(b):
            return False
        return all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if ta is bool or tb is bool:
        # Python's == treats True as 1; JSON does not.
        return ta is tb and a == b
    if ta in _NUMBERS:
        return tb in _NUMBERS and a == b
    return ta is tb and a == b


_NUMBERS = frozenset((int, float))


def type_name(value: JSONValue) -> str:
    """Name a value's JSON type for error messages."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


_TYPE_NAMES: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}
