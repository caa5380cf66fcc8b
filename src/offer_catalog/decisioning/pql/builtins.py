"""Built-in PQL functions (`if(...)`, `inSegment(...)`, `date(...)`) and methods (`x.equals(...)`).

String functions live in `strings.py`, arrays and maps in `arrays.py`, dates and times in `temporal.py`;
this module gathers them into the `FUNCTIONS` and `METHODS` tables the compiler looks names up in.

Each is an element-wise value function where possible (`apply` builds its closure and records it as
the node's `op`, for batch evaluation); `inSegment` and `now` read the environment instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from offer_catalog.decisioning.pql import arrays, ops, strings, temporal
from offer_catalog.decisioning.pql.nodes import Node, Site, apply, combine, constant
from offer_catalog.decisioning.pql.values import (
    MISSING,
    Env,
    alternate_key,
    extreme,
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
    return lambda *values: extreme(values, sign)


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
    except (ValueError, OverflowError):  # OverflowError: a profile's integer beyond a C long
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


def _get(args: list[Node], _site: Site) -> Node:
    recv, key = args
    if key.const and isinstance(key.value, str):
        name: str = key.value
        alt = alternate_key(name)
        return apply(lambda container: lookup(container, name, alt), [recv])
    return apply(item, args)


def _clock(read: Callable[[Any], Any]) -> Builder:
    fn = temporal.current(read)
    return lambda _args, _site: combine(fn, fold=False, env=True)


def _string_specs() -> dict[str, Spec]:
    specs = {
        name: Spec(1, 2, _value_builder(strings.string_test(test)))
        for name, test in strings.STRING_TESTS.items()
    }
    specs["matches"] = Spec(1, 1, strings.matches)
    specs["regexGroup"] = Spec(1, 2, strings.regex_group)
    return specs


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
    "currentYear": Spec(0, 0, _clock(temporal.get_year)),
    "currentMonth": Spec(0, 0, _clock(temporal.get_month)),
    "currentDayOfMonth": Spec(0, 0, _clock(temporal.get_day_of_month)),
}

# Methods: args[0] is the receiver.
METHODS: dict[str, Spec] = {
    **_string_specs(),
    "exists": Spec(0, 0, _value_builder(exists)),
    "isNull": Spec(0, 0, _value_builder(is_null)),
    "isNotNull": Spec(0, 0, _value_builder(exists)),
    "get": Spec(1, 1, _get),
    "size": Spec(0, 0, _value_builder(size_of)),
    "count": Spec(0, 0, _value_builder(size_of)),
    "getYear": Spec(0, 0, _value_builder(temporal.get_year)),
    "getMonth": Spec(0, 0, _value_builder(temporal.get_month)),
    "getDayOfMonth": Spec(0, 0, _value_builder(temporal.get_day_of_month)),
    "includes": Spec(1, 1, _value_builder(arrays.includes)),
    "intersects": Spec(1, 1, _value_builder(arrays.intersects)),
    "intersection": Spec(1, 1, _value_builder(arrays.intersection)),
    "subsetOf": Spec(1, 1, _value_builder(arrays.subset_of)),
    "supersetOf": Spec(1, 1, _value_builder(arrays.superset_of)),
    "distinct": Spec(0, 0, _value_builder(arrays.distinct)),
    "head": Spec(0, 0, _value_builder(arrays.head)),
    "first": Spec(0, 0, _value_builder(arrays.head)),
    "last": Spec(0, 0, _value_builder(arrays.last)),
    "keys": Spec(0, 0, _value_builder(arrays.keys)),
    "values": Spec(0, 0, _value_builder(arrays.values)),
}
