"""Compiled expression nodes: a closure over `Env` plus what the compiler knows about it.

Besides its closure, a node records whether it reads the offer (`uses_offer`) or the rest of the
environment (`uses_env`: profile, context, clock), its children, and `op`: the element-wise function
of its children's values, when it is one. `batch.py` uses these to evaluate an expression for many
offers at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from offer_catalog.decisioning.pql.errors import PqlCompileError
from offer_catalog.decisioning.pql.values import Env

Fn = Callable[[Env], Any]

_FOLD_ENV = Env()


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """One compiled sub-expression; `const` nodes hold their value and are folded into parents."""

    fn: Fn
    const: bool = False
    value: Any = None
    uses_offer: bool = False
    uses_env: bool = False
    op: Callable[..., Any] | None = None
    children: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class Site:
    """Where a function or method call sits in the source, for compile errors."""

    text: str
    position: int
    name: str

    def error(self, reason: str) -> PqlCompileError:
        """A compile error located at this call."""
        return PqlCompileError(reason, text=self.text, position=self.position)


def constant(value: Any) -> Node:
    """A node that always yields `value`."""
    return Node(lambda _env: value, const=True, value=value)


def combine(
    fn: Fn, *children: Node, fold: bool = True, op: Callable[..., Any] | None = None, env: bool = False
) -> Node:
    """A node computed from `children`; folded to a constant when they all are and `fold` is set.

    `op`, when given, computes the node from its children's values alone; `env` marks a node that
    reads the environment itself (the clock, segment membership).
    """
    if fold and all(child.const for child in children):
        return constant(fn(_FOLD_ENV))
    return Node(
        fn,
        uses_offer=any(child.uses_offer for child in children),
        uses_env=env or any(child.uses_env for child in children),
        op=op,
        children=children,
    )


def apply(op: Callable[..., Any], args: list[Node]) -> Node:
    """A node computing `op(*values of args)`, element-wise (its `op` serves batch evaluation)."""
    if len(args) == 1:
        f = args[0].fn
        return combine(lambda env: op(f(env)), *args, op=op)
    if len(args) == 2:
        f, g = args[0].fn, args[1].fn
        return combine(lambda env: op(f(env), g(env)), *args, op=op)
    fns = [a.fn for a in args]
    return combine(lambda env: op(*[f(env) for f in fns]), *args, op=op)
