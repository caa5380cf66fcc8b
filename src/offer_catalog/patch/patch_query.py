"""JSON Patch Query (``application/json-patch-query+json``, TMF630 Part 5).

A JSON Patch whose ``path`` and ``from`` may select array elements by the values of their members.

Grammar (a JSON Pointer where any reference token may carry a query)::

    query-path = *( "/" segment )
    segment    = reference-token [ "?" condition *( "&" condition ) ]
    condition  = member *( "." member ) "=" value

* The reference token is an RFC 6901 token (``~0``/``~1`` escapes) without ``?``; it names an
  array, and the conditions select the elements of that array for which every condition holds.
* The first ``?`` of a segment starts its query; conditions split at ``&``, each at its first ``=``.
  ``member`` and ``value`` are percent-decoded after splitting (``%26`` for ``&``, ``%3D`` for ``=``,
  ``%2F`` for ``/``, ``%2E`` for a ``.`` inside a member name, ``%25`` for ``%``).
* ``a.b=v`` follows nested objects: the element's member ``a`` must be an object with member ``b``.
* A condition holds when the member exists and: it is a string equal to ``value``; or a number and
  ``value`` is a JSON number of equal value (``id=7`` matches ``7``, ``7.0`` and ``"7"``, not ``"07"``);
  or ``true``/``false``/``null`` and ``value`` is that literal. Objects and arrays never match.
* Segments after a query continue into each selected element:
  ``/productOfferingPrice?id=7/name``; queries may nest: ``/a?x=1/b?y=2/c``.
* TMF630's parent-path form: a condition whose member path (two names or more) starts with the name of
  an array segment of the path, the query's own or an earlier one, names members from that array:
  ``/orderItem/quantity?orderItem.productOffering.id=1513`` is ``/orderItem?productOffering.id=1513/quantity``
  and ``/orderItem?orderItem.id=2`` is ``/orderItem?id=2``. The nearest such segment is taken.
* TMF620 v5's pointer form: a value that is a JSON Pointer starting with the path's first token,
  ``<array path>/<literal>``, names the array (a prefix of the path up to the query) and the literal
  (its last token, ``~1``/``~0`` unescaped, then percent-decoded):
  ``/productSpecCharacteristic/characteristicValueSpecification/isDefault?value=/productSpecCharacteristic/characteristicValueSpecification/Black``
  is the ``isDefault`` of each ``characteristicValueSpecification`` element whose ``value`` is ``Black``.
  Such a query runs to the end of the path; its conditions without a pointer apply to the same array
  (ambiguous, 400, when its pointers name several arrays); a pointer that does not name a prefix of
  the path, or a ``/`` in a value without a pointer, is InvalidPointer. The segments before the array
  walk: an array there stands for each of its elements (unless the next segment is an index), anything
  else for itself; elements the rest of the path does not fit (a missing member) are skipped.

Semantics:

* Each query is resolved against the document as it is just before its operation runs. The operation
  is then the JSON Patch operation applied at every selected location, last location first (so
  removing or inserting at several elements of one array keeps the other indices valid):
  ``remove /relatedParty?role=vendor`` removes every vendor; ``add`` with a query in its last segment
  inserts before each selected element; ``test`` must hold at every selected location.
* A query path that selects nothing at all raises QueryNoMatch (code ``query_no_match``, 422); with
  nested queries, some parents may have no match as long as one has. A query on a value that is not
  an array raises PatchConflict; a missing array (under any selected parent) raises PathNotFound.
* ``move`` and ``copy`` need exactly one location for ``from`` and one for ``path`` (else PatchConflict).
* Paths without ``?`` behave exactly as in JSON Patch; the patch is atomic like a JSON Patch.
* Not supported: queries on a root array, member names containing ``?``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import unquote

from offer_catalog.patch._apply import Applier, Operation, Operations, run
from offer_catalog.patch._json import JSONValue, type_name
from offer_catalog.patch.errors import InvalidPointer, PatchConflict, PatchError, PathNotFound, QueryNoMatch
from offer_catalog.patch.json_patch import check_patch_array, parse_member, read_operation
from offer_catalog.patch.pointer import Tokens, format_pointer, parse_pointer, walk, where

_ABSENT = object()
_INDEX = re.compile(r"0|[1-9][0-9]*|-")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


class Condition(NamedTuple):
    """``member.path=value``: the dotted member path and the literal to compare with."""

    member: tuple[str, ...]
    text: str
    number: int | float | None  # ``text`` as a number when it is a JSON number


class Query(NamedTuple):
    """A segment ``token?conditions``: select elements of the array at ``token``."""

    token: str
    conditions: tuple[Condition, ...]

    def select(self, array: list[JSONValue]) -> list[int]:
        """The indices of the array's elements that satisfy every condition."""
        conditions = self.conditions
        selected = []
        for index, element in enumerate(array):
            for condition in conditions:
                if not _holds(element, condition):
                    break
            else:
                selected.append(index)
        return selected


Segment = str | Query


