"""The PostgreSQL store: psycopg 3 with a connection pool, bodies in JSONB."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from offer_catalog.documents.model import CREATED, Document, utc_now
from offer_catalog.errors import QueryTimeout, StoreUnavailable
from offer_catalog.store import pg_fences, pg_ranges
from offer_catalog.store.base import BulkLoader, QueryLimits, check_written, migration_scripts
from offer_catalog.store.decision_log import DecisionLogSql
from offer_catalog.store.delivery_tables import DeliveryTables
from offer_catalog.store.pg_bulk import BulkLoad, bulk_load
from offer_catalog.store.pg_connect import check_connection
from offer_catalog.store.pg_history import HISTORY, VERSION, pack, version_to_document
from offer_catalog.store.pg_query import SELECT, PostgresQueries
from offer_catalog.store.pg_write import INSERT_SAVE, SCOPE_CHANGES, UPDATE_SAVE, LazyTransaction
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
from offer_catalog.store.sqlcompile import (
    postgres_member_expr,
    postgres_value_index_name,
)

_SELECT = SELECT
_FETCH = (
    f"SELECT {FETCH_COLUMNS.replace('body', 'body::text')} FROM documents "
    "WHERE scope = %s AND kind = %s AND id = %s"
)
_FETCH_ANY_KIND = f"SELECT {_SELECT} FROM documents WHERE scope = %s AND id = %s"
_MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
)
_MIGRATION_LOCK = 7_106_553  # pg_advisory_xact_lock key: one migrator at a time


class PostgresUnitOfWork(PostgresQueries, DecisionLogSql):
    """A unit of work on one pooled connection inside one transaction."""

    _mark = "%s"
    conn: psycopg.Connection[tuple[Any, ...]] | LazyTransaction

    def __init__(
        self,
        conn: psycopg.Connection[tuple[Any, ...]] | LazyTransaction,
        limits: QueryLimits,
        indexed: set[str],
        paths: set[tuple[str, ...]],
        fenced: set[str],
    ):
        self.conn = conn
        self.limits = limits
        self.indexed = indexed
        self.paths = paths
        self.fenced = fenced
        # (version, JSON text) of the documents this unit read: a save replacing one packs it.
        self._read: dict[tuple[str, str, str], tuple[int, str]] = {}

    def fetch(self, scope: str, kind: str | None, id: str, *, for_update: bool = False) -> Document | None:
        lock = " FOR UPDATE" if for_update else ""
        if kind is None:
            row = self.conn.execute(_FETCH_ANY_KIND + lock, (scope, id)).fetchone()
            if row is None:
                return None
            self._read[(scope, row[1], id)] = (row[3], row[11])
            return row_to_document(row)
        row = self.conn.execute(_FETCH + lock, (scope, kind, id)).fetchone()
        if row is None:
            return None
        self._read[(scope, kind, id)] = (row[0], row[8])
        return fetched_to_document(scope, kind, id, row)

    def fetch_lazy(self, scope: str, kind: str | None, id: str) -> Fetched | None:
        if kind is None:
            row = self.conn.execute(_FETCH_ANY_KIND, (scope, id)).fetchone()
            if row is None:
                return None
            kind, row = row[1], row[3:]
        else:
            row = self.conn.execute(_FETCH, (scope, kind, id)).fetchone()
            if row is None:
                return None
        self._read[(scope, kind, id)] = (row[0], row[8])
        return Fetched(scope, kind, id, row)

    def fetch_version(self, scope: str, kind: str, id: str, version: int) -> Document | None:
        key = {"scope": scope, "kind": kind, "id": id, "version": version}
        row = self.conn.execute(VERSION, key).fetchone()
        return None if row is None else version_to_document(scope, kind, id, row)

    def fetch_history(self, scope: str, kind: str, id: str) -> list[Document]:
        rows = self.conn.execute(HISTORY, {"scope": scope, "kind": kind, "id": id}).fetchall()
        return [version_to_document(scope, kind, id, r) for r in rows]

    def save(self, doc: Document, *, expected_version: int | None, change: str) -> None:
        # One statement: the document, the version it replaces moved to history, its outbox event and
        # the scope's change number.
        text = dump_body(doc.body)
        params: dict[str, Any] = dict(zip(_COLUMN_NAMES, document_params(doc, text), strict=True))
        params["at_id"] = at_id_of(doc.body)
        params["change"] = change
        key = (doc.scope, doc.kind, doc.id)
        if expected_version is None:
            sql = INSERT_SAVE
        else:
            read = self._read.get(key)
            params["expected"] = expected_version
            params["packed"] = pack(read[1]) if read is not None and read[0] == expected_version else None
            sql = UPDATE_SAVE
        row = self.conn.execute(sql, params).fetchone()
        check_written(doc, expected_version, int(row[0]) if row else 0)
        self._read[key] = (doc.version, text)

    def lock(self, scope: str, kind: str, id: str) -> None:
        self.conn.execute(
            "SELECT 1 FROM documents WHERE scope = %s AND kind = %s AND id = %s FOR UPDATE", (scope, kind, id)
        )

    def last_event_seq(self, scope: str) -> int:
        row = self.conn.execute(SCOPE_CHANGES, (scope,)).fetchone()
        return int(row[0]) if row else 0

    def read_counters(self, keys: Sequence[str], now: str | None = None) -> dict[str, int]:
        if not keys:
            return {}
        rows = self.conn.execute(
            "SELECT key, CASE WHEN expires_at < %s::text THEN 0 ELSE value END FROM counters "
            "WHERE key = ANY(%s)",
            (now, list(keys)),
        )
        return {str(k): int(v) for k, v in rows}

    def delivery_tables(self) -> DeliveryTables:
        return DeliveryTables(self.conn, "postgres")


_COLUMN_NAMES = DOC_COLUMNS.split(", ")


def _configure(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    # psycopg prepares statements it sees often; PostgreSQL may then keep a generic plan chosen while
    # the table was empty (a sequential scan) for the life of the connection, turning every lookup
    # by key into a scan as the table grows. Plan each execution with its real parameters instead.
    conn.execute("SET plan_cache_mode = force_custom_plan")


@contextmanager
def _answering() -> Iterator[None]:
    """A server that does not answer, as the store being unavailable."""
    try:
        yield
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(f"PostgreSQL does not answer: {exc}") from exc


class PostgresStore:
    """PostgreSQL store; safe for many worker processes (row locks and compare-and-set versions)."""

    dialect = "postgres"

    def __init__(self, url: str, *, pool_size: int = 10, limits: QueryLimits | None = None):
        self.url = url
        self.limits = limits or QueryLimits()
        # Member names with an index (declared in code): the only names a query writes into SQL.
        self._indexed: set[str] = set()
        # Nested and array paths declared filterable: their values can be counted (pg_counts).
        self._paths: set[tuple[str, ...]] = set()
        # Declared members whose values are counted per bucket (pg_ranges): their totals read the counts.
        self._fenced: set[str] = set()
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            open=False,
            # The query budget bounds every statement, without a round trip per query.
            kwargs={"autocommit": True, "options": f"-c statement_timeout={int(self.limits.budget_ms)}"},
            configure=_configure,
            timeout=10.0,
        )
        self._opened = False
        self._open_lock = threading.Lock()

    def _ensure_open(self) -> None:
        if self._opened:
            return
        with self._open_lock:
            if self._opened:
                return
            # One direct connection first: its failure names the cause in a few seconds, where the
            # pool would retry for its whole timeout and then report only that it gave up.
            check_connection(self.url)
            try:
                self.pool.open(wait=True, timeout=10.0)
            except Exception as exc:
                raise StoreUnavailable(f"cannot connect to PostgreSQL: {exc}") from exc
            self._opened = True

    @contextmanager
    def unit_of_work(self, *, write: bool = False) -> Iterator[PostgresUnitOfWork]:
        self._ensure_open()
        try:
            with self.pool.connection() as conn:
                if write:
                    tx = LazyTransaction(conn)
                    try:
                        yield PostgresUnitOfWork(tx, self.limits, self._indexed, self._paths, self._fenced)
                    except BaseException:
                        tx.abandon()
                        raise
                    tx.finish(commit=True)
                else:
                    # Reads run in autocommit, as on SQLite: a get is one round trip; a list with a
                    # total opens its own snapshot so the page and the count agree.
                    yield PostgresUnitOfWork(conn, self.limits, self._indexed, self._paths, self._fenced)
        except psycopg.errors.QueryCanceled as exc:
            raise QueryTimeout(f"a statement ran longer than {self.limits.budget_ms} ms") from exc
        except (
            psycopg.errors.DiskFull,
            psycopg.errors.ReadOnlySqlTransaction,
            psycopg.errors.IoError,
        ) as exc:
            # The server's disk, not the request, is at fault: answered as the store being unavailable.
            raise StoreUnavailable(f"PostgreSQL cannot write: {exc}") from exc
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"PostgreSQL does not answer: {exc}") from exc

    def _applied(self, conn: psycopg.Connection[tuple[Any, ...]]) -> set[int]:
        conn.execute(_MIGRATIONS_TABLE)
        return {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}

    def pending_migrations(self) -> list[int]:
        self._ensure_open()
        with self.pool.connection() as conn:
            exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
            applied = self._applied(conn) if exists and exists[0] else set()
        return [v for v, _ in migration_scripts("postgres") if v not in applied]

    def migrate(self) -> list[int]:
        self._ensure_open()
        done: list[int] = []
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SET LOCAL statement_timeout = 0")  # schema changes are not queries
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            applied = self._applied(conn)
            for version, sql in migration_scripts("postgres"):
                if version not in applied:
                    conn.execute(sql.encode())
                    conn.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (version, utc_now()))
                    done.append(version)
        return done

    def bulk_load(self, docs: Iterable[Document], *, change: str = CREATED, batch: int = 5000) -> int:
        """Insert new documents as given through COPY, `batch` per transaction (see pg_bulk)."""
        self._ensure_open()
        with _answering():
            return bulk_load(self.pool, docs, change=change, batch=batch, paths=sorted(self._paths))

    @contextmanager
    def bulk_loader(self, *, change: str = CREATED) -> Iterator[BulkLoader]:
        """Calls loading as `bulk_load` does; statistics, splits and the counts of path values
        written many times (over all the calls) once, when the block is left without an error."""
        self._ensure_open()
        with _answering():
            load = BulkLoad(self.pool, change=change, paths=sorted(self._paths))
            yield load
            load.finish()

    def ensure_member_indexes(self, members: Sequence[str]) -> None:
        self._ensure_open()
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SET LOCAL statement_timeout = 0")
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            for member in members:
                # Live documents only, values ascending with missing ones first: read forwards it
                # is a sort ascending, backwards one descending (each with SQL's null order).
                conn.execute(
                    f"CREATE INDEX IF NOT EXISTS {postgres_value_index_name(member)} ON documents "
                    f"(scope, kind, {postgres_member_expr(member)} NULLS FIRST, id) "
                    "WHERE NOT deleted".encode()
                )
        self._indexed.update(members)
        with self.pool.connection() as conn:
            if not pg_ranges.byte_order(conn):
                return  # the buckets' byte order is not the index's (pg_ranges): totals are counted
            conn.execute("SET statement_timeout = 0")  # once per member and database
            try:
                for member in members:
                    pg_ranges.fence_member(conn, member)
                pg_fences.split_large(conn)
            finally:
                conn.execute("RESET statement_timeout")
        self._fenced.update(members)

    def ensure_path_indexes(self, paths: Sequence[tuple[str, ...]]) -> None:
        # Equalities on paths use the GIN index (migration 0011); their values may be counted.
        self._paths.update(tuple(path) for path in paths)

    def ping(self) -> None:
        try:
            self._ensure_open()
            with self.pool.connection() as conn:
                conn.execute("SELECT 1")
        except StoreUnavailable:
            raise
        except Exception as exc:
            raise StoreUnavailable(f"PostgreSQL does not answer: {exc}") from exc

    def close(self) -> None:
        if self._opened:
            self.pool.close()
            self._opened = False
