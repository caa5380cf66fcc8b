"""JSON Patch (RFC 6902): validate a patch once into an immutable Plan, then apply it copy-on-write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from offer_catalog.patch._apply import Applier, Operation, Operations, run
from offer_catalog.patch._json import JSONValue, clone, type_name
from offer_catalog.patch.errors import MalformedPatch, PatchError
from offer_catalog.patch.pointer import Tokens, parse_pointer

OPS = frozenset(("add", "remove", "replace", "move", "copy", "test"))
_WITH_VALUE = frozenset(("add", "replace", "test"))
_WITH_FROM = frozenset(("move", "copy"))
_MISSING: Any = object()

P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class Plan(Operations[Operation]):
    """A validated JSON Patch: a tuple of operations with pre-split pointers, reusable across documents."""


def read_operation(index: int, raw: JSONValue, copy_value: bool) -> tuple[str, str, JSONValue, str | None]:
    """Validate one raw operation object; return its op, path, value and from (unknown members ignored).

    ``copy_value`` deep-copies the value, for plans that may outlive the caller's patch.
    """
    if type(raw) is not dict:
        raise MalformedPatch(f"an operation must be an object, not a {type_name(raw)}", op_index=index)
    op = raw.get("op", _MISSING)
    if op is _MISSING:
        raise MalformedPatch("missing member 'op'", op_index=index, member="op")
    if type(op) is not str or op not in OPS:
        raise MalformedPatch(
            f"unknown op {op!r} (expected one of add, remove, replace, move, copy, test)",
            op_index=index,
            member="op",
        )
    path = _pointer_member(index, op, raw, "path")
    value = raw.get("value", _MISSING)
    if value is _MISSING and op in _WITH_VALUE:
        raise MalformedPatch(
            f"missing member 'value' (required by '{op}')", op_index=index, op=op, member="value"
        )
    from_path = _pointer_member(index, op, raw, "from") if op in _WITH_FROM else None
    if value is _MISSING:
        value = None
    elif copy_value and (type(value) is dict or type(value) is list):
        value = clone(value)
    return op, path, value, from_path


def _pointer_member(index: int, op: str, raw: dict[str, JSONValue], member: str) -> str:
    pointer = raw.get(member, _MISSING)
    if pointer is _MISSING:
        raise MalformedPatch(
            f"missing member '{member}' (required by '{op}')", op_index=index, op=op, member=member
        )
    if type(pointer) is not str:
        raise MalformedPatch(
            f"member '{member}' must be a string, not a {type_name(pointer)}",
            op_index=index,
            op=op,
            member=member,
        )
    return pointer


def parse_member(index: int, op: str, pointer: str, member: str, parse: Callable[[str], P]) -> P:
    """Parse a pointer-like member, tagging a syntax error with the operation it belongs to."""
    try:
        return parse(pointer)
    except PatchError as err:
        err.locate(index, op, pointer, member)
        raise


def compile_operation(index: int, raw: JSONValue, copy_values: bool) -> Operation:
    """Validate one raw operation into an Operation."""
    op, path, value, from_path = read_operation(index, raw, copy_values)
    tokens: Tokens = parse_member(index, op, path, "path", parse_pointer)
    from_tokens: Tokens = ()
    if from_path is not None:
        from_tokens = parse_member(index, op, from_path, "from", parse_pointer)
    return Operation(index, op, path, tokens, value, from_path, from_tokens)


def check_patch_array(patch: JSONValue) -> list[JSONValue]:
    """Reject a patch document that is not a JSON array."""
    if type(patch) is not list:
        raise MalformedPatch(f"a JSON Patch document must be an array, not a {type_name(patch)}")
    return patch


def compile_json_patch(patch: JSONValue) -> Plan:
    """Validate a JSON Patch document (a list of operation objects) into a reusable Plan."""
    # The plan may outlive the caller's list, so it keeps its own copy of the values.
    ops = check_patch_array(patch)
    return Plan(tuple(compile_operation(i, raw, True) for i, raw in enumerate(ops)))


def apply_json_patch(doc: JSONValue, patch: JSONValue | Plan) -> JSONValue:
    """Apply a JSON Patch (a list of operations or a compiled Plan) and return the new document."""
    if type(patch) is Plan:
        operations = patch.operations
    else:
        # Compiled for this call only: values are cloned when placed, not when compiled.
        ops = check_patch_array(patch)
        operations = tuple(compile_operation(i, raw, False) for i, raw in enumerate(ops))
    applier = Applier(doc)
    for op in operations:
        run(applier, op)
    return applier.result()
