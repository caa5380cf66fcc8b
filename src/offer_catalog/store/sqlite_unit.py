"""A unit of work on SQLite: reads, the versioned save, list queries under the query budget."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Collection, Sequence
from typing import Any

from offer_catalog.documents.model import Document
from offer_catalog.documents.query import Page, Query
from offer_catalog.errors import InvalidQuery
from offer_catalog.store.base import QueryLimits, check_written
from offer_catalog.store.decision_log import DecisionLogSql
from offer_catalog.store.delivery_tables import DeliveryTables
from offer_catalog.store.rows import (
    DOC_COLUMNS,
    FETCH_COLUMNS,
    Fetched,
    at_id_of,
    document_params,
    dump_body,
    fetched_to_document,
    row_to_document,
)
from offer_catalog.store.sqlite_compile import SqliteCompiler
from offer_catalog.store.sqlite_counts import counted_total, range_plan
from offer_catalog.store.sqlite_fences import locate
from offer_catalog.store.sqlite_history import KEYFRAME, MissingBase, decode, version_params, wanted
from offer_catalog.store.sqlite_paths import (
    INSERT_DOC,
    INSERT_EVENT,
    INSERT_PAST_VERSION,
    write_paths,
)
from offer_catalog.store.sqlite_paths import Path as DocPath

_UPDATE_DOC = (
    "UPDATE documents SET version = ?, deleted = ?, created_at = ?, created_by = ?, created_by_client = ?, "
    "modified_at = ?, modified_by = ?, modified_by_client = ?, body = ?, at_id = ? "
    "WHERE scope = ? AND kind = ? AND id = ? AND version = ?"
)
# The usual update: liveness, creation and @id as they were. A column left out of SET leaves its
# indexes (documents_live, documents_scope_at_id) untouched.
_UPDATE_CHANGED = (
    "UPDATE documents SET version = ?, modified_at = ?, modified_by = ?, modified_by_client = ?, body = ? "
    "WHERE scope = ? AND kind = ? AND id = ? AND version = ?"
)
_KEY = "scope = ?1 AND kind = ?2 AND id = ?3"
# A version and every later one, oldest first (a past version may be a delta against the next);
# files written before history held past versions only may hold the current one twice.
_SELECT_FROM_VERSION = (
    f"SELECT {DOC_COLUMNS}, 0 FROM document_versions WHERE {_KEY} AND version BETWEEN ?4 AND ?5 "
    f"UNION ALL SELECT {DOC_COLUMNS}, 1 FROM documents WHERE {_KEY} AND version BETWEEN ?4 AND ?5 "
    "ORDER BY 4, 13"
)
_LAST = 2**63 - 1
_SELECT_DOC = f"SELECT {FETCH_COLUMNS} FROM documents WHERE scope = ? AND kind = ? AND id = ?"
_SELECT_CURRENT = (
    f"SELECT {DOC_COLUMNS}, at_id FROM documents WHERE scope = ? AND kind = ? AND id = ? AND version = ?"
)
_SELECT_DOC_ANY_KIND = f"SELECT {DOC_COLUMNS} FROM documents WHERE scope = ? AND id = ?"


# From this offset on, a page is found by skipping index entries before reading any row.
_DEEP_OFFSET = 1000
# SQLite calls the progress handler every this many virtual machine instructions.
_PROGRESS_STEPS = 1000


def _in_id_order(query: Query) -> bool:
    """A page of every live document of one kind in id order (what id fences count)."""
    return (
        query.where is None
        and not query.sort
        and len(query.kinds) == 1
        and not query.include_deleted
        and query.after is None
        and not query.lock
    )


def _distinct(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows of _SELECT_FROM_VERSION (DOC_COLUMNS and a source) without the source, one per version."""
    out: list[tuple[Any, ...]] = []
    for row in rows:
        if not out or out[-1][3] != row[3]:
            out.append(row[:-1])
    return out


