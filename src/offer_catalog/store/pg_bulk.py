"""PostgreSQL bulk load: new documents through COPY, with their outbox events and change number.

Each batch is one transaction: the documents are copied into a session-local staging table (their
JSON parsed once, into JSONB), then moved into `documents` (history holds past versions only, and a
new document has none), with one outbox event each (in the order given) and one bump of each scope's
change number by the batch's count.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from offer_catalog.documents.model import CREATED, Document
from offer_catalog.errors import AlreadyExists
from offer_catalog.store import pg_counts, pg_fences, pg_ranges
from offer_catalog.store.pg_write import BUMP_UPSERT, bump_stripe
from offer_catalog.store.rows import DOC_COLUMNS, at_id_of, document_params, dump_body

_STAGE = (
    'CREATE TEMP TABLE IF NOT EXISTS bulk_documents (scope TEXT, kind TEXT, id TEXT COLLATE "C", '
    "version INTEGER, deleted BOOLEAN, created_at TEXT, created_by TEXT, created_by_client TEXT, "
    'modified_at TEXT, modified_by TEXT, modified_by_client TEXT, body JSONB, at_id TEXT COLLATE "C", '
    "n BIGINT) ON COMMIT DELETE ROWS"
)
_COPY = f"COPY bulk_documents ({DOC_COLUMNS}, at_id, n) FROM STDIN"
_MOVE = (
    f"INSERT INTO documents ({DOC_COLUMNS}, at_id) SELECT {DOC_COLUMNS}, at_id FROM bulk_documents",
    "INSERT INTO events (scope, kind, id, version, change, occurred_at) "
    "SELECT scope, kind, id, version, %s, modified_at FROM bulk_documents ORDER BY n",
    f"INSERT INTO scope_changes AS s (scope, stripe, seq) {bump_stripe('b.scope', 'b.n')} "
    f"FROM (SELECT scope, count(*) AS n FROM bulk_documents GROUP BY scope) b {BUMP_UPSERT}",
)
# Statistics are refreshed when a load adds a quarter of the table or more (or the table never had
# any): without them the planner may answer a lookup by key from another index of the scope.
PARALLEL = 4
"""Batches loaded at once at most (each on its own connection; never more than the pool holds).

Measured on 2 busy cores, 40,000 offerings of 1.6 KB: 1 at a time 1,411-1,543 docs/s, 2: 2,332-2,501,
4: 2,737-2,869."""
_STALE = "SELECT reltuples FROM pg_class WHERE oid = 'documents'::regclass"


WINDOW = 10_000
"""Documents per window of the load's tally of path values (lossy counting: see _Tally)."""
Where = tuple[str, str, tuple[str, ...]]
"""(scope, kind, path)."""


class _Tally:
    """How many loaded documents hold each string value at each declared path, in bounded memory.

    Lossy counting (Manku and Motwani): at the end of each WINDOW documents, the values whose count
    (with the windows missed before their first) does not exceed the windows seen are dropped, so
    unique ids do not pile up. A value is kept with an over-estimate of at most one per window: those
    held by more than `threshold` documents are all among `many(threshold)` (their counts are then
    made by the database, exact).
    """

    def __init__(self, paths: Collection[tuple[str, ...]]) -> None:
        self.paths = tuple(paths)
        self.seen = 0
        self.held: dict[Where, dict[str, list[int]]] = {}

    def tallied(self, docs: Iterable[Document]) -> Iterator[Document]:
        """The documents as given, tallied on the way."""
        for doc in docs:
            window = self.seen // WINDOW
            self.seen += 1
            if not doc.deleted and isinstance(doc.body, dict):
                for path in self.paths:
                    if path[0] not in doc.body:
                        continue
                    values = _strings(doc.body, path)
                    if not values:
                        continue
                    held = self.held.setdefault((doc.scope, doc.kind, path), {})
                    for value in values:
                        entry = held.get(value)
                        if entry is None:
                            held[value] = [1, window]
                        else:
                            entry[0] += 1
            if self.seen % WINDOW == 0:
                done = self.seen // WINDOW
                for where, held in self.held.items():
                    self.held[where] = {value: entry for value, entry in held.items() if sum(entry) > done}
            yield doc

    def many(self, threshold: int) -> dict[Where, list[str]]:
        """The values possibly held by more than `threshold` documents, per (scope, kind, path)."""
        found = {
            where: [value for value, entry in held.items() if sum(entry) > threshold]
            for where, held in self.held.items()
        }
        return {where: values for where, values in found.items() if values}


def _strings(body: Any, path: tuple[str, ...]) -> set[str]:
    """The strings at a path, arrays on the way unwrapped (SQL/JSON lax mode, as the counts read it)."""
    nodes = [body]
    for step in path:
        found: list[Any] = []
        for node in nodes:
            if type(node) is list:
                found.extend(item[step] for item in node if type(item) is dict and step in item)
            elif type(node) is dict and step in node:
                found.append(node[step])
        nodes = found
    strings: set[str] = set()
    for node in nodes:
        if type(node) is str:
            strings.add(node)
        elif type(node) is list:
            strings.update(item for item in node if type(item) is str)
    return strings


