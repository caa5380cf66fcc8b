"""Evaluate one compiled expression for a fixed list of offers at once (ranking formulas).

`Prepared(expr, offers)` is built once per snapshot: every maximal sub-expression that reads only the
offer (`offer.rank.priority * 2`, `offer.characteristics.get("city")`) is computed then, for all the
offers. `evaluate(env)` computes the profile-only parts once and the mixed nodes column-wise with
their element-wise `op`; a mixed node without one falls back to its closure, offer by offer. The
result equals `[expr.evaluate(env with offer=o) for o in offers]`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any

from offer_catalog.decisioning.pql import ops
from offer_catalog.decisioning.pql.compiler import CompiledExpr
from offer_catalog.decisioning.pql.nodes import Node
from offer_catalog.decisioning.pql.values import Env, Selection, equals

_Part = tuple[bool, Callable[[Env], Any]]  # (is a column, producer)


class Prepared:
    """An expression bound to a list of offer bodies; `evaluate(env)` returns one value per offer."""

    __slots__ = ("_fn", "size")

    def __init__(self, expr: CompiledExpr, offers: Sequence[Mapping[str, Any]]) -> None:
        self.size = len(offers)
        column, fn = _plan(expr.node, tuple(offers))
        size = self.size
        self._fn: Callable[[Env], list[Any]] = fn if column else (lambda env: [fn(env)] * size)

    def evaluate(self, env: Env) -> list[Any]:
        """The expression's value for each offer, in order (a read-only list)."""
        return self._fn(env)


def _plan(node: Node, offers: tuple[Mapping[str, Any], ...]) -> _Part:
    if not node.uses_offer:
        return False, node.fn
    if not node.uses_env:
        scratch = Env()
        fixed = []
        for body in offers:
            scratch.offer = body
            fixed.append(node.fn(scratch))
        return True, lambda _env: fixed
    if node.op is not None:
        return True, _columns(node.op, [_plan(child, offers) for child in node.children], len(offers))
    return True, _rows(node.fn, offers)


def _columns(op: Callable[..., Any], parts: list[_Part], size: int) -> Callable[[Env], list[Any]]:
    inline = _INLINE.get(op)

    def column(env: Env) -> list[Any]:
        values = [(is_column, fn(env)) for is_column, fn in parts]
        if inline is not None:
            try:
                return inline(*_broadcast(values, size))
            except OverflowError:  # an int too large for float arithmetic: let `op` decide per element
                pass
        return list(map(op, *_broadcast(values, size)))

    return column


def _broadcast(values: list[tuple[bool, Any]], size: int) -> list[Any]:
    return [value if is_column else repeat(value, size) for is_column, value in values]


# Hot element-wise operators written as comprehensions: the common case runs without a call.
# Only exact int/float operands take the fast path; + - * on them can only raise OverflowError
# (int/float mixes beyond float range), handled above by falling back to the element-wise `op`.
_SIMPLE = (str, int, float)
_NUMBERS = (int, float)


def _if_column(cond: Iterable[Any], then: Iterable[Any], other: Iterable[Any]) -> list[Any]:
    return [
        a if c is True or (type(c) is Selection and c) else b
        for c, a, b in zip(cond, then, other, strict=False)
    ]


def _eq_column(left: Iterable[Any], right: Iterable[Any]) -> list[Any]:
    return [
        a == b if type(a) is type(b) and type(a) in _SIMPLE else equals(a, b)
        for a, b in zip(left, right, strict=False)
    ]


def _arith_column(op: Callable[[Any, Any], Any], raw: Callable[[Any, Any], Any]) -> Callable[..., list[Any]]:
    def column(left: Iterable[Any], right: Iterable[Any]) -> list[Any]:
        return [
            raw(a, b) if type(a) in _NUMBERS and type(b) in _NUMBERS else op(a, b)
            for a, b in zip(left, right, strict=False)
        ]

    return column


_INLINE: dict[Callable[..., Any], Callable[..., list[Any]]] = {
    ops.if_: _if_column,
    equals: _eq_column,
    ops.add: _arith_column(ops.add, operator.add),
    ops.sub: _arith_column(ops.sub, operator.sub),
    ops.mul: _arith_column(ops.mul, operator.mul),
}


def _rows(fn: Callable[[Env], Any], offers: tuple[Mapping[str, Any], ...]) -> Callable[[Env], list[Any]]:
    def rows(env: Env) -> list[Any]:
        saved = env.offer
        out = []
        for body in offers:
            env.offer = body
            out.append(fn(env))
        env.offer = saved
        return out

    return rows
