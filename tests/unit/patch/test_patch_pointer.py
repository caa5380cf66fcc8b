"""JSON Pointer: parsing, escapes, array index rules, resolution errors."""

from __future__ import annotations

import pytest

from offer_catalog.patch import InvalidPointer, PatchConflict, PatchError, PathNotFound, resolve_pointer
from offer_catalog.patch.pointer import array_index, escape_token, format_pointer, parse_pointer, walk


@pytest.mark.parametrize(
    ("pointer", "tokens"),
    [
        ("", ()),
        ("/", ("",)),
        ("//", ("", "")),
        ("/a/b", ("a", "b")),
        ("/a~1b", ("a/b",)),
        ("/m~0n", ("m~n",)),
        ("/~01", ("~1",)),  # ~1 is decoded before ~0
        ("/~10", ("/0",)),
        ("/~0~1", ("~/",)),
        ("/a/", ("a", "")),
        ("/ü/ñ", ("ü", "ñ")),
    ],
)
def test_parse_pointer(pointer: str, tokens: tuple[str, ...]) -> None:
    assert parse_pointer(pointer) == tokens


@pytest.mark.parametrize("pointer", ["a", "a/b", "#/a", "/~2", "/~", "/a~", "/~a", "/ok/~/x", "/~0~"])
def test_parse_pointer_rejects_bad_syntax(pointer: str) -> None:
    with pytest.raises(InvalidPointer) as caught:
        parse_pointer(pointer)
    assert caught.value.code == "invalid_pointer"
    assert caught.value.path == pointer


def test_parse_pointer_is_cached() -> None:
    first = parse_pointer("/cached/pointer/x")
    hits = parse_pointer.cache_info().hits
    assert parse_pointer("/cached/pointer/x") is first
    assert parse_pointer.cache_info().hits == hits + 1


@pytest.mark.parametrize("token", ["", "a", "a/b", "m~n", "~1", "/~", "~0/"])
def test_escape_round_trip(token: str) -> None:
    assert parse_pointer(format_pointer(("x", token))) == ("x", token)
    assert "/" not in escape_token(token)


def test_format_pointer() -> None:
    assert format_pointer(()) == ""
    assert format_pointer(("a/b", "m~n", "0")) == "/a~1b/m~0n/0"


@pytest.mark.parametrize(("token", "index"), [("0", 0), ("1", 1), ("9", 9), ("10", 10), ("19", 19)])
def test_array_index_valid(token: str, index: int) -> None:
    assert array_index(token, 20) == index


@pytest.mark.parametrize(
    "token",
    ["01", "00", "+1", " 1", "1 ", "1_0", "-1", "1e0", "0x1", "1.0", "", "٣", "²", "１", "a", "--"],
)
def test_array_index_rejects_non_index_tokens(token: str) -> None:
    with pytest.raises(PathNotFound, match="not an array index"):
        array_index(token, 100, allow_end=True)


def test_array_index_range() -> None:
    assert array_index("2", 3) == 2
    with pytest.raises(PathNotFound, match="out of range"):
        array_index("3", 3)
    assert array_index("3", 3, allow_end=True) == 3
    with pytest.raises(PathNotFound, match="out of range"):
        array_index("4", 3, allow_end=True)


def test_array_index_huge_token_is_out_of_range_not_a_crash() -> None:
    # int() refuses more than 4300 digits; such a token is simply past the end.
    with pytest.raises(PathNotFound, match="out of range"):
        array_index("9" * 5000, 3, allow_end=True)
    with pytest.raises(PathNotFound, match="out of range"):
        array_index("1" + "0" * 18, 3)


def test_dash_only_with_allow_end() -> None:
    assert array_index("-", 3, allow_end=True) == 3
    with pytest.raises(PathNotFound, match="only 'add'"):
        array_index("-", 3)


DOC = {"a": {"b": [10, {"c": "x"}]}, "s": "text", "n": 1, "": "empty", "nul": None}


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [
        ("", DOC),
        ("/a/b/0", 10),
        ("/a/b/1/c", "x"),
        ("/", "empty"),
        ("/nul", None),
    ],
)
def test_resolve(pointer: str, expected: object) -> None:
    assert resolve_pointer(DOC, pointer) == expected


def test_resolve_returns_the_value_itself() -> None:
    assert resolve_pointer(DOC, "/a/b") is DOC["a"]["b"]


@pytest.mark.parametrize(
    ("pointer", "error", "fragment"),
    [
        ("/missing", PathNotFound, "no member 'missing' at the document root"),
        ("/a/missing", PathNotFound, "no member 'missing' at '/a'"),
        ("/a/b/2", PathNotFound, "out of range"),
        ("/a/b/-", PathNotFound, "only 'add'"),
        ("/a/b/01", PathNotFound, "not an array index"),
        ("/a/b/x", PathNotFound, "at '/a/b'"),
        ("/s/0", PatchConflict, "cannot look up '0' in a string at '/s'"),
        ("/n/x", PatchConflict, "in a number"),
        ("/nul/x", PatchConflict, "in a null"),
        ("/a/b/0/x", PatchConflict, "at '/a/b/0'"),
    ],
)
def test_resolve_errors(pointer: str, error: type[PatchError], fragment: str) -> None:
    with pytest.raises(error) as caught:
        resolve_pointer(DOC, pointer)
    assert fragment in str(caught.value)
    assert caught.value.path == pointer
    assert caught.value.op_index is None


def test_resolve_invalid_pointer() -> None:
    with pytest.raises(InvalidPointer):
        resolve_pointer(DOC, "a")


def test_walk_descends_from_scalar_root() -> None:
    with pytest.raises(PatchConflict, match="at the document root"):
        walk("scalar", ("x",))
    assert walk("scalar", ()) == "scalar"