class SqliteUnitOfWork(DecisionLogSql):
    """A unit of work on one SQLite connection."""

    conn: sqlite3.Connection

    def __init__(
        self,
        conn: sqlite3.Connection,
        limits: QueryLimits,
        indexed: set[str],
        paths: set[DocPath],
        walks: Collection[str] = (),
    ):
        self.conn = conn
        self.limits = limits
        self.indexed = indexed
        self.paths = paths
        self.walks = walks  # members with a walk index (store/sqlite_counts.py: walk_index_name)

    def fetch(self, scope: str, kind: str | None, id: str, *, for_update: bool = False) -> Document | None:
        if kind is None:
            row = self.conn.execute(_SELECT_DOC_ANY_KIND, (scope, id)).fetchone()
            return None if row is None else row_to_document(row)
        row = self.conn.execute(_SELECT_DOC, (scope, kind, id)).fetchone()
        return None if row is None else fetched_to_document(scope, kind, id, row)

    def fetch_lazy(self, scope: str, kind: str | None, id: str) -> Fetched | None:
        if kind is None:
            row = self.conn.execute(_SELECT_DOC_ANY_KIND, (scope, id)).fetchone()
            return None if row is None else Fetched(scope, row[1], id, row[3:])
        row = self.conn.execute(_SELECT_DOC, (scope, kind, id)).fetchone()
        return None if row is None else Fetched(scope, kind, id, row)

    def fetch_version(self, scope: str, kind: str, id: str, version: int) -> Document | None:
        # Past versions are in history; the current one is the document itself.
        # Versions follow each other by one, so a version and the 15 after it hold one compressed
        # alone (or the current row); versions skipped (an import may skip some): every later one.
        try:
            return wanted(self._versions(scope, kind, id, version, version + KEYFRAME - 1), version)
        except MissingBase:
            return wanted(self._versions(scope, kind, id, version, _LAST), version)

    def _versions(self, scope: str, kind: str, id: str, first: int, last: int) -> list[tuple[Any, ...]]:
        """Rows (DOC_COLUMNS) of one document's versions from first to last, oldest first."""
        return _distinct(self.conn.execute(_SELECT_FROM_VERSION, (scope, kind, id, first, last)).fetchall())

    def fetch_history(self, scope: str, kind: str, id: str) -> list[Document]:
        return decode(self._versions(scope, kind, id, 0, _LAST)[::-1])[::-1]

    def save(self, doc: Document, *, expected_version: int | None, change: str) -> None:
        params = document_params(doc, dump_body(doc.body))
        at_id = at_id_of(doc.body)
        old = None
        if expected_version is None:
            try:
                rows = self.conn.execute(INSERT_DOC, (*params, at_id)).rowcount
            except sqlite3.IntegrityError:
                rows = 0
        else:
            # The version this one replaces goes to history; its path values leave the path index.
            current = self.conn.execute(
                _SELECT_CURRENT, (doc.scope, doc.kind, doc.id, expected_version)
            ).fetchone()
            rows = 0
            if current is not None:
                old = current[:-1]
                key = (doc.scope, doc.kind, doc.id, expected_version)
                if (*old[4:8], current[-1]) == (*params[4:8], at_id):
                    rows = self.conn.execute(_UPDATE_CHANGED, (params[3], *params[8:], *key)).rowcount
                else:
                    rows = self.conn.execute(_UPDATE_DOC, (*params[3:], at_id, *key)).rowcount
        check_written(doc, expected_version, rows)
        if old is not None:
            self.conn.execute(INSERT_PAST_VERSION, version_params(old, params[-1]))
        replaced = None if old is None or old[4] else old[-1]
        write_paths(self.conn, doc, self.paths, replaced)
        self.conn.execute(INSERT_EVENT, (doc.scope, doc.kind, doc.id, doc.version, change, doc.modified_at))

    def query(self, scope: str, query: Query) -> Page:
        deadline = time.monotonic() + self.limits.budget_ms / 1000
        # Checked between steps of the statement: past the deadline SQLite stops it ("interrupted").
        self.conn.set_progress_handler(lambda: time.monotonic() > deadline, _PROGRESS_STEPS)
        try:
            if self.conn.in_transaction:
                return self._query(scope, query)
            self.conn.execute("BEGIN")
            try:
                return self._query(scope, query)
            finally:
                self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise self.limits.exceeded() from None
            raise
        except OverflowError:
            raise InvalidQuery("a number in the query is out of range", code="number_out_of_range") from None
        finally:
            self.conn.set_progress_handler(None, 0)

    def _compiler(self) -> SqliteCompiler:
        return SqliteCompiler(indexed=self.indexed, max_terms=self.limits.max_terms, paths=self.paths)

    def _query(self, scope: str, query: Query) -> Page:
        compiler = self._compiler()
        where = compiler.where(scope, query)
        if query.limit == 0:
            # A count (`limit=0`): no page to read; the total alone.
            return Page(items=[], total=self._total(scope, query))
        if query.offset > _DEEP_OFFSET and _in_id_order(query):
            return Page(items=self._deep_page(scope, query), total=self._total(scope, query))
        plan = range_plan(self.conn, scope, query, self.indexed, self.walks)
        order = compiler.order_by(query)
        page = ""
        if query.limit is not None or query.offset:
            page = f" LIMIT {-1 if query.limit is None else int(query.limit)} OFFSET {int(query.offset)}"
        if plan is not None and plan.walk is not None:
            # Walk the id order up to the bucket holding row `walk` (as far as the index would cost):
            # enough when the matches are spread; the walk stops at the page's last row.
            stop = locate(self.conn, scope, query.kinds[0], plan.walk)
            bound = "" if stop is None else f" AND id < {compiler.param(stop[0])}"
            walked = (
                f"SELECT {DOC_COLUMNS} FROM documents INDEXED BY {plan.walked} "
                f"WHERE {where}{bound} ORDER BY {order}{page}"
            )
            rows = self.conn.execute(walked, compiler.params).fetchall()
            if query.limit is not None and len(rows) == query.limit:
                return Page(items=[row_to_document(r) for r in rows], total=self._total(scope, query))
        source = compiler.source(query) if plan is None else f"documents INDEXED BY {plan.index}"
        if query.offset > _DEEP_OFFSET or plan is not None:
            # Order and skip through the index alone (rowids), then read only the rows of the page.
            sql = (
                f"SELECT {DOC_COLUMNS} FROM documents WHERE rowid IN (SELECT rowid FROM {source} "
                f"WHERE {where} ORDER BY {order}{page}) ORDER BY {order}"
            )
        else:
            sql = f"SELECT {DOC_COLUMNS} FROM {source} WHERE {where} ORDER BY {order}{page}"
        items = [row_to_document(r) for r in self.conn.execute(sql, compiler.params).fetchall()]
        return Page(items=items, total=self._total(scope, query))

    def _total(self, scope: str, query: Query) -> int | None:
        if not query.with_total:
            return None
        total = None if query.lock else counted_total(self.conn, scope, query, self.indexed, self.paths)
        if total is None:
            counter = self._compiler()
            count_sql = f"SELECT count(*) FROM {counter.source(query)} WHERE {counter.where(scope, query)}"
            total = self.conn.execute(count_sql, counter.params).fetchone()[0]
        return int(total)

    def _deep_page(self, scope: str, query: Query) -> list[Document]:
        """A page deep in id order: whole buckets of ids skipped by their counts, one bucket walked."""
        kind = query.kinds[0]
        start = locate(self.conn, scope, kind, query.offset)
        if start is None:
            return []
        limit = -1 if query.limit is None else int(query.limit)
        rows = self.conn.execute(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE rowid IN (SELECT rowid FROM documents "
            "INDEXED BY documents_live WHERE scope = ? AND kind = ? AND deleted = 0 AND id >= ? "
            "ORDER BY id LIMIT ? OFFSET ?) ORDER BY id",
            (scope, kind, start[0], limit, start[1]),
        ).fetchall()
        return [row_to_document(r) for r in rows]

    def lock(self, scope: str, kind: str, id: str) -> None:
        return None  # a write unit holds SQLite's only write lock already

    def last_event_seq(self, scope: str) -> int:
        row = self.conn.execute("SELECT max(seq) FROM events WHERE scope = ?", (scope,)).fetchone()
        return int(row[0] or 0)

    def read_counters(self, keys: Sequence[str], now: str | None = None) -> dict[str, int]:
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        if now is None:
            rows = self.conn.execute(f"SELECT key, value FROM counters WHERE key IN ({marks})", tuple(keys))
            return {k: int(v) for k, v in rows}
        rows = self.conn.execute(
            "SELECT key, CASE WHEN expires_at < ? THEN 0 ELSE value END FROM counters "
            f"WHERE key IN ({marks})",
            (now, *keys),
        )
        return {k: int(v) for k, v in rows}

    def delivery_tables(self) -> DeliveryTables:
        return DeliveryTables(self.conn, "sqlite")
