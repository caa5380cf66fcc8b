"""PQL string functions: case-optional tests and their negations, `like`, and RE2 regular expressions.

Regular expressions (`matches`, `regexGroup`, and `like` patterns) run on RE2, whose matching time is
linear in the input, so no rule can stall a decision however its pattern is written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import re2

from offer_catalog.decisioning.pql.nodes import Node, Site, apply
from offer_catalog.decisioning.pql.values import MISSING

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


#: Methods whose first argument is a regular expression: a literal keeps its regex escapes (`\\w`).
REGEX_METHODS = frozenset({"matches", "regexGroup"})
_REGEX_LITERAL_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "f": "\f"}


def regex_literal(raw: str) -> str:
    """The pattern a quoted regex literal spells: quotes, `\\\\`, `\\n` `\\t` `\\r` `\\f` and `\\uXXXX` are
    string escapes; any other escape (`\\w`, `\\d`, `\\.`, `\\b`) reaches the regex as written."""
    body, out, i = raw[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if (
                nxt == "u"
                and len(body) >= i + 6
                and all(c in "0123456789abcdefABCDEF" for c in body[i + 2 : i + 6])
            ):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_REGEX_LITERAL_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _negated(test: Callable[[str, str], bool]) -> Callable[[str, str], bool]:
    return lambda left, right: not test(left, right)


def string_test(test: Callable[[str, str], bool]) -> Callable[..., Any]:
    """A string predicate with an optional trailing `caseSensitive` flag (default true)."""

    def tester(left: Any, right: Any, sensitive: Any = True) -> Any:
        if type(left) is not str or type(right) is not str or type(sensitive) is not bool:
            return MISSING
        if not sensitive:
            left, right = left.casefold(), right.casefold()
        return test(left, right)

    return tester


_CONTAINS = str.__contains__
_STARTS = str.startswith
_ENDS = str.endswith

#: name -> predicate; each takes an optional `caseSensitive` flag.
STRING_TESTS: dict[str, Callable[[str, str], bool]] = {
    "equals": str.__eq__,
    "notEqualTo": str.__ne__,
    "contains": _CONTAINS,
    "startsWith": _STARTS,
    "endsWith": _ENDS,
    "doesNotContain": _negated(_CONTAINS),
    "doesNotStartWith": _negated(_STARTS),
    "doesNotEndWith": _negated(_ENDS),
    "notContains": _negated(_CONTAINS),
    "notStartsWith": _negated(_STARTS),
    "notEndsWith": _negated(_ENDS),
}


def compile_regex(pattern: str) -> Any:
    """An RE2 pattern; raises `ValueError` with RE2's reason when it is not valid RE2 syntax."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(reason) from None


@functools.lru_cache(maxsize=1024)
def _cached_regex(pattern: str) -> Any:
    try:
        return compile_regex(pattern)
    except ValueError:
        return None


def like_regex(pattern: str) -> str:
    """The regular expression of a `like` pattern: `%` any run of characters, `_` exactly one."""
    parts = []
    for char in pattern:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re2.escape(char))
    return "(?s)" + "".join(parts)


def _full_match(regex: Any, value: Any) -> Any:
    return regex.fullmatch(value) is not None if type(value) is str else MISSING


def _dynamic(make: Callable[[str], str]) -> Callable[[Any, Any], Any]:
    def match(value: Any, pattern: Any) -> Any:
        if type(pattern) is not str:
            return MISSING
        regex = _cached_regex(make(pattern))
        return MISSING if regex is None else _full_match(regex, value)

    return match


def _same(pattern: str) -> str:
    return pattern


def _pattern_node(args: list[Node], site: Site, make: Callable[[str], str]) -> Node:
    recv, pattern = args
    if not pattern.const:
        return apply(_dynamic(make), args)
    if not isinstance(pattern.value, str):
        raise site.error(f"{site.name}() takes a string pattern")
    try:
        regex = compile_regex(make(pattern.value))
    except ValueError as exc:
        raise site.error(f"invalid regular expression (RE2 syntax): {exc}") from None
    return apply(lambda value: _full_match(regex, value), [recv])


def matches(args: list[Node], site: Site) -> Node:
    """`s.matches(regex)`: the whole string matches (Java `String.matches`), on RE2."""
    return _pattern_node(args, site, _same)


def like(args: list[Node], site: Site) -> Node:
    """`s like pattern`: `%` and `_` wildcards, the whole string, case-sensitive."""
    return _pattern_node(args, site, like_regex)


def _group(value: Any, pattern: Any, group: Any = 0) -> Any:
    if type(value) is not str or type(pattern) is not str or type(group) is not int:
        return MISSING
    regex = _cached_regex(pattern)
    if regex is None or not 0 <= group <= regex.groups:
        return MISSING
    found = regex.search(value)
    if found is None:
        return MISSING
    text = found.group(group)
    return MISSING if text is None else text


def regex_group(args: list[Node], site: Site) -> Node:
    """`s.regexGroup(regex[, group])`: the text of `group` (default 0) in the first match."""
    pattern = args[1]
    if pattern.const:
        if not isinstance(pattern.value, str):
            raise site.error("regexGroup() takes a string pattern")
        try:
            compile_regex(pattern.value)
        except ValueError as exc:
            raise site.error(f"invalid regular expression (RE2 syntax): {exc}") from None
    return apply(_group, args)
