"""Compile a PQL text once into a tree of closures over `Env`; evaluation never re-walks the parse tree."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from lark import Token, Tree

from offer_catalog.decisioning.pql.builtins import FUNCTIONS, METHODS, Spec, item
from offer_catalog.decisioning.pql.errors import PqlCompileError
from offer_catalog.decisioning.pql.nodes import Fn, Node, Site, combine, constant
from offer_catalog.decisioning.pql.parser import parse
from offer_catalog.decisioning.pql.values import (
    MISSING,
    Env,
    alternate_key,
    compare,
    equals,
    is_number,
    member,
)

_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0"}
_ESCAPE_RE: Final = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_ROOTS: Final[dict[str, Fn]] = {
    "profile": operator.attrgetter("profile"),
    "offer": operator.attrgetter("offer"),
    "context": operator.methodcaller("context_data"),
}


class CompiledExpr:
    """A compiled rule or formula: `evaluate(env)` gives the value (or MISSING), `test(env)` a bool."""

    __slots__ = ("_fn", "text", "uses_offer")

    def __init__(self, text: str, fn: Fn, uses_offer: bool) -> None:
        self.text = text
        self._fn = fn
        #: True when the expression reads `offer.*`: it must be evaluated per offer, not once per profile.
        self.uses_offer = uses_offer

    def evaluate(self, env: Env) -> Any:
        """The value of the expression; MISSING when unknown. Never raises."""
        return self._fn(env)

    def test(self, env: Env) -> bool:
        """True only when the expression evaluates to the boolean true (unknown counts as false)."""
        return self._fn(env) is True

    def __repr__(self) -> str:
        return f"CompiledExpr({self.text!r})"


@functools.lru_cache(maxsize=8192)
def compile_rule(text: str) -> CompiledExpr:
    """Parse and compile a PQL text; raise `PqlSyntaxError` / `PqlCompileError` with its position."""
    node = _Compiler(text).build(parse(text))
    return CompiledExpr(text, node.fn, node.uses_offer)


def _position(token: Token) -> int:
    return token.start_pos or 0


def _unescape(raw: str) -> str:
    body = raw[1:-1]
    return _ESCAPE_RE.sub(_escaped, body) if "\\" in body else body


def _escaped(match: re.Match[str]) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if len(code) == 5 else _ESCAPES.get(code, code)


def _path_fn(root: Fn, keys: list[str]) -> Fn:
    steps = tuple((key, alternate_key(key)) for key in keys)
    if not steps:
        return root

    def walk(env: Env) -> Any:
        obj = root(env)
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


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text

    def build(self, tree: Tree[Any]) -> Node:
        handler: Callable[[Tree[Any]], Node] = getattr(self, "_" + str(tree.data))
        return handler(tree)

    def _error(self, reason: str, position: int) -> PqlCompileError:
        return PqlCompileError(reason, text=self.text, position=position)

    # ---- literals
    def _string(self, tree: Tree[Any]) -> Node:
        return constant(_unescape(str(tree.children[0])))

    def _number(self, tree: Tree[Any]) -> Node:
        raw = str(tree.children[0])
        return constant(int(raw) if raw.isdigit() else float(raw))

    def _true(self, _tree: Tree[Any]) -> Node:
        return constant(True)

    def _false(self, _tree: Tree[Any]) -> Node:
        return constant(False)

    def _null(self, _tree: Tree[Any]) -> Node:
        return constant(None)

    def _list_(self, tree: Tree[Any]) -> Node:
        items = self._args(tree.children[0])
        fns = [i.fn for i in items]
        return combine(lambda env: [f(env) for f in fns], *items)

    # ---- paths
    def _name(self, tree: Tree[Any]) -> Node:
        return self._attr(tree)

    def _context_ref(self, tree: Tree[Any]) -> Node:
        return self._attr(tree)

    def _attr(self, tree: Tree[Any]) -> Node:
        keys: list[str] = []
        base = tree
        while base.data == "attr":
            keys.append(str(base.children[1]))
            base = base.children[0]
        keys.reverse()
        if base.data == "name":
            token = base.children[0]
            assert isinstance(token, Token)
            name = str(token)
            if name in _ROOTS:
                return Node(_path_fn(_ROOTS[name], keys), uses_offer=name == "offer")
            return Node(_path_fn(_ROOTS["profile"], [name, *keys]))
        if base.data == "context_ref":
            schema = str(base.children[0])[2:-1].strip()
            return Node(_path_fn(operator.methodcaller("context_of_type", schema), keys))
        inner = self.build(base)
        return combine(_path_fn(inner.fn, keys), inner)

    def _index(self, tree: Tree[Any]) -> Node:
        container, key = (self.build(child) for child in tree.children)
        c, k = container.fn, key.fn
        return combine(lambda env: item(c(env), k(env)), container, key)

    # ---- calls
    def _call(self, tree: Tree[Any]) -> Node:
        token, arglist = tree.children
        assert isinstance(token, Token)
        return self._apply(FUNCTIONS, "function", token, self._args(arglist))

    def _method(self, tree: Tree[Any]) -> Node:
        receiver, token, arglist = tree.children
        assert isinstance(token, Token)
        return self._apply(METHODS, "method", token, [self.build(receiver), *self._args(arglist)], 1)

    def _args(self, arglist: Tree[Any] | None) -> list[Node]:
        return [] if arglist is None else [self.build(child) for child in arglist.children]

    def _apply(
        self, table: dict[str, Spec], kind: str, token: Token, args: list[Node], implicit: int = 0
    ) -> Node:
        name = str(token)
        spec = table.get(name)
        if spec is None:
            raise self._error(f"unknown {kind} {name!r}", _position(token))
        given = len(args) - implicit
        if given < spec.min_args or (spec.max_args is not None and given > spec.max_args):
            raise self._error(f"{name}() does not take {given} argument(s)", _position(token))
        return spec.build(args, Site(self.text, _position(token), name))

    # ---- operators
    def _pair(self, tree: Tree[Any]) -> tuple[Node, Node]:
        left, right = (self.build(child) for child in tree.children)
        return left, right

    def _eq(self, tree: Tree[Any]) -> Node:
        left, right = self._pair(tree)
        lf, rf = left.fn, right.fn
        if right.const and type(right.value) is str:
            literal: str = right.value

            def eq_str(env: Env) -> Any:
                value = lf(env)
                return value == literal if type(value) is str else equals(value, literal)

            return combine(eq_str, left, right)
        return combine(lambda env: equals(lf(env), rf(env)), left, right)

    def _ne(self, tree: Tree[Any]) -> Node:
        left, right = self._pair(tree)
        lf, rf = left.fn, right.fn

        def ne(env: Env) -> Any:
            result = equals(lf(env), rf(env))
            return result if result is MISSING else not result

        return combine(ne, left, right)

    def _order(self, tree: Tree[Any], accept: Callable[[int], bool]) -> Node:
        left, right = self._pair(tree)
        lf, rf = left.fn, right.fn

        def ordered(env: Env) -> Any:
            result = compare(lf(env), rf(env))
            return result if result is MISSING else accept(result)

        return combine(ordered, left, right)

    def _lt(self, tree: Tree[Any]) -> Node:
        return self._order(tree, lambda c: c < 0)

    def _le(self, tree: Tree[Any]) -> Node:
        return self._order(tree, lambda c: c <= 0)

    def _gt(self, tree: Tree[Any]) -> Node:
        return self._order(tree, lambda c: c > 0)

    def _ge(self, tree: Tree[Any]) -> Node:
        return self._order(tree, lambda c: c >= 0)

    def _in_(self, tree: Tree[Any]) -> Node:
        needle, haystack = self._pair(tree)
        nf, hf = needle.fn, haystack.fn
        if haystack.const and isinstance(haystack.value, list) and haystack.value:
            values = haystack.value
            if all(type(v) is str for v in values):
                strings = frozenset(values)

                def in_strings(env: Env) -> Any:
                    value = nf(env)
                    return value in strings if type(value) is str else member(value, values)

                return combine(in_strings, needle, haystack)
        return combine(lambda env: member(nf(env), hf(env)), needle, haystack)

    def _not_in(self, tree: Tree[Any]) -> Node:
        inner = self._in_(tree)
        f = inner.fn
        return combine(lambda env: _negate(f(env)), inner)

    def _not_(self, tree: Tree[Any]) -> Node:
        inner = self.build(tree.children[0])
        f = inner.fn
        return combine(lambda env: _negate(f(env)), inner)

    def _and_(self, tree: Tree[Any]) -> Node:
        left, right = self._pair(tree)
        lf, rf = left.fn, right.fn

        def and_(env: Env) -> Any:
            a = lf(env)
            if a is False:
                return False
            b = rf(env)
            if b is False:
                return False
            return True if a is True and b is True else MISSING

        return combine(and_, left, right)

    def _or_(self, tree: Tree[Any]) -> Node:
        left, right = self._pair(tree)
        lf, rf = left.fn, right.fn

        def or_(env: Env) -> Any:
            a = lf(env)
            if a is True:
                return True
            b = rf(env)
            if b is True:
                return True
            return False if a is False and b is False else MISSING

        return combine(or_, left, right)

    def _arith(self, tree: Tree[Any], op: Callable[[Any, Any], Any]) -> Node:
        left, right = self._pair(tree)
        lf, rf = left.fn, right.fn
        concat = op is operator.add

        def arith(env: Env) -> Any:
            a, b = lf(env), rf(env)
            if is_number(a) and is_number(b):
                try:
                    return op(a, b)
                except (ZeroDivisionError, OverflowError):
                    return MISSING
            if concat and type(a) is str and type(b) is str:
                return a + b
            return MISSING

        return combine(arith, left, right)

    def _add(self, tree: Tree[Any]) -> Node:
        return self._arith(tree, operator.add)

    def _sub(self, tree: Tree[Any]) -> Node:
        return self._arith(tree, operator.sub)

    def _mul(self, tree: Tree[Any]) -> Node:
        return self._arith(tree, operator.mul)

    def _div(self, tree: Tree[Any]) -> Node:
        return self._arith(tree, operator.truediv)

    def _mod(self, tree: Tree[Any]) -> Node:
        return self._arith(tree, operator.mod)

    def _neg(self, tree: Tree[Any]) -> Node:
        inner = self.build(tree.children[0])
        f = inner.fn

        def neg(env: Env) -> Any:
            value = f(env)
            return -value if is_number(value) else MISSING

        return combine(neg, inner)


def _negate(value: Any) -> Any:
    return (not value) if type(value) is bool else MISSING
