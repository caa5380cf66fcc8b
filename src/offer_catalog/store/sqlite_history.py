"""Compact history on SQLite: document_versions holds each past version (a save moves the version
it replaces there); the current version is the documents row.

A past version's body is zlib-compressed JSON text, compressed with the JSON text of the version
that replaced it as the preset dictionary (a reverse delta: what a change left alike costs a few
bytes), except every `KEYFRAME`-th version, compressed alone, so that reading one version
reads and decompresses at most `KEYFRAME` rows. zlib marks a stream that needs a dictionary (FDICT) and
checks the dictionary's checksum, so a body is never decoded against the wrong one. Files written
before migration 0012 hold rows of JSON text: the migration packs them alone (`oc_pack`).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from offer_catalog.documents.model import Document
from offer_catalog.store.rows import row_to_document

# Fastest compression: history is written on every change and read rarely (level 1 is within 1%
# of level 3 on offerings of 1.6 KB).
_LEVEL = 1
# One version in this many is compressed alone: the bound on a read's decompressions.
KEYFRAME = 16
_FDICT = 0x20  # second byte of a zlib stream: compressed with a preset dictionary


def pack(body_text: str, newer: str | None = None) -> bytes:
    """A body's JSON text as history stores it: alone, or against the JSON text of the version
    that replaced it."""
    if newer is None:
        return zlib.compress(body_text.encode(), _LEVEL)
    packer = zlib.compressobj(_LEVEL, zdict=newer.encode())
    return packer.compress(body_text.encode()) + packer.flush()


def version_params(params: tuple[Any, ...], newer: str) -> tuple[Any, ...]:
    """A documents row (DOC_COLUMNS, body last) as the history row of a past version, given the
    body text of the version replacing it."""
    version = params[3]
    return (*params[:-1], pack(params[-1], None if version % KEYFRAME == 0 else newer))


def _needs_newer(body: object) -> bool:
    return type(body) is bytes and body[1] & _FDICT != 0


def decode(rows: Sequence[tuple[Any, ...]]) -> list[Document]:
    """Rows (DOC_COLUMNS) of one document's versions, newest first and consecutive from the
    newest (the current row, or a row that needs no newer one), as Documents, newest first."""
    docs: list[Document] = []
    newer: bytes | None = None
    for row in rows:
        body = row[-1]
        if type(body) is bytes:
            if body[1] & _FDICT:
                if newer is None:
                    raise MissingBase(f"version {row[3]} needs the one after it")
                unpacker = zlib.decompressobj(zdict=newer)
                body = unpacker.decompress(body) + unpacker.flush()
            else:
                body = zlib.decompress(body)
            newer = body
        else:
            newer = body.encode()
        docs.append(row_to_document((*row[:-1], body)))
    return docs


class MissingBase(zlib.error):
    """The rows stop before the version a past version's delta needs."""


def wanted(rows: Sequence[tuple[Any, ...]], version: int) -> Document | None:
    """One version from rows (DOC_COLUMNS) of one document: `version` and consecutive later ones,
    oldest first; decoded from the nearest later row that needs no newer one (MissingBase when
    there is none among the rows)."""
    if not rows or rows[0][3] != version:
        return None
    end = 0
    while _needs_newer(rows[end][-1]):
        end += 1
        if end == len(rows):
            raise MissingBase(f"version {rows[-1][3]} needs the one after it")
    return decode(rows[end::-1])[-1]
