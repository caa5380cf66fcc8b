"""Reading attribute paths: from the profile, offer or context, a bound variable, or an array element."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from offer_catalog.decisioning.pql.nodes import Fn, Node
from offer_catalog.decisioning.pql.values import MISSING, Env, alternate_key, lookup


def walker(keys: list[str]) -> Callable[[Any], Any]:
    """A function following `keys` from a value (each key in either spelling); MISSING on a miss."""
    steps = tuple((key, alternate_key(key)) for key in keys)

    def walk(obj: Any) -> Any:
        for key, alt in steps:
            if type(obj) is not dict and not isinstance(obj, Mapping):
                return MISSING
            value = obj.get(key, MISSING)
            if value is MISSING:
                if alt is None:
                    return MISSING
                value = obj.get(alt, MISSING)
                if value is MISSING:
                    return MISSING
            obj = value
        return obj

    return walk


def scoped_path(keys: list[str]) -> Node:
    """A name inside a per-element argument: a field of the element, else the element's own name
    followed by fields (`order.price` on an order), else a profile attribute."""
    walk, rest = walker(keys), walker(keys[1:])
    first, second = keys[0], keys[1] if len(keys) > 1 else None
    alt, alt2 = alternate_key(first), None if second is None else alternate_key(second)

    def read(env: Env) -> Any:
        element = env.item
        if isinstance(element, Mapping):
            if lookup(element, first, alt) is not MISSING:
                return walk(element)
            if second is not None and lookup(element, second, alt2) is not MISSING:
                return rest(element)
        return walk(env.profile)

    return Node(read, uses_env=True)


def var_path(name: str, keys: list[str]) -> Node:
    """`keys` followed from the value of the bound variable `name`."""
    walk = walker(keys)
    return Node(lambda env: walk(env.vars.get(name, MISSING)), uses_env=True)


def path(root: Fn, keys: list[str], *, offer: bool) -> Node:
    """`keys` followed from `root(env)` (the profile, the offer, the context data)."""
    walk = walker(keys)
    return Node(lambda env: walk(root(env)), uses_offer=offer, uses_env=not offer)
