"""PQL compile errors: syntax errors carry line/column/offset; unknown functions fail at compile time."""

from __future__ import annotations

from typing import TypeVar

import pytest

from offer_catalog.decisioning.pql import PqlCompileError, PqlSyntaxError, compile_rule
from offer_catalog.decisioning.pql.errors import PqlUnsupportedError

E = TypeVar("E", bound=PqlSyntaxError)


def compile_error(text: str, kind: type[E]) -> E:
    """The error compile_rule raises for text; it must be a `kind`."""
    with pytest.raises(kind) as info:
        compile_rule(text)
    return info.value


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
    error = compile_error(text, PqlSyntaxError)
    assert (error.line, error.column, error.position) == (line, column, position)
    assert error.code == "pql_syntax_error"
    assert f"line {line}, column {column} (offset {position})" in str(error)
    assert error.text == text


def test_syntax_error_lists_what_was_expected() -> None:
    error = compile_error("a = = b", PqlSyntaxError)
    assert "'('" in error.reason


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
    error = compile_error(text, PqlSyntaxError)
    assert error.position == position


def test_unknown_function_is_a_compile_error() -> None:
    error = compile_error("  lookAhead(3)", PqlCompileError)
    assert error.code == "pql_compile_error"
    assert "lookAhead" in str(error)
    assert (error.line, error.column, error.position) == (1, 3, 2)


@pytest.mark.parametrize("text", ["x = null and in", "loyalty.and", "not.x"])
def test_keywords_are_reserved(text: str) -> None:
    with pytest.raises(PqlSyntaxError):
        compile_rule(text)


def test_parser_is_built_once() -> None:
    from offer_catalog.decisioning.pql.parser import _parser

    assert _parser() is _parser()


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("$2.homeAddress.city", 0, "one input parameter"),
        ("a and $3 = 1", 6, "one input parameter"),
        ("chain(xEvent, timestamp, [A])", 0, "chain() is not supported"),
        ("toInteger(loyalty.points) > 3", 0, "not part of PQL"),
        ("a or inDays(person.birthDate) < 3", 5, "use `occurs`"),
    ],
)
def test_unsupported_constructs_name_why(text: str, position: int, fragment: str) -> None:
    error = compile_error(text, PqlUnsupportedError)
    assert error.code == "pql_unsupported_function"
    assert error.position == position
    assert fragment in str(error)


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ('x.matches("(?=a)b")', 2, "RE2"),  # lookahead: not RE2 syntax
        ('x.matches("(a)\\\\1")', 2, "RE2"),  # backreference
        ('x.regexGroup("[")', 2, "RE2"),
        ("x.regexGroup(1)", 2, "string pattern"),
        ("x like 1", 0, "string pattern"),
        ("orders.filter()", 7, "filter()"),
        ("orders.topN(price)", 7, "topN()"),
        ("orders.map(a, b)", 7, "map()"),
        ("x.doesNotContain()", 2, "doesNotContain()"),
        ("currentMonth(1)", 0, "currentMonth()"),
        ("x.getYear(1)", 2, "getYear()"),
    ],
)
def test_function_compile_errors(text: str, position: int, fragment: str) -> None:
    error = compile_error(text, PqlCompileError)
    assert error.code == "pql_compile_error"
    assert error.position == position
    assert fragment in str(error)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("x occurs", 8),
        ("x occurs = 3 before now", 13),
        ("x occurs = 3 days now", 18),
        ("x occurs between today", 22),
        ("exists X from", 13),
        ("select X from xEvent where", 26),
        ("let S = 1 in", 12),
        ("x like", 6),
        ("!", 1),
        ("(P) =>", 6),
    ],
)
def test_clause_syntax_errors(text: str, position: int) -> None:
    error = compile_error(text, PqlSyntaxError)
    assert error.code == "pql_syntax_error"
    assert error.position == position


@pytest.mark.parametrize(
    "text",
    [
        "exists(x)",  # the function, not the quantifier
        "select.from",  # clause words are names where no clause can start
        "from = 1 and where = 2 and over = 3 and occurs = 4 and before = 5",
        "last = 1 and this.week = 2 and today.x = 3",
        "max (1, 2) = 2 and min (3) = 3",  # a call, even with a space before its parenthesis
        'count and min or not max and sum in [1] and avg like "%"',  # attributes named like aggregates
    ],
)
def test_clause_words_stay_names_elsewhere(text: str) -> None:
    compile_rule(text)


def test_like_with_a_non_string_pattern_points_at_the_comparison() -> None:
    error = compile_error("a and  person.name like 3", PqlCompileError)
    assert error.position == 7
