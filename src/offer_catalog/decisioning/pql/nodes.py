"""Compiled expression nodes: a closure over `Env` plus what the compiler knows about it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from offer_catalog.decisioning.pql.values import Env

Fn = Callable[[Env], Any]

_FOLD_ENV = Env()


@dataclass(frozen=True, slots=True)
class Node:
    """One compiled sub-expression; `const` nodes hold their value and are folded into parents."""

    fn: Fn
    const: bool = False
    value: Any = None
    uses_offer: bool = False


@dataclass(frozen=True, slots=True)
class Site:
    """Where a function or method call sits in the source, for compile errors."""

    text: str
    position: int
    name: str


def constant(value: Any) -> Node:
    """A node that always yields `value`."""
    return Node(lambda _env: value, const=True, value=value)


def combine(fn: Fn, *children: Node, fold: bool = True) -> Node:
    """A node computed from `children`; folded to a constant when they all are and `fold` is set."""
    if fold and all(child.const for child in children):
        return constant(fn(_FOLD_ENV))
    return Node(fn, uses_offer=any(child.uses_offer for child in children))