class QueryOperation(NamedTuple):
    """An Operation plus the query segments of its path and from (None when a plain pointer)."""

    operation: Operation
    segments: tuple[Segment, ...] | None
    from_segments: tuple[Segment, ...] | None


@dataclass(frozen=True, slots=True)
class QueryPlan(Operations[QueryOperation]):
    """A validated JSON Patch Query document, reusable across documents."""


def parse_query_path(path: str) -> tuple[Tokens, tuple[Segment, ...] | None]:
    """Parse a path: (tokens, None) for a plain JSON Pointer, ((), segments) when it has a query."""
    if "?" not in path:
        return parse_pointer(path), None
    return (), _parse_segments(path)


@lru_cache(maxsize=1024)
def _parse_segments(path: str) -> tuple[Segment, ...]:
    if path[0] != "/":
        raise InvalidPointer("a query path must start with '/'", path=path)
    raws = path[1:].split("/")
    first = raws[0].partition("?")[0]
    segments: list[Segment] = []
    for position, raw in enumerate(raws):
        name, mark, query = raw.partition("?")
        token = _token(name, path)
        segments.append(token)
        rest = raws[position + 1 :]
        if mark and query.rpartition("&")[2].endswith("=") and len(rest) > 1 and rest[0] == first:
            # A value that is a pointer into the path: the query runs to the end of the path.
            return _pointer_form(segments, "/".join((query, *rest)), path)
        if mark:
            segments[-1] = Query(token, _conditions(query, path))
    return tuple(_parent_form(segments))


def _token(name: str, path: str) -> str:
    return _tokens("/" + name, path)[0]


def _tokens(pointer: str, path: str) -> Tokens:
    try:
        return parse_pointer(pointer)
    except InvalidPointer as err:
        err.path = path
        raise


def _name(segment: Segment) -> str:
    return segment if isinstance(segment, str) else segment.token


def _add(segments: list[Segment], position: int, condition: Condition) -> None:
    target = segments[position]
    conditions = (condition,) if isinstance(target, str) else (*target.conditions, condition)
    segments[position] = Query(_name(target), conditions)


def _pointer_form(segments: list[Segment], query: str, path: str) -> tuple[Segment, ...]:
    """TMF620 v5's form ``/a/b/leaf?value=/a/b/Black``: a value ``<array path>/<literal>`` selects the
    elements of that array (a prefix of the path) whose member equals the literal (the pointer's last
    token: ``~1`` for ``/``, then percent-decoded). Conditions without a pointer apply to the same array.
    The segments before the array walk every element of an array (the member itself if it is not an
    array), but a segment followed by an array index."""
    head = [_name(segment) for segment in segments]
    plain: list[str] = []
    pointed: list[tuple[int, Condition]] = []
    for raw in query.split("&"):
        member, _, text = raw.partition("=")
        if not text.startswith("/"):
            if "/" in text:
                raise InvalidPointer(f"a '/' in query value {text!r} must be written %2F", path=path)
            plain.append(raw)
            continue
        tokens = _tokens(text, path)
        array = list(tokens[:-1])
        if not array or array != head[: len(array)]:
            raise InvalidPointer(
                f"query value {text!r} must be the path of an array of {format_pointer(tuple(head))!r} "
                "followed by the value to match (a '/' in the value is written ~1)",
                path=path,
            )
        (condition,) = _conditions(f"{member}={tokens[-1]}", path)
        pointed.append((len(array) - 1, condition))
    owners = sorted({owner for owner, _ in pointed})
    if plain and len(owners) > 1:
        raise InvalidPointer(
            "conditions without a pointer are ambiguous among pointers to several arrays", path=path
        )
    for condition in _conditions("&".join(plain), path) if plain else ():
        _add(segments, owners[0], condition)
    segments = _parent_form(segments)
    for owner, condition in pointed:
        _add(segments, owner, condition)
    for position in range(owners[-1]):
        if isinstance(segments[position], str) and not _INDEX.fullmatch(head[position + 1]):
            segments[position] = Query(head[position], ())
    return tuple(segments)


def _parent_form(segments: list[Segment]) -> list[Segment]:
    """Move each condition written in TMF630's parent-path form to the array segment it names."""
    for position, segment in enumerate(segments):
        if isinstance(segment, str):
            continue
        kept: list[Condition] = []
        for condition in segment.conditions:
            names = condition.member
            owner = next(
                (j for j in range(position, -1, -1) if len(names) > 1 and _name(segments[j]) == names[0]),
                None,
            )
            if owner is None:
                kept.append(condition)
                continue
            moved = condition._replace(member=names[1:])
            if owner == position:
                kept.append(moved)
                continue
            _add(segments, owner, moved)
        segments[position] = Query(segment.token, tuple(kept)) if kept else segment.token
    return segments


