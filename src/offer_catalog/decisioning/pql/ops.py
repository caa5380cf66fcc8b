"""Element-wise PQL operators over values (MISSING-aware), shared by closures and batch evaluation."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from offer_catalog.decisioning.pql.values import MISSING, Selection, compare, equals, is_number, member, truth


def ne(left: Any, right: Any) -> Any:
    """PQL `!=`."""
    result = equals(left, right)
    return result if result is MISSING else not result


def _ordering(accept: Callable[[int], bool]) -> Callable[[Any, Any], Any]:
    def ordered(left: Any, right: Any) -> Any:
        result = compare(left, right)
        return result if result is MISSING else accept(result)

    return ordered


lt = _ordering(lambda c: c < 0)
le = _ordering(lambda c: c <= 0)
gt = _ordering(lambda c: c > 0)
ge = _ordering(lambda c: c >= 0)


def _arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    concat = op is operator.add

    def arith(a: Any, b: Any) -> Any:
        ta, tb = type(a), type(b)
        if ((ta is int or ta is float) and (tb is int or tb is float)) or (is_number(a) and is_number(b)):
            try:
                return op(a, b)
            except (ZeroDivisionError, OverflowError):
                return MISSING
        if concat and type(a) is str and type(b) is str:
            return a + b
        return MISSING

    return arith


add = _arith(operator.add)
sub = _arith(operator.sub)
mul = _arith(operator.mul)
div = _arith(operator.truediv)
mod = _arith(operator.mod)


def not_in(needle: Any, haystack: Any) -> Any:
    """PQL `notIn`: not a member, and neither side null (so not quite `not (a in b)`)."""
    if needle is None or haystack is None:
        return False
    found = member(needle, haystack)
    return found if found is MISSING else not found


def neg(value: Any) -> Any:
    """Unary minus of a number."""
    return -value if is_number(value) else MISSING


def negate(value: Any) -> Any:
    """PQL `not` / `!`: booleans flip (a selection counts as its non-emptiness), anything else is unknown."""
    value = truth(value)
    return (not value) if type(value) is bool else MISSING


def _kleene(wins: bool, name: str, doc: str) -> Callable[[Any, Any], Any]:
    """A Kleene connective: `wins` when either side is it, the other boolean when both are, else
    unknown; a selection counts as its non-emptiness."""
    loses = not wins

    def connective(a: Any, b: Any) -> Any:
        if a is wins or b is wins:
            return wins
        if a is loses and b is loses:
            return loses
        if type(a) is Selection or type(b) is Selection:
            return connective(truth(a), truth(b))
        return MISSING

    connective.__name__ = connective.__qualname__ = name
    connective.__doc__ = doc
    return connective


and_ = _kleene(False, "and_", "Kleene `and`: false wins, then unknown.")
or_ = _kleene(True, "or_", "Kleene `or`: true wins, then unknown.")


def if_(cond: Any, then: Any, other: Any) -> Any:
    """`if(c, a, b)` on values: an unknown condition takes the else branch."""
    return then if cond is True or (type(cond) is Selection and cond) else other


def make_list(*items: Any) -> list[Any]:
    """A list literal."""
    return list(items)
