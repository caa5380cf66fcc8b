"""parse_json: strict JSON for request bodies."""

from __future__ import annotations

from typing import Any

import pytest

from offer_catalog.patch import (
    HTTP_STATUS,
    InvalidCharacter,
    InvalidJson,
    JsonTooDeep,
    NumberOutOfRange,
    PatchError,
    parse_json,
)
from offer_catalog.patch.strict_json import MAX_DEPTH


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"a": [1, 2.5, true, null, "x"]}', {"a": [1, 2.5, True, None, "x"]}),
        ('{"é": "ü"}', {"é": "ü"}),
        (bytearray(b"[1]"), [1]),
        (memoryview(b'"s"'), "s"),
        (b'"\\ud83d\\ude00"', "😀"),  # a valid surrogate pair
        (b'{"a": {"a": 1}}', {"a": {"a": 1}}),  # same name at different levels is fine
        (b"1E300", 1e300),
        ("-0", 0),
    ],
)
def test_accepts_strict_json(data: Any, expected: Any) -> None:
    assert parse_json(data) == expected


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b'{"op": "add", "op": "remove"}', "duplicate member name 'op'"),
        (b'[{"x": {"a": 1, "b": 2, "a": 3}}]', "duplicate member name 'a'"),
        (b"NaN", "NaN is not a JSON number"),
        (b"[Infinity]", "Infinity is not a JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON number"),
        (b'"\xff"', "invalid UTF-8 at byte 1"),
        (b'"\xed\xa0\x80"', "invalid UTF-8"),  # an encoded surrogate is not UTF-8
        (b"\xef\xbb\xbf{}", "BOM"),
        (b'{"a": 1,}', "line 1 column 9"),
        (b"", "Expecting value"),
        (b"[1] [2]", "Extra data"),
        (b"[" * 100000 + b"]" * 100000, "unparseable"),
        (b'"\\ud800"', "lone UTF-16 surrogate"),
        (b'[1, null, "ok", "\\uDC00x"]', "lone UTF-16 surrogate"),
        (b'{"\\ud800": 1}', "lone UTF-16 surrogate"),
        ("\ud800", "lone UTF-16 surrogate"),
    ],
)
def test_rejects(data: Any, fragment: str) -> None:
    with pytest.raises(InvalidJson) as caught:
        parse_json(data)
    err = caught.value
    assert isinstance(err, PatchError)
    assert err.code == "invalid_json"
    assert HTTP_STATUS[err.code] == 400
    assert fragment in err.reason


def test_surrogate_check_only_when_escapes_could_produce_one() -> None:
    # A string that merely mentions \\u (escaped backslash) parses as text.
    assert parse_json(b'["\\\\ud800", {"k": ["\\ud83d\\ude00", 1, null]}]') == [
        "\\ud800",
        {"k": ["😀", 1, None]},
    ]


@pytest.mark.parametrize(
    ("data", "cls", "fragment"),
    [
        (b"1e400", NumberOutOfRange, "out of range"),
        (b"[-1e400]", NumberOutOfRange, "out of range"),
        (b"9" * 5000, NumberOutOfRange, "beyond 64 bits"),
        (b'{"n": 18446744073709551616}', NumberOutOfRange, "beyond 64 bits"),
        (b"[9223372036854775808]", NumberOutOfRange, "beyond 64 bits"),
        (b"-9223372036854775809", NumberOutOfRange, "beyond 64 bits"),
        (b"[" * 300 + b"]" * 300, JsonTooDeep, "deeper than"),
        (b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), JsonTooDeep, "deeper than"),
        (b'{"name": "a\\u0000b"}', InvalidCharacter, "NUL"),
        (b'{"a\\u0000": 1}', InvalidCharacter, "NUL"),
        (b'[[["\\u0000"]]]', InvalidCharacter, "NUL"),
    ],
)
def test_rejects_what_no_store_keeps(data: bytes, cls: type[InvalidJson], fragment: str) -> None:
    with pytest.raises(cls) as caught:
        parse_json(data)
    assert isinstance(caught.value, InvalidJson)
    assert HTTP_STATUS[caught.value.code] == 400
    assert caught.value.code != "invalid_json"
    assert fragment in caught.value.reason


def test_accepts_the_edges_of_the_ranges() -> None:
    assert parse_json(b"[9223372036854775807, -9223372036854775808]") == [2**63 - 1, -(2**63)]
    deepest = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert parse_json(deepest) is not None
    assert parse_json(b'["\\\\u0000"]') == ["\\u0000"]  # an escaped backslash, then text
