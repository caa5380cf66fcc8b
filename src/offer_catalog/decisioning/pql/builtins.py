"""Built-in PQL functions (`if(...)`, `inSegment(...)`, `date(...)`) and methods (`x.equals(...)`).

Each is an element-wise value function where possible (`apply` builds its closure and records it as
the node's `op`, for batch evaluation); `inSegment` and `now` read the environment instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from offer_catalog.decisioning.pql import ops
from offer_catalog.decisioning.pql.nodes import Node, Site, combine, constant
from offer_catalog.decisioning.pql.values import (
    MISSING,
    Env,
    alternate_key,
    compare,
    instant,
    is_number,
    lookup,
)

Builder = Callable[[list[Node], Site], Node]


@dataclass(frozen=True, slots=True)
class Spec:
    """Arity bounds and the builder of one function or method (`max_args=None`: unbounded)."""

    min_args: int
    max_args: int | None
    build: Builder


def apply(op: Callable[..., Any], args: list[Node]) -> Node:
    """A node computing `op(*values of args)`."""
    if len(args) == 1:
        f = args[0].fn
        return combine(lambda env: op(f(env)), *args, op=op)
    if len(args) == 2:
        f, g = args[0].fn, args[1].fn
        return combine(lambda env: op(f(env), g(env)), *args, op=op)
    fns = [a.fn for a in args]
    return combine(lambda env: op(*[f(env) for f in fns]), *args, op=op)


def _value_builder(op: Callable[..., Any]) -> Builder:
    return lambda args, _site: apply(op, args)


# ---- value functions ------------------------------------------------------------------------


def exists(value: Any) -> bool:
    """Present and not null."""
    return value is not MISSING and value is not None


def is_null(value: Any) -> bool:
    """Missing or null."""
    return value is MISSING or value is None


def size_of(value: Any) -> Any:
    """Length of a list, map or string."""
    if isinstance(value, list | tuple | str | Mapping):
        return len(value)
    return MISSING


def absolute(value: Any) -> Any:
    """`abs()` of a number."""
    return abs(value) if is_number(value) else MISSING


def _extreme(sign: int) -> Callable[..., Any]:
    def extreme(*values: Any) -> Any:
        best: Any = MISSING
        for value in values:
            order = compare(value, best) if best is not MISSING else sign
            if order is MISSING:
                return MISSING
            if order == sign:
                best = value
        return best

    return extreme


def item(container: Any, key: Any) -> Any:
    """`container[key]` for a mapping (str key, either spelling) or a list (int index); else MISSING."""
    if type(key) is str:
        return lookup(container, key, alternate_key(key))
    if type(key) is int and isinstance(container, list | tuple) and -len(container) <= key < len(container):
        return container[key]
    return MISSING


def _date_of(year: Any, month: Any, day: Any) -> Any:
    if not (type(year) is int and type(month) is int and type(day) is int):
        return MISSING
    try:
        return date(year, month, day)
    except ValueError:
        return MISSING


def _parse_datetime(text: str) -> datetime:
    parsed = instant(text)
    if parsed is None:
        raise ValueError(text)
    return parsed


def _parser(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
    def parsed(value: Any) -> Any:
        if not isinstance(value, str):
            return MISSING
        try:
            return parse(value)
        except ValueError:
            return MISSING

    return parsed


def _full_match(regex: re.Pattern[str], value: Any) -> Any:
    return regex.fullmatch(value) is not None if type(value) is str else MISSING


def _dynamic_match(value: Any, pattern: Any) -> Any:
    if type(pattern) is not str:
        return MISSING
    try:
        return _full_match(re.compile(pattern), value)
    except re.error:
        return MISSING


def _string_test(test: Callable[[str, str], bool]) -> Callable[..., Any]:
    """A string predicate with an optional trailing `caseSensitive` flag (default true)."""

    def string_test(left: Any, right: Any, sensitive: Any = True) -> Any:
        if type(left) is not str or type(right) is not str or type(sensitive) is not bool:
            return MISSING
        if not sensitive:
            left, right = left.casefold(), right.casefold()
        return test(left, right)

    return string_test


# ---- builders that need compile-time work ---------------------------------------------------


def _in_segment(args: list[Node], _site: Site) -> Node:
    arg = args[0]
    if arg.const and isinstance(arg.value, str):
        segment: str = arg.value
        return combine(lambda env: segment in env.segments(), fold=False, env=True)
    f = arg.fn

    def dynamic(env: Env) -> Any:
        value = f(env)
        return value in env.segments() if isinstance(value, str) else MISSING

    return combine(dynamic, arg, fold=False, env=True)


def _now(_args: list[Node], _site: Site) -> Node:
    return combine(lambda env: MISSING if env.now is None else env.now, fold=False, env=True)


def _temporal(parse: Callable[[str], Any], kind: str) -> Builder:
    parsed = _parser(parse)

    def build(args: list[Node], site: Site) -> Node:
        if len(args) == 2:
            raise site.error(f"{site.name}() takes 1 or 3 arguments")
        if len(args) == 3:
            return apply(_date_of, args)
        arg = args[0]
        if arg.const:
            value = parsed(arg.value)
            if value is MISSING:
                raise site.error(f"invalid {kind} literal {arg.value!r}")
            return constant(value)
        return apply(parsed, args)

    return build


def _matches(args: list[Node], site: Site) -> Node:
    recv, pattern = args
    if not pattern.const:
        return apply(_dynamic_match, args)
    if not isinstance(pattern.value, str):
        raise site.error("matches() takes a string pattern")
    try:
        regex = re.compile(pattern.value)
    except re.error as exc:
        raise site.error(f"invalid regular expression: {exc}") from None
    return apply(lambda value: _full_match(regex, value), [recv])


def _get(args: list[Node], _site: Site) -> Node:
    recv, key = args
    if key.const and isinstance(key.value, str):
        name: str = key.value
        alt = alternate_key(name)
        return apply(lambda container: lookup(container, name, alt), [recv])
    return apply(item, args)


FUNCTIONS: dict[str, Spec] = {
    "if": Spec(3, 3, _value_builder(ops.if_)),
    "exists": Spec(1, 1, _value_builder(exists)),
    "isNull": Spec(1, 1, _value_builder(is_null)),
    "isNotNull": Spec(1, 1, _value_builder(exists)),
    "inSegment": Spec(1, 1, _in_segment),
    "date": Spec(1, 3, _temporal(date.fromisoformat, "date")),
    "datetime": Spec(1, 1, _temporal(_parse_datetime, "datetime")),
    "now": Spec(0, 0, _now),
    "count": Spec(1, 1, _value_builder(size_of)),
    "abs": Spec(1, 1, _value_builder(absolute)),
    "min": Spec(1, None, _value_builder(_extreme(-1))),
    "max": Spec(1, None, _value_builder(_extreme(1))),
}

# Methods: args[0] is the receiver.
METHODS: dict[str, Spec] = {
    "equals": Spec(1, 2, _value_builder(_string_test(str.__eq__))),
    "notEqualTo": Spec(1, 2, _value_builder(_string_test(str.__ne__))),
    "contains": Spec(1, 2, _value_builder(_string_test(str.__contains__))),
    "startsWith": Spec(1, 2, _value_builder(_string_test(str.startswith))),
    "endsWith": Spec(1, 2, _value_builder(_string_test(str.endswith))),
    "matches": Spec(1, 1, _matches),
    "exists": Spec(0, 0, _value_builder(exists)),
    "isNull": Spec(0, 0, _value_builder(is_null)),
    "isNotNull": Spec(0, 0, _value_builder(exists)),
    "get": Spec(1, 1, _get),
    "size": Spec(0, 0, _value_builder(size_of)),
    "count": Spec(0, 0, _value_builder(size_of)),
}
