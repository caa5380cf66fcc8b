"""Copy-on-write executor of the six JSON Patch operations, shared by JSON Patch and Patch Query."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from offer_catalog.patch._json import JSONValue, clone, json_equal, type_name
from offer_catalog.patch.errors import PatchConflict, PatchError, PathNotFound, TestFailed
from offer_catalog.patch.pointer import Tokens, descend_error, index_at, walk, where


class Operation(NamedTuple):
    """One validated operation with its pointers already split into tokens."""

    op_index: int
    op: str
    path: str
    tokens: Tokens
    value: JSONValue = None
    from_path: str | None = None
    from_tokens: Tokens = ()


_Op = TypeVar("_Op")


@dataclass(frozen=True, slots=True)
class Operations(Generic[_Op]):
    """Validated operations in order, reusable across documents (a JSON Patch or Patch Query plan)."""

    operations: tuple[_Op, ...]

    def __len__(self) -> int:
        return len(self.operations)

    def __iter__(self) -> Iterator[_Op]:
        return iter(self.operations)


class Applier:
    """Applies operations to a document without mutating it.

    Containers on the path to each change are shallow-copied once per apply and remembered in
    ``owned`` (id -> container), so later operations on the same path mutate the copies in place;
    every other subtree stays shared with the input document.
    """

    __slots__ = ("owned", "root")

    def __init__(self, doc: JSONValue) -> None:
        self.root = doc
        # Keyed by id() for speed; holding the container keeps its id from being reused. Input
        # containers stay alive through the caller's reference, so no id here can belong to one.
        self.owned: dict[int, Any] = {}

    def result(self) -> JSONValue:
        """Return the patched document; its top-level container is never the input's."""
        root = self.root
        if (type(root) is dict or type(root) is list) and id(root) not in self.owned:
            # Callers may then set top-level members (id, lastUpdate) without touching the input.
            root = root.copy()
        return root

    def _parent(self, tokens: Tokens) -> Any:
        """Return a writable copy of the container holding the last token's location."""
        owned = self.owned
        node: Any = self.root
        if type(node) is not dict and type(node) is not list:
            raise descend_error(node, tokens, 0)
        if id(node) not in owned:
            node = node.copy()
            owned[id(node)] = node
            self.root = node
        for depth in range(len(tokens) - 1):
            token = tokens[depth]
            key: str | int
            if type(node) is dict:
                if token not in node:
                    raise PathNotFound(f"no member {token!r} at {where(tokens, depth)}")
                key = token
            else:
                key = index_at(token, node, tokens, depth, allow_end=False)
            child = node[key]
            if type(child) is not dict and type(child) is not list:
                raise descend_error(child, tokens, depth + 1)
            if id(child) not in owned:
                child = child.copy()
                owned[id(child)] = child
                node[key] = child
            node = child
        return node

    def add(self, tokens: Tokens, value: JSONValue) -> None:
        """RFC 6902 add: set an object member, or insert into an array (``-`` appends)."""
        self._put(tokens, value, replace=False)

    def remove(self, tokens: Tokens) -> JSONValue:
        """RFC 6902 remove; returns the removed value."""
        if not tokens:
            raise PatchConflict("cannot remove the whole document")
        parent = self._parent(tokens)
        last = tokens[-1]
        if type(parent) is dict:
            _require_member(parent, last, tokens)
            return parent.pop(last)
        return parent.pop(index_at(last, parent, tokens, len(tokens) - 1, allow_end=False))

    def replace(self, tokens: Tokens, value: JSONValue) -> None:
        """RFC 6902 replace: the target must exist."""
        self._put(tokens, value, replace=True)

    def _put(self, tokens: Tokens, value: JSONValue, *, replace: bool) -> None:
        """add and replace: the same but that replace needs the target and never inserts."""
        if not tokens:
            self.root = value
            return
        parent = self._parent(tokens)
        last = tokens[-1]
        if type(parent) is dict:
            if replace:
                _require_member(parent, last, tokens)
            parent[last] = value
        elif replace:
            parent[index_at(last, parent, tokens, len(tokens) - 1, allow_end=False)] = value
        else:
            parent.insert(index_at(last, parent, tokens, len(tokens) - 1, allow_end=True), value)

    def test(self, tokens: Tokens, value: JSONValue) -> None:
        """RFC 6902 test with JSON equality."""
        actual = walk(self.root, tokens)
        if not json_equal(actual, value):
            raise TestFailed(f"expected {_short(value)}, found {_short(actual)}")


def _require_member(parent: dict[str, Any], last: str, tokens: Tokens) -> None:
    if last not in parent:
        raise PathNotFound(f"no member {last!r} at {where(tokens, len(tokens) - 1)}")


def _short(value: JSONValue) -> str:
    text = repr(value) if type(value) is not dict and type(value) is not list else type_name(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _own(value: JSONValue) -> JSONValue:
    """The patch's own value is never aliased into the document: containers are cloned."""
    return clone(value) if type(value) is dict or type(value) is list else value


def _run_add(applier: Applier, op: Operation) -> None:
    applier.add(op.tokens, _own(op.value))


def _run_remove(applier: Applier, op: Operation) -> None:
    applier.remove(op.tokens)


def _run_replace(applier: Applier, op: Operation) -> None:
    applier.replace(op.tokens, _own(op.value))


def _run_test(applier: Applier, op: Operation) -> None:
    applier.test(op.tokens, op.value)


def _run_move(applier: Applier, op: Operation) -> None:
    # RFC 6902: a remove at "from" then an add at "path"; errors of the remove name "from".
    from_tokens = op.from_tokens
    tokens = op.tokens
    if tokens[: len(from_tokens)] == from_tokens and tokens != from_tokens:
        # Compared by tokens, not by string prefix: "/ab" -> "/abc" is a legal move.
        raise PatchConflict("cannot move a value into one of its own children")
    try:
        if tokens == from_tokens:
            walk(applier.root, from_tokens)  # a no-op, but the source must exist
            return
        value = applier.remove(from_tokens)
    except PatchError as err:
        err.locate(op.op_index, op.op, op.from_path, "from")
        raise
    applier.add(tokens, value)


def _run_copy(applier: Applier, op: Operation) -> None:
    try:
        value = clone(walk(applier.root, op.from_tokens))
    except PatchError as err:
        err.locate(op.op_index, op.op, op.from_path, "from")
        raise
    applier.add(op.tokens, value)


RUN: dict[str, Callable[[Applier, Operation], None]] = {
    "add": _run_add,
    "remove": _run_remove,
    "replace": _run_replace,
    "test": _run_test,
    "move": _run_move,
    "copy": _run_copy,
}


def run(applier: Applier, op: Operation) -> None:
    """Apply one operation, tagging any error with the operation's index, name and pointer."""
    try:
        RUN[op.op](applier, op)
    except PatchError as err:
        err.locate(op.op_index, op.op, op.path, "path")
        raise
