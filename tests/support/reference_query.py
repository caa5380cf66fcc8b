"""A brute-force, obviously-correct evaluator of the query model, to check the stores against."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cmp_to_key
from typing import Any

from offer_catalog.documents.model import Document
from offer_catalog.documents.query import AllOf, AnyOf, Cond, Condition, Field, Op, Query


def meta_of(doc: Document) -> dict[str, Any]:
    """The meta fields of a document."""
    return {
        "id": doc.id,
        "kind": doc.kind,
        "version": doc.version,
        "created_at": doc.created_at,
        "modified_at": doc.modified_at,
        "created_by": doc.created_by,
        "modified_by": doc.modified_by,
        "created_by_client": doc.created_by_client,
        "modified_by_client": doc.modified_by_client,
        "at_id": doc.body.get("@id")
        if isinstance(doc.body, dict) and isinstance(doc.body.get("@id"), str)
        else None,
    }


def values_at(value: Any, path: Sequence[str]) -> list[Any]:
    """Every value a path reaches, looking into arrays at each step and at the end."""
    if not path:
        return list(value) if isinstance(value, list) else [value]
    if isinstance(value, list):
        return [v for item in value if isinstance(item, dict) for v in values_at(item, path)]
    if isinstance(value, dict) and path[0] in value:
        return values_at(value[path[0]], path[1:])
    return []


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "null" if v is None else "other"


def _compare(a: Any, op: Op, b: Any, ignore_case: bool) -> bool:
    if op is Op.REGEX:
        return isinstance(a, str) and re.search(b, a, re.IGNORECASE if ignore_case else 0) is not None
    if _kind(a) != _kind(b):
        return False
    if ignore_case and isinstance(a, str):
        a, b = a.lower(), b.lower()
    if op is Op.EQ:
        return bool(a == b)
    if a is None:
        return False
    return bool({Op.LT: a < b, Op.LE: a <= b, Op.GT: a > b, Op.GE: a >= b}[op])


def matches(doc: Document, cond: Condition) -> bool:
    """Whether a document satisfies a condition tree."""
    if isinstance(cond, AllOf):
        return all(matches(doc, c) for c in cond.items)
    if isinstance(cond, AnyOf):
        return any(matches(doc, c) for c in cond.items)
    assert isinstance(cond, Cond)
    if cond.op is Op.NE:
        return not matches(doc, Cond(cond.field, Op.EQ, cond.value, cond.ignore_case))
    if cond.op is Op.NOT_EXISTS:
        return not matches(doc, Cond(cond.field, Op.EXISTS))
    if cond.op is Op.IN:
        return any(matches(doc, Cond(cond.field, Op.EQ, v, cond.ignore_case)) for v in cond.value)
    if cond.field.meta is not None:
        value = meta_of(doc)[cond.field.meta]
        if cond.op is Op.EXISTS:
            return value is not None
        return _compare(value, cond.op, cond.value, cond.ignore_case)
    found = values_at(doc.body, cond.field.path)
    if cond.op is Op.EXISTS:
        return _exists(doc.body, cond.field.path)
    return any(_compare(v, cond.op, cond.value, cond.ignore_case) for v in found)


def _exists(value: Any, path: tuple[str, ...]) -> bool:
    if not path:
        return True
    if isinstance(value, list):
        return any(_exists(item, path) for item in value if isinstance(item, dict))
    return isinstance(value, dict) and path[0] in value and _exists(value[path[0]], path[1:])


def sort_key_value(doc: Document, field: Field) -> Any:
    """The plain (non-expanding) value a sort key orders by."""
    if field.meta is not None:
        return meta_of(doc)[field.meta]
    value: Any = doc.body
    for step in field.path:
        if not isinstance(value, dict) or step not in value:
            return None
        value = value[step]
    return value


def _order(a: Any, b: Any) -> int:
    """Missing first; then numbers (bools as 0/1 are not generated); then strings."""
    rank = {"null": 0, "bool": 1, "number": 1, "string": 2}
    ka, kb = rank.get(_kind(a), 3), rank.get(_kind(b), 3)
    if ka != kb:
        return -1 if ka < kb else 1
    if a is None or a == b:
        return 0
    return -1 if a < b else 1


def run(docs: list[Document], query: Query) -> tuple[list[Document], int]:
    """The page and the total a correct store returns."""
    found = [
        d
        for d in docs
        if (query.include_deleted or not d.deleted)
        and (not query.kinds or d.kind in query.kinds)
        and (query.where is None or matches(d, query.where))
    ]

    def compare(x: Document, y: Document) -> int:
        for key in query.sort:
            c = _order(sort_key_value(x, key.field), sort_key_value(y, key.field))
            if c:
                return -c if key.descending else c
        return (x.id > y.id) - (x.id < y.id)

    found.sort(key=cmp_to_key(compare))
    total = len(found)
    end = None if query.limit is None else query.offset + query.limit
    return found[query.offset : end], total
