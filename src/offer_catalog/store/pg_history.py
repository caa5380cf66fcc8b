"""Compact history on PostgreSQL: past versions only, each body zlib-compressed JSON text (migration 0013).

The current version of a document is its `documents` row; a write moves the version it replaces
into `document_versions`. Its body is packed by this process when the unit of work read that
version (the usual read-modify-write), else copied as JSONB by the server (read as it is).
"""

from __future__ import annotations

import zlib
from typing import Any

from offer_catalog.documents.model import Document
from offer_catalog.store.rows import FETCH_COLUMNS, fetched_to_document

# Fastest compression: history is written on every change and read rarely (level 1 is within 1%
# of level 3 on offerings of 1.6 KB: about 39% of the JSON text).
_LEVEL = 1
_KEY = "scope = %(scope)s AND kind = %(kind)s AND id = %(id)s"
_PAST = FETCH_COLUMNS.replace("body", "body::text, packed")
_CURRENT = FETCH_COLUMNS.replace("body", "body::text, NULL::bytea")
HISTORY = (
    f"SELECT {_PAST} FROM document_versions WHERE {_KEY} UNION ALL "
    f"SELECT {_CURRENT} FROM documents WHERE {_KEY} ORDER BY 1"
)
"""Every version of one document, oldest first: its past versions, then its current row."""
VERSION = (
    f"SELECT {_PAST} FROM document_versions WHERE {_KEY} AND version = %(version)s UNION ALL "
    f"SELECT {_CURRENT} FROM documents WHERE {_KEY} AND version = %(version)s"
)
"""One version of one document, past or current."""


def pack(body_text: str) -> bytes:
    """A body's JSON text as a past version stores it."""
    return zlib.compress(body_text.encode(), _LEVEL)


def version_to_document(scope: str, kind: str, id: str, row: tuple[Any, ...]) -> Document:
    """A row of HISTORY or VERSION as a Document, whichever way its body is stored."""
    packed = row[-1]
    body = zlib.decompress(packed) if packed is not None else row[-2]
    return fetched_to_document(scope, kind, id, (*row[:-2], body))
