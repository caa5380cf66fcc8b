"""PQL compile errors: syntax errors carry line/column/offset; unknown functions fail at compile time."""

from __future__ import annotations

import pytest

from offer_catalog.decisioning.pql import PqlCompileError, PqlSyntaxError, compile_rule


@pytest.mark.parametrize(
    ("text", "line", "column", "position"),
    [
        ("a = ", 1, 5, 4),
        ("a = = b", 1, 5, 4),
        ("a # b", 1, 3, 2),
        ("(a", 1, 3, 2),
        ("a and\n  or b", 2, 3, 8),
        ("x.equals(", 1, 10, 9),
        ('"unterminated', 1, 1, 0),
        ("a = 1 = 2", 1, 7, 6),
        ("", 1, 1, 0),
        ("foo(1,)", 1, 7, 6),
        ("x in", 1, 5, 4),
        ("[1, 2", 1, 6, 5),
        ("a\nb", 2, 1, 2),
    ],
)
def test_syntax_error_positions(text: str, line: int, column: int, position: int) -> None:
    with pytest.raises(PqlSyntaxError) as info:
        compile_rule(text)
    error = info.value
    assert (error.line, error.column, error.position) == (line, column, position)
    assert error.code == "pql_syntax_error"
    assert f"line {line}, column {column} (offset {position})" in str(error)
    assert error.text == text


def test_syntax_error_lists_what_was_expected() -> None:
    with pytest.raises(PqlSyntaxError) as info:
        compile_rule("a = = b")
    assert "'('" in info.value.reason


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("nope(1)", 0),
        ("a and frobnicate()", 6),
        ("person.name.frob()", 12),
        ("if(true, 1)", 0),
        ("x.equals()", 2),
        ("x.equals(1, 2, 3)", 2),
        ("now(1)", 0),
        ('date("2024-13-01")', 0),
        ('date("2024-01-01", 2)', 0),
        ("date(1)", 0),
        ('datetime("yesterday")', 0),
        ('x.matches("[")', 2),
        ("x.matches(1)", 2),
        ('x.matches("[" + "")', 2),
        ("a and and", 6),
        ("true = null and not", 19),
    ],
)
def test_compile_errors(text: str, position: int) -> None:
    with pytest.raises(PqlSyntaxError) as info:
        compile_rule(text)
    assert info.value.position == position


def test_unknown_function_is_a_compile_error() -> None:
    with pytest.raises(PqlCompileError) as info:
        compile_rule("  lookAhead(3)")
    assert info.value.code == "pql_compile_error"
    assert "lookAhead" in str(info.value)
    assert (info.value.line, info.value.column, info.value.position) == (1, 3, 2)


@pytest.mark.parametrize("text", ["x = null and in", "loyalty.and", "not.x"])
def test_keywords_are_reserved(text: str) -> None:
    with pytest.raises(PqlSyntaxError):
        compile_rule(text)


def test_parser_is_built_once() -> None:
    from offer_catalog.decisioning.pql.parser import _parser

    assert _parser() is _parser()
