"""SQLite's index of nested and array paths: the document_paths table, kept in step with every write.

A filter on a declared path (`productOfferingPrice.id`, `category.id`) compares strings reached by
stepping into every array element; an expression index cannot hold several values per row, so the
store keeps one row per (path, string value) of each current document, written in the same
transaction as the document. The paths indexed are recorded in the database (document_path_names)
so that every process writing the file maintains the same set.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Collection, Mapping, Sequence

import orjson

from offer_catalog.documents.model import Document
from offer_catalog.documents.query import check_path, path_strings
from offer_catalog.store.rows import DOC_COLUMNS

Path = tuple[str, ...]

INSERT_DOC = f"INSERT INTO documents ({DOC_COLUMNS}, at_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
# A past version already stored (written by an older release) is kept as it is.
INSERT_PAST_VERSION = (
    f"INSERT OR IGNORE INTO document_versions ({DOC_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)
INSERT_EVENT = "INSERT INTO events (scope, kind, id, version, change, occurred_at) VALUES (?,?,?,?,?,?)"
_DELETE = "DELETE FROM document_paths WHERE scope = ? AND kind = ? AND path = ? AND value = ? AND id = ?"
_INSERT = "INSERT OR IGNORE INTO document_paths (scope, kind, path, value, id) VALUES (?, ?, ?, ?, ?)"
_BACKFILL_BATCH = 5000
_ABSENT = object()  # a member a body does not hold
# A path value held by this many live documents or more has its count in path_counts (migration
# 0013); one held by fewer may have none, and its rows are counted (at most this many).
PATH_COUNTED = 200
_KEY = "scope = ?1 AND kind = ?2 AND path = ?3 AND value = ?4"
_COUNT_MORE = f"UPDATE path_counts SET n = n + ?5 WHERE {_KEY}"
# A value without a count gets one when it reaches PATH_COUNTED (run after _COUNT_MORE). The
# inner SELECT has no FROM: its WHERE is tested first, so a value that has a count is not counted.
_COUNT_NEW = (
    "INSERT INTO path_counts (scope, kind, path, value, n) SELECT ?1, ?2, ?3, ?4, c FROM "
    f"(SELECT (SELECT count(*) FROM document_paths WHERE {_KEY}) AS c "
    f"WHERE NOT EXISTS (SELECT 1 FROM path_counts WHERE {_KEY})) WHERE c >= ?5"
)


def indexed_paths(conn: sqlite3.Connection) -> frozenset[Path]:
    """The paths the database indexes (none before the migration that adds the table)."""
    try:
        rows = conn.execute("SELECT path FROM document_path_names").fetchall()
    except sqlite3.OperationalError:
        return frozenset()
    return frozenset(tuple(row[0].split(".")) for row in rows)


def write_paths(
    conn: sqlite3.Connection, doc: Document, paths: Collection[Path], replaced: str | None
) -> None:
    """Change a document's rows from those of the live body it replaces (JSON text; None when there
    is none) to those of its new version (none for a tombstone): only the values that changed."""
    if not paths:
        return
    before = None if replaced is None else orjson.loads(replaced)
    if not doc.deleted and type(before) is dict and type(doc.body) is dict:
        # A path whose first member the write left alike keeps its rows (the usual write changes
        # one or two members): only the others are read again.
        after = doc.body
        paths = [p for p in paths if before.get(p[0], _ABSENT) != after.get(p[0], _ABSENT)]
        if not paths:
            return
    new = set() if doc.deleted else set(_rows(doc.scope, doc.kind, doc.id, doc.body, paths))
    old = set() if before is None else set(_rows(doc.scope, doc.kind, doc.id, before, paths))
    # The rows of the replaced body are in the table (written with it): the counts move by the difference.
    changes: Counter[tuple[str, str, str, str]] = Counter()
    if old - new:
        conn.executemany(_DELETE, sorted(old - new))
        changes.subtract(row[:4] for row in old - new)
    if new - old:
        conn.executemany(_INSERT, sorted(new - old))
        changes.update(row[:4] for row in new - old)
    count_paths(conn, changes)


def count_paths(
    conn: sqlite3.Connection, changes: Mapping[tuple[str, str, str, str], int], *, probe: int = 1
) -> None:
    """Move path_counts by the rows each (scope, kind, path, value) gained (or lost) in document_paths;
    a value without a count that gained `probe` rows or more is counted, and kept from PATH_COUNTED.

    A count, when kept, is exact; a value without one has its rows counted at read time. A save
    probes every value it adds (a value reaching PATH_COUNTED gets its count); a bulk batch only
    those it adds twice or more (a near-unique value is not counted per row loaded)."""
    moved = [(*key, n) for key, n in changes.items() if n]
    if moved:
        conn.executemany(_COUNT_MORE, moved)
        conn.executemany(_COUNT_NEW, [(*key, PATH_COUNTED) for key, n in changes.items() if n >= probe])


def _rows(
    scope: str, kind: str, id: str, body: object, paths: Collection[Path]
) -> list[tuple[str, str, str, str, str]]:
    return [(scope, kind, ".".join(path), value, id) for path in paths for value in path_strings(body, path)]


def declare_paths(conn: sqlite3.Connection, paths: Sequence[Path]) -> frozenset[Path]:
    """Index exactly these paths (in a write transaction): fill new ones from every live document,
    drop the rows of paths no longer declared. The paths indexed from now on."""
    wanted = {check_path(p) for p in paths}
    have = indexed_paths(conn)
    for gone in have - wanted:
        name = ".".join(gone)
        conn.execute("DELETE FROM document_paths WHERE path = ?", (name,))
        conn.execute("DELETE FROM path_counts WHERE path = ?", (name,))
        conn.execute("DELETE FROM document_path_names WHERE path = ?", (name,))
    added = wanted - have
    if added:
        cursor = conn.execute("SELECT scope, kind, id, body FROM documents WHERE deleted = 0")
        while batch := cursor.fetchmany(_BACKFILL_BATCH):
            rows = [r for s, k, i, b in batch for r in _rows(s, k, i, orjson.loads(b), added)]
            conn.executemany(_INSERT, rows)
        conn.executemany("INSERT INTO document_path_names (path) VALUES (?)", [(".".join(p),) for p in added])
        conn.executemany(
            "INSERT INTO path_counts (scope, kind, path, value, n) SELECT scope, kind, path, value, "
            "count(*) FROM document_paths WHERE path = ? GROUP BY scope, kind, path, value "
            "HAVING count(*) >= ?",
            [(".".join(p), PATH_COUNTED) for p in added],
        )
    return frozenset(wanted)
