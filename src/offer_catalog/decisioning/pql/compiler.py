"""Compile a PQL text once into a tree of closures over `Env`; evaluation never re-walks the parse tree."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from typing import Any, Final

from lark import Token, Tree

from offer_catalog.decisioning.pql import ops, strings, temporal
from offer_catalog.decisioning.pql.arrays import ITEM_METHODS
from offer_catalog.decisioning.pql.builtins import FUNCTIONS, METHODS, Spec, item
from offer_catalog.decisioning.pql.clauses import Clauses
from offer_catalog.decisioning.pql.errors import PqlCompileError, PqlUnsupportedError
from offer_catalog.decisioning.pql.nodes import Fn, Node, Site, apply, combine, constant
from offer_catalog.decisioning.pql.ops import make_list
from offer_catalog.decisioning.pql.parser import parse
from offer_catalog.decisioning.pql.paths import path, scoped_path, var_path, walker
from offer_catalog.decisioning.pql.values import (
    Env,
    Selection,
    equals,
    member,
)

_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0"}
_ESCAPE_RE: Final = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_ROOTS: Final[dict[str, Fn]] = {
    "profile": operator.attrgetter("profile"),
    "offer": operator.attrgetter("offer"),
    "context": operator.methodcaller("context_data"),
}
_PARAMETER: Final = re.compile(r"\$([0-9]+)")
#: PQL functions rules here cannot use, and why (docs/pql.md, "Not supported").
_NOT_PQL: Final = "a Journey Optimizer expression function, not part of PQL"
UNSUPPORTED: Final = {
    "chain": "event sequences (chain) are evaluated by Adobe's segmentation service over stored event "
    "history; use exists/forall/select over xEvent",
    **{
        name: f"{_NOT_PQL}; compare values of the same type instead"
        for name in (
            "toString",
            "toInteger",
            "toDecimal",
            "toBool",
            "toDateTime",
            "toDateTimeOnly",
            "toDuration",
        )
    },
    **{
        name: f"{_NOT_PQL}; use `occurs` (t occurs <= 3 days before now)"
        " or compare getYear() with currentYear()"
        for name in ("currentDate", "inDays", "inHours", "inLastDays", "inNextDays", "age", "ageInDays")
    },
}


class CompiledExpr:
    """A compiled rule or formula: `evaluate(env)` gives the value (or MISSING), `test(env)` a bool."""

    __slots__ = ("_fn", "node", "text", "uses_offer")

    def __init__(self, text: str, node: Node) -> None:
        self.text = text
        self.node = node
        self._fn = node.fn
        #: True when the expression reads `offer.*`: it must be evaluated per offer, not once per profile.
        self.uses_offer = node.uses_offer

    def evaluate(self, env: Env) -> Any:
        """The value of the expression; MISSING when unknown. Never raises."""
        return self._fn(env)

    def test(self, env: Env) -> bool:
        """True only when the expression evaluates to the boolean true (unknown counts as false)."""
        value = self._fn(env)
        return value is True or (type(value) is Selection and len(value) > 0)

    def __repr__(self) -> str:
        return f"CompiledExpr({self.text!r})"


@functools.lru_cache(maxsize=8192)
def compile_rule(text: str) -> CompiledExpr:
    """Parse and compile a PQL text; raise `PqlSyntaxError` / `PqlCompileError` with its position."""
    return CompiledExpr(text, _Compiler(text).build(parse(text)))


def _position(token: Token) -> int:
    return token.start_pos or 0


def _unescape(raw: str) -> str:
    body = raw[1:-1]
    return _ESCAPE_RE.sub(_escaped, body) if "\\" in body else body


def _escaped(match: re.Match[str]) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if len(code) == 5 else _ESCAPES.get(code, code)


def _position_of(tree: Tree[Any]) -> int:
    """Where a construct starts: its first token (the parser does not record tree positions)."""
    for token in tree.scan_values(lambda value: isinstance(value, Token)):
        return _position(token)
    return 0  # pragma: no cover - every construct holds a token


def _binary(op: Callable[[Any, Any], Any], left: Node, right: Node) -> Node:
    lf, rf = left.fn, right.fn
    return combine(lambda env: op(lf(env), rf(env)), left, right, op=op)


#: Operators whose node is the operation on both sides' values (no literal-side fast path of their own).
_PLAIN_BINARY: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "ne": ops.ne,
    "lt": ops.lt,
    "le": ops.le,
    "gt": ops.gt,
    "ge": ops.ge,
    "add": ops.add,
    "sub": ops.sub,
    "mul": ops.mul,
    "div": ops.div,
    "mod": ops.mod,
    "not_in": ops.not_in,
}


class _Compiler(Clauses):
    def __init__(self, text: str) -> None:
        self.text = text
        self.vars: list[str] = []  # variables bound by the enclosing clauses, innermost last
        self.item_scope = 0  # > 0 inside a per-element method argument
        self.profile_name: str | None = None  # `(Profile) => ...`

    def build(self, tree: Tree[Any]) -> Node:
        name = str(tree.data)
        op = _PLAIN_BINARY.get(name)
        if op is not None:
            return _binary(op, *self._pair(tree))
        handler: Callable[[Tree[Any]], Node] = getattr(self, "_" + name)
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
        return combine(lambda env: [f(env) for f in fns], *items, op=make_list)

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
            return self._named(str(token), keys, _position(token))
        if base.data == "context_ref":
            schema = str(base.children[0])[2:-1].strip()
            return path(operator.methodcaller("context_of_type", schema), keys, offer=False)
        inner = self.build(base)
        walk = walker(keys)
        f = inner.fn
        return combine(lambda env: walk(f(env)), inner, op=walk)

    def _named(self, name: str, keys: list[str], position: int) -> Node:
        if name in self.vars:
            return var_path(name, keys)
        parameter = _PARAMETER.fullmatch(name)
        if name == self.profile_name or (parameter and parameter.group(1) == "1"):
            return path(_ROOTS["profile"], keys, offer=False)
        if parameter:
            raise PqlUnsupportedError(
                f"{name}: a rule has one input parameter, the profile ($1)", text=self.text, position=position
            )
        if name in _ROOTS:
            return path(_ROOTS[name], keys, offer=name == "offer")
        if self.item_scope:
            return scoped_path([name, *keys])
        return path(_ROOTS["profile"], [name, *keys], offer=False)

    def _lambda_(self, tree: Tree[Any]) -> Node:
        head, body = tree.children
        self.profile_name = str(head).strip()[1:].split(")")[0].strip()
        return self.build(body)

    def _index(self, tree: Tree[Any]) -> Node:
        container, key = (self.build(child) for child in tree.children)
        return _binary(item, container, key)

    # ---- calls
    def _call(self, tree: Tree[Any]) -> Node:
        token, arglist = tree.children
        assert isinstance(token, Token)
        return self._apply(FUNCTIONS, "function", token, self._args(arglist))

    def _method(self, tree: Tree[Any]) -> Node:
        receiver, token, arglist = tree.children
        assert isinstance(token, Token)
        name = str(token)
        per_item = ITEM_METHODS.get(name)
        if per_item is not None and (arglist is not None or name not in METHODS):
            trees = [] if arglist is None else list(arglist.children)
            if not per_item.min_args <= len(trees) <= per_item.max_args:
                raise self._error(f"{name}() does not take {len(trees)} argument(s)", _position(token))
            self.item_scope += 1
            scoped = [self.build(t) for t in trees[: per_item.scoped]]
            self.item_scope -= 1
            return per_item.build(
                self.build(receiver), scoped + [self.build(t) for t in trees[per_item.scoped :]]
            )
        args = self._args(arglist)
        if name in strings.REGEX_METHODS and args and arglist.children[0].data == "string":
            args[0] = constant(strings.regex_literal(str(arglist.children[0].children[0])))
        return self._apply(METHODS, "method", token, [self.build(receiver), *args], 1)

    def _args(self, arglist: Tree[Any] | None) -> list[Node]:
        return [] if arglist is None else [self.build(child) for child in arglist.children]

    def _apply(
        self, table: dict[str, Spec], kind: str, token: Token, args: list[Node], implicit: int = 0
    ) -> Node:
        name = str(token)
        spec = table.get(name)
        if spec is None and name in UNSUPPORTED:
            raise PqlUnsupportedError(
                f"{name}() is not supported: {UNSUPPORTED[name]}", text=self.text, position=_position(token)
            )
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
        if right.const and type(right.value) is str:
            lf, literal = left.fn, right.value

            def eq_str(env: Env) -> Any:
                value = lf(env)
                return value == literal if type(value) is str else equals(value, literal)

            return combine(eq_str, left, right, op=equals)
        return _binary(equals, left, right)

    def _in_(self, tree: Tree[Any]) -> Node:
        needle, haystack = self._pair(tree)
        if haystack.const and isinstance(haystack.value, list) and haystack.value:
            values = haystack.value
            if all(type(v) is str for v in values):
                strings = frozenset(values)
                nf = needle.fn

                def in_strings(env: Env) -> Any:
                    value = nf(env)
                    return value in strings if type(value) is str else member(value, values)

                return combine(in_strings, needle, haystack, op=member)
        return _binary(member, needle, haystack)

    def _like(self, tree: Tree[Any]) -> Node:
        return strings.like(list(self._pair(tree)), Site(self.text, _position_of(tree), "like"))

    # ---- dates and times
    def _moment_word(self, tree: Tree[Any]) -> Node:
        return combine(temporal.word(str(tree.children[0])), fold=False, env=True)

    def _period(self, tree: Tree[Any]) -> Node:
        return combine(temporal.period_word(str(tree.children[0])), fold=False, env=True)

    def _occurs(self, tree: Tree[Any]) -> Node:
        when = self.build(tree.children[0])
        clause = tree.children[1]
        kind = clause.data
        if kind == "occ_on":
            return apply(temporal.occurs_on, [when, self.build(clause.children[-1])])
        if kind == "occ_between":
            low, high = (self.build(child) for child in clause.children)
            return apply(temporal.occurs_between, [when, low, high])
        after = str(clause.children[-2].children[0]) != "before"
        if kind == "occ_dir":
            op = temporal.occurs_after if after else temporal.occurs_before
            return apply(op, [when, self.build(clause.children[-1])])
        compare, amount, unit = clause.children[:3]
        distance = temporal.occurs_distance(str(compare.data), int(str(amount)), str(unit), after)
        return apply(distance, [when, self.build(clause.children[-1])])

    def _not_(self, tree: Tree[Any]) -> Node:
        return self._unary(ops.negate, self.build(tree.children[0]))

    def _neg(self, tree: Tree[Any]) -> Node:
        return self._unary(ops.neg, self.build(tree.children[0]))

    def _unary(self, op: Callable[[Any], Any], inner: Node) -> Node:
        f = inner.fn
        return combine(lambda env: op(f(env)), inner, op=op)

    def _and_(self, tree: Tree[Any]) -> Node:
        left, right = self._pair(tree)
        lf, rf = left.fn, right.fn

        def and_(env: Env) -> Any:
            a = lf(env)
            if a is False:  # short-circuit; the value is the same as ops.and_
                return False
            return ops.and_(a, rf(env))

        return combine(and_, left, right, op=ops.and_)

    def _or_(self, tree: Tree[Any]) -> Node:
        left, right = self._pair(tree)
        lf, rf = left.fn, right.fn

        def or_(env: Env) -> Any:
            a = lf(env)
            if a is True:
                return True
            return ops.or_(a, rf(env))

        return combine(or_, left, right, op=ops.or_)
