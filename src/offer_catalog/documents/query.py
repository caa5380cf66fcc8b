"""The dialect-neutral query model: filters, sort, paging as plain data that each store compiles.

Body paths are tuples of member names. A path step that meets an array looks into every element
(as in MongoDB or SQL/JSON lax mode), so `("productOfferingPrice", "id")` matches when any price
has that id, and a path ending on an array matches when any element does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from offer_catalog.documents.model import Document
from offer_catalog.errors import InvalidQuery

META_FIELDS = frozenset(
    {
        "id",
        "kind",
        "version",
        "created_at",
        "modified_at",
        "created_by",
        "modified_by",
        "created_by_client",
        "modified_by_client",
        "at_id",  # the body's "@id" when it is a string (indexed)
    }
)


# The one grammar of a member name a query may use, on every store: ASCII letters, digits and
# `_ @ $ : -`, not starting with a digit, `:` or `-`. Quotes, backslashes, dots, brackets, `*`,
# blanks, NUL and other control characters can never reach a store.
MEMBER_NAME = re.compile(r"[A-Za-z_@$][A-Za-z0-9_@$:-]{0,127}", re.ASCII)
MAX_PATH_DEPTH = 16


def check_path(path: tuple[str, ...]) -> tuple[str, ...]:
    """The path itself when every step is a valid member name; InvalidQuery (`invalid_query`) if not."""
    if not path or len(path) > MAX_PATH_DEPTH:
        raise InvalidQuery(f"a member path has 1 to {MAX_PATH_DEPTH} steps")
    for step in path:
        if type(step) is not str or not MEMBER_NAME.fullmatch(step):
            raise InvalidQuery(f"{step!r} is not a valid member name")
    return path


@dataclass(frozen=True, slots=True)
class Field:
    """A body path, or (with `meta`) one of the stored document's own columns.

    `scalar` is a promise from the caller (usually its schema, enforced on write): the member is
    never an array or an object. A store may then compare it directly and use a member index.
    `instant` is another: the member, reached through objects only (no arrays on the path), is an
    RFC 3339 date-time string; EQ/NE/LT/LE/GT/GE with a date-time string then compare instants
    (`2024-01-15T10:00:00-04:00` equals `2024-01-15T14:00:00Z`), and other values match nothing;
    a sort key orders by instant (not with a keyset cursor).
    """

    path: tuple[str, ...] = ()
    meta: str | None = None
    scalar: bool = False
    instant: bool = False

    def __post_init__(self) -> None:
        if self.meta is not None and self.meta not in META_FIELDS:
            raise ValueError(f"unknown meta field {self.meta!r}")
        if self.meta is None:
            check_path(self.path)


def body(*path: str, scalar: bool = False, instant: bool = False) -> Field:
    """A field inside the JSON body (`scalar`: the caller's schema says it is never an array;
    `instant`: it is a date-time, compared as an instant)."""
    return Field(path=tuple(path), scalar=scalar, instant=instant)


def meta(name: str) -> Field:
    """A column of the stored document: id, version, created_at, modified_at, ..."""
    return Field(meta=name)


class Op(StrEnum):
    """Comparison operators every store supports."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    REGEX = "regex"  # re.search semantics; anchor the pattern for a whole-value match
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    IN = "in"


@dataclass(frozen=True, slots=True)
class Cond:
    """One predicate. NE and NOT_EXISTS are negations: true when the field is missing."""

    field: Field
    op: Op
    value: Any = None
    ignore_case: bool = False


@dataclass(frozen=True, slots=True)
class AllOf:
    """Logical AND of conditions."""

    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Logical OR of conditions."""

    items: tuple[Condition, ...]


Condition = Cond | AllOf | AnyOf


@dataclass(frozen=True, slots=True)
class SortKey:
    """One sort key; missing values sort first ascending and last descending."""

    field: Field
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """A list request. `after` is a keyset cursor: the sort values then the id of the last item seen."""

    kinds: tuple[str, ...] = ()
    where: Condition | None = None
    sort: tuple[SortKey, ...] = ()
    offset: int = 0
    limit: int | None = None
    after: tuple[Any, ...] | None = None
    with_total: bool = True
    include_deleted: bool = False
    # Inside a write unit: hold a shared lock on the rows returned until it ends, so a concurrent
    # delete of a document this write is about to reference waits, then sees the reference.
    lock: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    """A page of documents and, when asked for, the count of all that match (ignoring offset/limit)."""

    items: list[Any] = field(default_factory=list)
    total: int | None = None


def meta_values(doc: Document) -> dict[str, Any]:
    """A stored document's meta fields by their query names (for keyset cursors)."""
    at_id = doc.body.get("@id") if type(doc.body) is dict else None
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
        "at_id": at_id if type(at_id) is str else None,
    }


def path_strings(doc_body: Any, path: tuple[str, ...]) -> set[str]:
    """The string values a filter on `path` compares with (a step that meets an array looks into
    every element that is an object; the last step yields a scalar or the elements of an array)."""
    found: set[str] = set()
    _collect(doc_body, path, found)
    return found


def _collect(value: Any, path: tuple[str, ...], found: set[str]) -> None:
    if type(value) is not dict or path[0] not in value:
        return
    value = value[path[0]]
    rest = path[1:]
    if not rest:
        for leaf in value if type(value) is list else (value,):
            if type(leaf) is str:
                found.add(leaf)
    elif type(value) is list:
        for element in value:
            _collect(element, rest, found)
    else:
        _collect(value, rest, found)


def sort_value(doc_body: Any, key: Field, doc_meta: dict[str, Any]) -> Any:
    """The value a document has for a sort key: used to build keyset cursors from returned items."""
    if key.meta is not None:
        return doc_meta[key.meta]
    value = doc_body
    for step in key.path:
        if type(value) is not dict or step not in value:
            return None
        value = value[step]
    return value
