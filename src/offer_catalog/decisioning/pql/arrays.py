"""PQL array, list, set and map functions (`includes`, `intersection`, `filter`, `topN`, `keys`...).

Methods whose argument is evaluated once per element (`filter`, `map`, `groupBy`, `topN`, `bottomN`,
`count`, `sum`, `average`, `min`, `max`) are `ItemMethod`s: the compiler compiles their leading
arguments with the element in scope (`env.item`) and calls `build(receiver, args)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from offer_catalog.decisioning.pql.nodes import Fn, Node, apply, combine
from offer_catalog.decisioning.pql.values import (
    MISSING,
    Env,
    equals,
    extreme,
    is_number,
    member,
    truth,
)


def as_list(value: Any) -> list[Any] | None:
    """A list or tuple as a list; None for anything else."""
    return list(value) if isinstance(value, list | tuple) else None


def per_item(env: Env, items: list[Any], fn: Fn) -> list[Any]:
    """`fn` evaluated with each element as `env.item`, in order."""
    saved = env.item
    out = []
    for element in items:
        env.item = element
        out.append(fn(env))
    env.item = saved
    return out


def _hashable(value: Any) -> bool:
    return type(value) in (str, int, float, bool) or value is None


def distinct(value: Any) -> Any:
    """The elements without repeats (first occurrence kept, `=` semantics across int/float)."""
    items = as_list(value)
    if items is None:
        return MISSING
    out: list[Any] = []
    seen: set[Any] = set()
    for element in items:
        if _hashable(element) and type(element) is not bool:
            if element in seen:
                continue
            seen.add(element)
        elif any(type(o) is type(element) and o == element for o in out):
            continue
        out.append(element)
    return out


def includes(value: Any, needle: Any) -> Any:
    """`array.includes(item)`: `item in array`."""
    return member(needle, value)


def _both(a: Any, b: Any) -> tuple[list[Any], list[Any]] | None:
    left, right = as_list(a), as_list(b)
    return None if left is None or right is None else (left, right)


def intersects(a: Any, b: Any) -> Any:
    """True when the two arrays share an element."""
    pair = _both(a, b)
    if pair is None:
        return MISSING
    return any(equals(x, y) is True for x in pair[0] for y in pair[1])


def intersection(a: Any, b: Any) -> Any:
    """The distinct elements of `a` that are in `b`, in `a`'s order."""
    pair = _both(a, b)
    if pair is None:
        return MISSING
    return [x for x in distinct(pair[0]) if member(x, pair[1]) is True]


def subset_of(a: Any, b: Any) -> Any:
    """True when every element of `a` is in `b`."""
    pair = _both(a, b)
    if pair is None:
        return MISSING
    return all(member(x, pair[1]) is True for x in pair[0])


def superset_of(a: Any, b: Any) -> Any:
    """True when every element of `b` is in `a`."""
    return subset_of(b, a)


def head(value: Any) -> Any:
    """The first element; MISSING for an empty array."""
    items = as_list(value)
    return items[0] if items else MISSING


def last(value: Any) -> Any:
    """The last element; MISSING for an empty array."""
    items = as_list(value)
    return items[-1] if items else MISSING


def keys(value: Any) -> Any:
    """The keys of a map."""
    return list(value.keys()) if isinstance(value, Mapping) else MISSING


def values(value: Any) -> Any:
    """The values of a map."""
    return list(value.values()) if isinstance(value, Mapping) else MISSING


# ---- methods with a per-element argument ---------------------------------------------------------

Reducer = Callable[[list[Any], list[Any]], Any]  # (elements, per-element values) -> result


@dataclass(frozen=True, slots=True)
class ItemMethod:
    """A method whose first `scoped` arguments are evaluated per element; `reduce` combines them."""

    min_args: int
    max_args: int
    scoped: int
    reduce: Reducer

    def build(self, receiver: Node, args: list[Node]) -> Node:
        """The node: receiver elements, per-element values of the scoped arguments, then `reduce`."""
        rf = receiver.fn
        reduce = self.reduce
        if not args:
            return apply(lambda value: _no_arg(reduce, value), [receiver])
        fns = [a.fn for a in args]
        scoped = self.scoped

        def run(env: Env) -> Any:
            items = as_list(rf(env))
            if items is None:
                return MISSING
            columns = [per_item(env, items, f) for f in fns[:scoped]]
            plain = [f(env) for f in fns[scoped:]]
            return reduce(items, [*columns, *plain])

        return combine(run, receiver, *args, fold=False, env=True)


def _no_arg(reduce: Reducer, value: Any) -> Any:
    items = as_list(value)
    return MISSING if items is None else reduce(items, [items])


def _filter(items: list[Any], args: list[Any]) -> Any:
    return [e for e, keep in zip(items, args[0], strict=True) if truth(keep) is True]


def _map(_items: list[Any], args: list[Any]) -> Any:
    return list(args[0])


def _group_by(items: list[Any], args: list[Any]) -> Any:
    groups: dict[Any, list[Any]] = {}
    for element, key in zip(items, args[0], strict=True):
        if _hashable(key) and key is not None:
            groups.setdefault(key, []).append(element)
    return groups


def _ranked(descending: bool) -> Reducer:
    def ranked(items: list[Any], args: list[Any]) -> Any:
        amount = args[1]
        if type(amount) is not int or amount < 0:
            return MISSING
        pairs = [(key, e) for e, key in zip(items, args[0], strict=True) if is_number(key)]
        pairs.sort(key=lambda pair: pair[0], reverse=descending)
        return [e for _key, e in pairs[:amount]]

    return ranked


def _count(_items: list[Any], args: list[Any]) -> Any:
    return sum(1 for v in args[0] if truth(v) is True)


def _numbers(args: list[Any]) -> list[Any]:
    return [v for v in args[0] if is_number(v)]


def _sum(_items: list[Any], args: list[Any]) -> Any:
    try:
        return sum(_numbers(args))
    except OverflowError:
        return MISSING


def _average(items: list[Any], args: list[Any]) -> Any:
    numbers = _numbers(args)
    total = _sum(items, args)
    return MISSING if not numbers or total is MISSING else total / len(numbers)


def _extreme(sign: int) -> Reducer:
    # Missing and null elements are skipped; any other value that does not compare makes it MISSING.
    return lambda _items, args: extreme((v for v in args[0] if v is not MISSING and v is not None), sign)


ITEM_METHODS: dict[str, ItemMethod] = {
    "filter": ItemMethod(1, 1, 1, _filter),
    "map": ItemMethod(1, 1, 1, _map),
    "groupBy": ItemMethod(1, 1, 1, _group_by),
    "topN": ItemMethod(2, 2, 1, _ranked(True)),
    "bottomN": ItemMethod(2, 2, 1, _ranked(False)),
    "count": ItemMethod(0, 1, 1, _count),
    "sum": ItemMethod(0, 1, 1, _sum),
    "average": ItemMethod(0, 1, 1, _average),
    "avg": ItemMethod(0, 1, 1, _average),
    "min": ItemMethod(0, 1, 1, _extreme(-1)),
    "max": ItemMethod(0, 1, 1, _extreme(1)),
}


def _count_present(_items: list[Any], args: list[Any]) -> Any:
    return sum(1 for v in args[0] if v is not MISSING and v is not None)


#: `sum X.price over X from xEvent where ...`: reducers over the selected elements' values.
AGGREGATES: dict[str, Reducer] = {
    "count": _count_present,
    "sum": _sum,
    "avg": _average,
    "average": _average,
    "min": _extreme(-1),
    "max": _extreme(1),
}
