"""Built-in PQL functions (`if(...)`, `inSegment(...)`, `date(...)`) and methods (`x.equals(...)`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from offer_catalog.decisioning.pql.errors import PqlCompileError
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


# ---- functions ------------------------------------------------------------------------------


def _if(args: list[Node], _site: Site) -> Node:
    cond, then, other = (a.fn for a in args)
    return combine(lambda env: then(env) if cond(env) is True else other(env), *args)


def _exists(args: list[Node], _site: Site) -> Node:
    f = args[0].fn

    def fn(env: Env) -> bool:
        value = f(env)
        return value is not MISSING and value is not None

    return combine(fn, *args)


def _is_null(args: list[Node], _site: Site) -> Node:
    f = args[0].fn

    def fn(env: Env) -> bool:
        value = f(env)
        return value is MISSING or value is None

    return combine(fn, *args)


def _in_segment(args: list[Node], _site: Site) -> Node:
    arg = args[0]
    if arg.const and isinstance(arg.value, str):
        segment: str = arg.value
        return combine(lambda env: segment in env.segments(), fold=False)
    f = arg.fn

    def dynamic(env: Env) -> Any:
        value = f(env)
        return value in env.segments() if isinstance(value, str) else MISSING

    return combine(dynamic, arg, fold=False)


def _temporal(parse: Callable[[str], Any], kind: str) -> Builder:
    def build(args: list[Node], site: Site) -> Node:
        arg = args[0]
        if len(args) == 2:
            raise PqlCompileError(
                f"{site.name}() takes 1 or 3 arguments", text=site.text, position=site.position
            )
        if len(args) == 3:
            parts = [a.fn for a in args]
            return combine(lambda env: _date_of(*(p(env) for p in parts)), *args)
        if arg.const:
            value = _parse_or_none(parse, arg.value)
            if value is None:
                raise PqlCompileError(
                    f"invalid {kind} literal {arg.value!r}", text=site.text, position=site.position
                )
            return constant(value)
        f = arg.fn
        return combine(lambda env: _parse_or_missing(parse, f(env)), arg)

    return build


def _parse_or_none(parse: Callable[[str], Any], value: Any) -> Any:
    if not isinstance(value, str):
        return None
    try:
        return parse(value)
    except ValueError:
        return None


def _parse_or_missing(parse: Callable[[str], Any], value: Any) -> Any:
    parsed = _parse_or_none(parse, value)
    return MISSING if parsed is None else parsed


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


def _now(_args: list[Node], _site: Site) -> Node:
    return combine(lambda env: MISSING if env.now is None else env.now, fold=False)


def _size_of(value: Any) -> Any:
    if isinstance(value, list | tuple | str | Mapping):
        return len(value)
    return MISSING


def _count(args: list[Node], _site: Site) -> Node:
    f = args[0].fn
    return combine(lambda env: _size_of(f(env)), *args)


def _abs(args: list[Node], _site: Site) -> Node:
    f = args[0].fn

    def fn(env: Env) -> Any:
        value = f(env)
        return abs(value) if is_number(value) else MISSING

    return combine(fn, *args)


def _extreme(sign: int) -> Builder:
    def build(args: list[Node], _site: Site) -> Node:
        fns = [a.fn for a in args]

        def fn(env: Env) -> Any:
            best: Any = MISSING
            for f in fns:
                value = f(env)
                order = compare(value, best) if best is not MISSING else sign
                if order is MISSING:
                    return MISSING
                if order == sign:
                    best = value
            return best

        return combine(fn, *args)

    return build


FUNCTIONS: dict[str, Spec] = {
    "if": Spec(3, 3, _if),
    "exists": Spec(1, 1, _exists),
    "isNull": Spec(1, 1, _is_null),
    "isNotNull": Spec(1, 1, _exists),
    "inSegment": Spec(1, 1, _in_segment),
    "date": Spec(1, 3, _temporal(date.fromisoformat, "date")),
    "datetime": Spec(1, 1, _temporal(_parse_datetime, "datetime")),
    "now": Spec(0, 0, _now),
    "count": Spec(1, 1, _count),
    "abs": Spec(1, 1, _abs),
    "min": Spec(1, None, _extreme(-1)),
    "max": Spec(1, None, _extreme(1)),
}


# ---- methods: args[0] is the receiver ------------------------------------------------------


def _string_method(test: Callable[[str, str], bool]) -> Builder:
    """A string predicate with an optional trailing `caseSensitive` flag (default true)."""

    def build(args: list[Node], _site: Site) -> Node:
        recv, other = args[0].fn, args[1].fn
        flag = args[2].fn if len(args) == 3 else None

        def fn(env: Env) -> Any:
            left, right = recv(env), other(env)
            if type(left) is not str or type(right) is not str:
                return MISSING
            if flag is not None:
                sensitive = flag(env)
                if type(sensitive) is not bool:
                    return MISSING
                if not sensitive:
                    left, right = left.casefold(), right.casefold()
            return test(left, right)

        return combine(fn, *args)

    return build


def _matches(args: list[Node], site: Site) -> Node:
    recv, pattern = args
    f = recv.fn
    if pattern.const:
        try:
            regex = re.compile(pattern.value) if isinstance(pattern.value, str) else None
        except re.error as exc:
            raise PqlCompileError(
                f"invalid regular expression: {exc}", text=site.text, position=site.position
            ) from None
        if regex is None:
            raise PqlCompileError("matches() takes a string pattern", text=site.text, position=site.position)
        compiled = regex
        return combine(lambda env: _full_match(compiled, f(env)), recv)
    p = pattern.fn
    return combine(lambda env: _dynamic_match(f(env), p(env)), *args)


def _full_match(regex: re.Pattern[str], value: Any) -> Any:
    return regex.fullmatch(value) is not None if type(value) is str else MISSING


def _dynamic_match(value: Any, pattern: Any) -> Any:
    if type(pattern) is not str:
        return MISSING
    try:
        return _full_match(re.compile(pattern), value)
    except re.error:
        return MISSING


def _get(args: list[Node], _site: Site) -> Node:
    recv, key = args
    f = recv.fn
    if key.const and isinstance(key.value, str):
        name: str = key.value
        alt = alternate_key(name)
        return combine(lambda env: lookup(f(env), name, alt), recv)
    k = key.fn
    return combine(lambda env: item(f(env), k(env)), *args)


def item(container: Any, key: Any) -> Any:
    """`container[key]` for a mapping (str key, either spelling) or a list (int index); else MISSING."""
    if type(key) is str:
        return lookup(container, key, alternate_key(key))
    if type(key) is int and isinstance(container, list | tuple) and -len(container) <= key < len(container):
        return container[key]
    return MISSING


METHODS: dict[str, Spec] = {
    "equals": Spec(1, 2, _string_method(str.__eq__)),
    "notEqualTo": Spec(1, 2, _string_method(str.__ne__)),
    "contains": Spec(1, 2, _string_method(str.__contains__)),
    "startsWith": Spec(1, 2, _string_method(str.startswith)),
    "endsWith": Spec(1, 2, _string_method(str.endswith)),
    "matches": Spec(1, 1, _matches),
    "exists": Spec(0, 0, _exists),
    "isNull": Spec(0, 0, _is_null),
    "isNotNull": Spec(0, 0, _exists),
    "get": Spec(1, 1, _get),
    "size": Spec(0, 0, _count),
    "count": Spec(0, 0, _count),
}
