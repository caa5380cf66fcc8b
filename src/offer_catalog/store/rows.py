"""Row <-> Document conversion shared by the stores (same column order everywhere)."""

from __future__ import annotations

from typing import Any

import orjson

from offer_catalog.documents.model import Document, Event

DOC_COLUMNS = (
    "scope, kind, id, version, deleted, created_at, created_by, created_by_client, "
    "modified_at, modified_by, modified_by_client, body"
)
# What a fetch by key selects: the key itself is known to the caller (fewer columns decode faster).
FETCH_COLUMNS = (
    "version, deleted, created_at, created_by, created_by_client, "  # keep: one string
    "modified_at, modified_by, modified_by_client, body"
)
EVENT_COLUMNS = "seq, scope, kind, id, version, change, occurred_at"


def row_to_document(row: tuple[Any, ...]) -> Document:
    """Build a Document from a row selected with DOC_COLUMNS (body as JSON text)."""
    # DOC_COLUMNS is the key followed by FETCH_COLUMNS.
    return fetched_to_document(row[0], row[1], row[2], row[3:])


def fetched_to_document(scope: str, kind: str, id: str, row: tuple[Any, ...]) -> Document:
    """Build a Document from a row selected with FETCH_COLUMNS by its key."""
    return Document(
        scope=scope,
        kind=kind,
        id=id,
        version=row[0],
        deleted=bool(row[1]),
        created_at=row[2],
        created_by=row[3],
        created_by_client=row[4],
        modified_at=row[5],
        modified_by=row[6],
        modified_by_client=row[7],
        body=orjson.loads(row[8]),
    )


class Fetched:
    """The current row of a document fetched by its key, its body still JSON text: a reader that may
    not need the body (its answer to this version already made) decodes it only with `document()`."""

    __slots__ = ("deleted", "id", "kind", "modified_at", "row", "scope", "version")

    def __init__(self, scope: str, kind: str, id: str, row: tuple[Any, ...]) -> None:
        self.scope, self.kind, self.id, self.row = scope, kind, id, row
        self.version: int = row[0]
        self.deleted = bool(row[1])
        self.modified_at: str = row[5]

    def document(self) -> Document:
        """The Document, its body decoded."""
        return fetched_to_document(self.scope, self.kind, self.id, self.row)


def document_params(doc: Document, body_text: str) -> tuple[Any, ...]:
    """The values of DOC_COLUMNS for a document."""
    return (
        doc.scope,
        doc.kind,
        doc.id,
        doc.version,
        doc.deleted,
        doc.created_at,
        doc.created_by,
        doc.created_by_client,
        doc.modified_at,
        doc.modified_by,
        doc.modified_by_client,
        body_text,
    )


def row_to_event(row: tuple[Any, ...]) -> Event:
    """Build an Event from a row selected with EVENT_COLUMNS."""
    return Event(
        seq=row[0], scope=row[1], kind=row[2], id=row[3], version=row[4], change=row[5], occurred_at=row[6]
    )


def at_id_of(body: Any) -> str | None:
    """The body's "@id" when it is a string (stored in its own indexed column)."""
    if type(body) is dict:
        value = body.get("@id")
        if type(value) is str:
            return value
    return None


def dump_body(body: Any) -> str:
    """Serialise a body for storage."""
    return orjson.dumps(body).decode()
