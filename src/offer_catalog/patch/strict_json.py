"""Strict JSON parsing for request bodies (RFC 8259 as interoperable JSON, RFC 7493 I-JSON spirit)."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any, NoReturn

from offer_catalog.patch._json import JSONValue
from offer_catalog.patch.errors import InvalidCharacter, InvalidJson, JsonTooDeep, NumberOutOfRange

# A \ud800-\udfff escape (UTF-16 surrogate): only then can a parsed string hold a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# Integers both stores keep exactly and compare as numbers: signed 64 bits.
MIN_INT, MAX_INT = -(2**63), 2**63 - 1
# Objects and arrays nested deeper than this are refused (stores and serialisers stop near 255).
MAX_DEPTH = 64


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # A plain parse keeps the last duplicate silently, so {"op":"add","op":"remove"} would pass.
        name = next(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
        raise InvalidJson(f"duplicate member name {name!r}")
    return result


def _constant(name: str) -> NoReturn:
    raise InvalidJson(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        # "1e400" parses to inf in Python; it cannot be stored or serialised back as JSON.
        raise NumberOutOfRange(f"number {text[:40]} is out of range")
    return value


def _int(text: str) -> int:
    if len(text) > 20:
        raise NumberOutOfRange(f"integer {text[:40]}... is beyond 64 bits")
    value = int(text)
    if not MIN_INT <= value <= MAX_INT:
        raise NumberOutOfRange(f"integer {text} is beyond 64 bits")
    return value


def parse_json(data: bytes | bytearray | memoryview | str, *, max_depth: int = MAX_DEPTH) -> JSONValue:
    """Parse strict JSON: UTF-8, no duplicate member names, no NaN/Infinity, no lone surrogates.

    Arrays and objects may nest at most `max_depth` levels (JsonTooDeep past that).
    """
    if isinstance(data, str):
        text = data
        _check_text(text)  # a str may carry raw lone surrogates that bytes could not
    else:
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as err:
            raise InvalidJson(f"invalid UTF-8 at byte {err.start}") from None
    try:
        value = json.loads(
            text, object_pairs_hook=_object, parse_constant=_constant, parse_float=_float, parse_int=_int
        )
    except json.JSONDecodeError as err:
        raise InvalidJson(f"{err.msg} at line {err.lineno} column {err.colno}") from None
    except (ValueError, RecursionError) as err:
        # ValueError: an integer beyond Python's digit limit; RecursionError: absurd nesting.
        raise InvalidJson(f"unparseable JSON: {type(err).__name__}") from None
    if _SURROGATE_ESCAPE.search(text):
        _check_strings(value)
    if "\\u0000" in text:
        _check_nul(value)
    if text.count("[") + text.count("{") > max_depth:
        _check_depth(value, max_depth)
    return value


def _check_depth(value: JSONValue, max_depth: int) -> None:
    stack: list[tuple[JSONValue, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if type(item) is dict else item if type(item) is list else None
        if children is None:
            continue
        if depth > max_depth:
            raise JsonTooDeep(f"JSON is nested deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children)


def _check_nul(value: JSONValue) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is str:
            if "\x00" in item:
                raise InvalidCharacter("a string may not contain the NUL character (\\u0000)")
        elif type(item) is dict:
            stack.extend(item.keys())
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)


def _check_strings(value: JSONValue) -> None:
    t = type(value)
    if t is str:
        _check_text(value)
    elif t is dict:
        for key, item in value.items():
            _check_text(key)
            _check_strings(item)
    elif t is list:
        for item in value:
            _check_strings(item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # "\ud800" alone is valid JSON syntax but not a Unicode string: it could not be stored as UTF-8.
        raise InvalidJson("string contains a lone UTF-16 surrogate escape") from None