def _load_batch(conn: psycopg.Connection[tuple[Any, ...]], docs: list[Document], change: str) -> None:
    try:
        with conn.transaction():
            conn.execute("SET LOCAL statement_timeout = 0")  # a load is not a query under its budget
            # The count trigger's statement over the batch (a transition table) costs past the JIT
            # thresholds: compiling it for every batch took three times the load's own work.
            conn.execute("SET LOCAL jit = off")
            conn.execute(_STAGE)
            with conn.cursor().copy(_COPY) as copy:
                for n, doc in enumerate(docs):
                    copy.write_row((*document_params(doc, dump_body(doc.body)), at_id_of(doc.body), n))
            for statement in _MOVE:
                conn.execute(statement, (change,) if "%s" in statement else None)
    except psycopg.errors.UniqueViolation:
        raise AlreadyExists(
            "a document of the batch already exists: nothing of the batch was written",
            details={"batch": len(docs)},
        ) from None


class BulkLoad:
    """One load made of several calls (an import's batches): each call writes as `bulk_load` does,
    and the maintenance of a load's end (statistics, bucket splits, counts of the path values
    written many times, tallied over every call) runs once, at `finish`."""

    def __init__(
        self,
        pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]],
        *,
        change: str = CREATED,
        parallel: int = PARALLEL,
        paths: Collection[tuple[str, ...]] = (),
    ) -> None:
        self.pool = pool
        self.change = change
        self.parallel = max(1, min(parallel, pool.max_size))
        self.tally = _Tally(paths)
        self.written = 0
        self._lock = threading.Lock()  # calls may come from several threads (see workers)

    @property
    def workers(self) -> int:
        """Calls worth making at once: one pooled connection each, `parallel` at most."""
        return self.parallel

    def _load_one(self, docs_batch: list[Document]) -> int:
        with self.pool.connection() as conn:
            _load_batch(conn, docs_batch, self.change)
        return len(docs_batch)

    def _tallied(self, docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
        it = iter(docs)
        while True:
            with self._lock:
                docs_batch = list(self.tally.tallied(islice(it, size)))
            if not docs_batch:
                return
            yield docs_batch

    def load(self, docs: Iterable[Document], *, batch: int) -> int:
        """Insert new documents as given, `batch` per transaction, up to `parallel` batches at once;
        AlreadyExists if an id of a batch is taken (that batch writes nothing; the others stay).
        Safe to call from several threads at once (one transaction per batch each)."""
        done = 0
        with ThreadPoolExecutor(self.parallel, thread_name_prefix="bulk-load") as runner:
            running: deque[Future[int]] = deque()
            try:
                for docs_batch in self._tallied(docs, batch):
                    if len(running) >= self.parallel:
                        done += running.popleft().result()
                    running.append(runner.submit(self._load_one, docs_batch))
                while running:
                    done += running.popleft().result()
            finally:
                for future in running:
                    future.cancel()
                with self._lock:
                    self.written += done
        return done

    def finish(self) -> None:
        """The load's end: what it wrote made as quick to list as what was there before."""
        if self.written:
            _refresh_statistics(self.pool, self.written, self.tally)


def bulk_load(
    pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]],
    docs: Iterable[Document],
    *,
    change: str = CREATED,
    batch: int,
    parallel: int = PARALLEL,
    paths: Collection[tuple[str, ...]] = (),
) -> int:
    """Insert new documents as given, `batch` per transaction, up to `parallel` batches at once.

    AlreadyExists if an id of a batch is taken: that batch writes nothing (batches loaded before
    it, or beside it, stay). Batches run on their own pooled connections, so the server's work
    (JSON parsing, index maintenance) spreads over its cores while this process formats the next.
    The string values at `paths` (declared paths) are tallied on the way: those the load wrote
    many times are counted at its end (pg_counts), so their first list has no promotion to pay.
    """
    load = BulkLoad(pool, change=change, parallel=parallel, paths=paths)
    written = load.load(docs, batch=batch)
    load.finish()
    return written


def _refresh_statistics(
    pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]], written: int, tally: _Tally
) -> None:
    # The first list after a load is then as quick as the next ones: statistics for the planner,
    # the buckets the load filled split now (ids for deep pages, member values for totals), and the
    # path values it wrote more often than a bounded count reaches counted (one pass per path).
    with pool.connection() as conn:
        row = conn.execute(_STALE).fetchone()
        if row is None or float(row[0]) < 0 or written * 4 >= float(row[0]):
            with conn.transaction():
                conn.execute("SET LOCAL statement_timeout = 0")
                conn.execute("ANALYZE documents")
        pg_ranges.complete_all(conn)
        many = tally.many(pg_counts.THRESHOLD)
        if not many or pool.max_size < 2:
            pg_fences.split_large(conn)
            _count_path_values(conn, many)
            return
        # Side by side on a second connection: splits and promotions touch other rows of the counts
        # (buckets against path values) and both wait for earlier writers with SHARE locks, which
        # do not conflict; the statistics they plan with are there already.
        with ThreadPoolExecutor(1, thread_name_prefix="bulk-load-end") as runner:
            splits = runner.submit(_split_large, pool)
            _count_path_values(conn, many)
            splits.result()


def _split_large(pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]]) -> None:
    with pool.connection() as conn:
        pg_fences.split_large(conn)


def _count_path_values(conn: psycopg.Connection[tuple[Any, ...]], many: dict[Where, list[str]]) -> None:
    if not many:
        return
    conn.execute("SET statement_timeout = 0")  # a load's maintenance is not a query under its budget
    try:
        for (scope, kind, path), values in sorted(many.items()):
            key, jsonpath = pg_counts.path_key(path)
            pg_counts.promote_loaded(conn, scope, pg_counts.Counted(kind, key, jsonpath, tuple(values), None))
    finally:
        conn.execute("RESET statement_timeout")
