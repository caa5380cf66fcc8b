"""Compiling PQL's clause forms: `exists`/`forall` quantifiers, `select`, aggregates over, `let`.

Each binds a variable (`E`, `X`, `S`) while its inner expressions run: the compiler knows the bound
names (a lexical scope, `vars`), so `E.commerce.order` compiles to a read of `env.vars["E"]`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lark import Token, Tree

from offer_catalog.decisioning.pql import ops
from offer_catalog.decisioning.pql.arrays import AGGREGATES
from offer_catalog.decisioning.pql.nodes import Fn, Node, combine
from offer_catalog.decisioning.pql.values import MISSING, Env, Selection, truth

Binding = tuple[str, Fn, Fn | None]  # variable, source, where-condition


def items_of(value: Any) -> list[Any] | None:
    """What a `from` clause iterates: a list's elements, or a single map (one context entry)."""
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, Mapping):
        return [value]
    return None


class _Bound:
    """Binds `name` in `env.vars` for the duration of a `with` block, restoring the outer value."""

    __slots__ = ("env", "name", "saved")

    def __init__(self, env: Env, name: str) -> None:
        self.env, self.name = env, name
        self.saved = env.vars.get(name, MISSING)

    def set(self, value: Any) -> None:
        self.env.vars[self.name] = value

    def restore(self) -> None:
        if self.saved is MISSING:
            self.env.vars.pop(self.name, None)
        else:
            self.env.vars[self.name] = self.saved


def quantify(bindings: list[Binding], final: Fn | None, universal: bool) -> Fn:
    """`exists` (any combination satisfies) or `forall` (every one does), three-valued.

    Without a `: condition`, the `where` conditions are what must hold; with one, they filter.
    """
    filters = universal and final is not None
    decisive = not universal  # exists stops at the first true, forall at the first false

    def level(env: Env, depth: int) -> Any:
        if depth == len(bindings):
            return True if final is None else truth(final(env))
        name, source, cond = bindings[depth]
        items = items_of(source(env))
        if items is None:
            return MISSING
        bound = _Bound(env, name)
        result: Any = universal
        for element in items:
            bound.set(element)
            ok = True if cond is None else truth(cond(env))
            if filters:
                value = level(env, depth + 1) if ok is True else True
            else:
                value = False if ok is False else ops.and_(ok, level(env, depth + 1))
            if value is decisive:
                result = value
                break
            if value is not universal:
                result = MISSING
        bound.restore()
        return result

    return lambda env: level(env, 0)


def selected(name: str, source: Fn, cond: Fn | None, value: Fn | None = None) -> Callable[[Env], Any]:
    """The elements of `source` (or `value` of each) for which `cond` is true, as a `Selection`."""

    def run(env: Env) -> Any:
        items = items_of(source(env))
        if items is None:
            return MISSING
        bound = _Bound(env, name)
        out = Selection()
        for element in items:
            bound.set(element)
            if cond is None or truth(cond(env)) is True:
                out.append(element if value is None else value(env))
        bound.restore()
        return out

    return run


class Clauses:
    """Compiler methods for the clause forms; mixed into the compiler (see compiler.py)."""

    vars: list[str]
    build: Callable[[Tree[Any]], Node]

    def _scoped(self, names: list[str], trees: list[Tree[Any] | None]) -> list[Node | None]:
        self.vars.extend(names)
        try:
            return [None if tree is None else self.build(tree) for tree in trees]
        finally:
            del self.vars[len(self.vars) - len(names) :]

    def _source(self, names: list[str], tree: Tree[Any]) -> Node:
        """A `from` source; a bare `@{schema}` means every context entry of that schema."""
        if tree.data == "context_ref":
            schema = str(tree.children[0])[2:-1].strip()
            return Node(lambda env: env.contexts_of_type(schema), uses_env=True)
        (node,) = self._scoped(names, [tree])
        assert node is not None
        return node

    def _quantifier(self, tree: Tree[Any], universal: bool) -> Node:
        bindings_tree, final_tree = tree.children
        bindings: list[Binding] = []
        nodes: list[Node] = []
        names: list[str] = []
        for binding in bindings_tree.children:
            name_token, _from, source_tree, cond_tree = binding.children
            source = self._source(names, source_tree)
            names.append(str(name_token))
            (cond,) = self._scoped(names, [cond_tree])
            nodes += [n for n in (source, cond) if n is not None]
            bindings.append((str(name_token), source.fn, None if cond is None else cond.fn))
        (final,) = self._scoped(names, [final_tree])
        if final is not None:
            nodes.append(final)
        fn = quantify(bindings, None if final is None else final.fn, universal)
        return combine(fn, *nodes, fold=False, env=True)

    def _exists_q(self, tree: Tree[Any]) -> Node:
        return self._quantifier(tree, universal=False)

    def _forall_q(self, tree: Tree[Any]) -> Node:
        return self._quantifier(tree, universal=True)

    def _select(self, tree: Tree[Any]) -> Node:
        name_token, _from, source_tree, cond_tree = tree.children
        source = self._source([], source_tree)
        (cond,) = self._scoped([str(name_token)], [cond_tree])
        fn = selected(str(name_token), source.fn, None if cond is None else cond.fn)
        return combine(fn, source, *([] if cond is None else [cond]), fold=False, env=True)

    def _aggregate(self, tree: Tree[Any]) -> Node:
        kind, value_tree, name_token, _from, source_tree, cond_tree = tree.children
        assert isinstance(kind, Token)
        source = self._source([], source_tree)
        value, cond = self._scoped([str(name_token)], [value_tree, cond_tree])
        assert value is not None
        pick = selected(str(name_token), source.fn, None if cond is None else cond.fn, value.fn)
        reduce = AGGREGATES[str(kind)]

        def run(env: Env) -> Any:
            values = pick(env)
            return MISSING if values is MISSING else reduce(values, [values])

        return combine(run, source, value, *([] if cond is None else [cond]), fold=False, env=True)

    def _let(self, tree: Tree[Any]) -> Node:
        name_token, value_tree, body_tree = tree.children
        name = str(name_token)
        value = self.build(value_tree)
        (body,) = self._scoped([name], [body_tree])
        assert body is not None
        vf, bf = value.fn, body.fn

        def run(env: Env) -> Any:
            bound = _Bound(env, name)
            bound.set(vf(env))
            result = bf(env)
            bound.restore()
            return result

        return combine(run, value, body, fold=False, env=True)