def _conditions(query: str, path: str) -> tuple[Condition, ...]:
    conditions = []
    for raw in query.split("&"):
        member, equals, text = raw.partition("=")
        names = tuple(unquote(name) for name in member.split("."))
        if not equals or "" in names:
            raise InvalidPointer(f"query condition {raw!r} is not of the form member=value", path=path)
        value = unquote(text)
        number = _JSON_NUMBER.fullmatch(value)
        parsed = (
            None if number is None else (float(value) if number.group(1, 2) != (None, None) else int(value))
        )
        conditions.append(Condition(names, value, parsed))
    return tuple(conditions)


def _holds(element: JSONValue, condition: Condition) -> bool:
    node = element
    for name in condition.member:
        if type(node) is not dict:
            return False
        node = node.get(name, _ABSENT)  # _ABSENT matches no condition below
    t = type(node)
    if t is str:
        return bool(node == condition.text)
    if t is bool:
        return condition.text == ("true" if node else "false")
    if t is int or t is float:
        return condition.number is not None and node == condition.number
    if node is None:
        return condition.text == "null"
    return False


def compile_patch_query(patch: JSONValue) -> QueryPlan:
    """Validate a JSON Patch Query document into a reusable QueryPlan."""
    return QueryPlan(tuple(_compile(i, raw, True) for i, raw in enumerate(check_patch_array(patch))))


def _compile(index: int, raw: JSONValue, copy_values: bool) -> QueryOperation:
    op, path, value, from_path = read_operation(index, raw, copy_values)
    tokens, segments = parse_member(index, op, path, "path", parse_query_path)
    from_tokens: Tokens = ()
    from_segments = None
    if from_path is not None:
        from_tokens, from_segments = parse_member(index, op, from_path, "from", parse_query_path)
    operation = Operation(index, op, path, tokens, value, from_path, from_tokens)
    return QueryOperation(operation, segments, from_segments)


def resolve_query(doc: JSONValue, segments: tuple[Segment, ...]) -> list[Tokens]:
    """Return the concrete pointers (as tokens) a query path selects in ``doc``, in document order."""
    prefixes: list[Tokens] = [()]
    walked = False  # past a walk over an array: elements the rest of the path does not fit are skipped
    for segment in segments:
        if isinstance(segment, str):
            prefixes = [(*prefix, segment) for prefix in prefixes]
            continue
        selected: list[Tokens] = []
        for prefix in prefixes:
            array_tokens = (*prefix, segment.token)
            try:
                array = walk(doc, array_tokens)
            except (PathNotFound, PatchConflict):
                if walked:
                    continue
                raise
            if type(array) is list:
                walked = walked or not segment.conditions
                selected.extend((*array_tokens, str(index)) for index in segment.select(array))
            elif segment.conditions:
                raise PatchConflict(
                    f"a query needs an array, found a {type_name(array)} at "
                    f"{where(array_tokens, len(array_tokens))}"
                )
            else:  # a walk through an object
                selected.append(array_tokens)
        if not selected:
            raise QueryNoMatch(f"no element of {_arrays(prefixes, segment.token)} matches the query")
        prefixes = selected
    return prefixes


def _arrays(prefixes: list[Tokens], token: str) -> str:
    names = sorted({format_pointer((*prefix, token)) for prefix in prefixes})
    return ", ".join(repr(name) for name in names[:3]) + (" ..." if len(names) > 3 else "")


def apply_patch_query(doc: JSONValue, patch: JSONValue | QueryPlan) -> JSONValue:
    """Apply a JSON Patch Query (list of operations or a QueryPlan) and return the new document."""
    if type(patch) is QueryPlan:
        operations = patch.operations
    else:
        operations = tuple(_compile(i, raw, False) for i, raw in enumerate(check_patch_array(patch)))
    applier = Applier(doc)
    for query_op in operations:
        operation = query_op.operation
        if query_op.segments is None and query_op.from_segments is None:
            run(applier, operation)
            continue
        try:
            for concrete in _expand(applier.root, query_op):
                run(applier, concrete)
        except PatchError as err:
            err.locate(operation.op_index, operation.op, operation.path, "path")
            raise
    return applier.result()


def _expand(doc: JSONValue, query_op: QueryOperation) -> list[Operation]:
    """Turn a query operation into plain operations, last location first."""
    operation = query_op.operation
    from_tokens = operation.from_tokens
    if query_op.from_segments is not None:
        try:
            from_tokens = _single(resolve_query(doc, query_op.from_segments), "from")
        except PatchError as err:
            err.locate(operation.op_index, operation.op, operation.from_path, "from")
            raise
    targets = [operation.tokens] if query_op.segments is None else resolve_query(doc, query_op.segments)
    if operation.from_path is not None:
        targets = [_single(targets, "path")]
    index, op, path, _, value, from_path, _ = operation
    return [Operation(index, op, path, tokens, value, from_path, from_tokens) for tokens in reversed(targets)]


def _single(targets: list[Tokens], member: str) -> Tokens:
    if len(targets) != 1:
        raise PatchConflict(f"'{member}' selects {len(targets)} locations; move and copy need exactly one")
    return targets[0]
