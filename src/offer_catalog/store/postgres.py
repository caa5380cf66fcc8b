"""The PostgreSQL store: psycopg 3 with a connection pool, bodies in JSONB."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool

from offer_catalog.documents.model import Document, Event, utc_now
from offer_catalog.documents.query import Page, Query
from offer_catalog.errors import InvalidQuery, QueryTimeout, StoreUnavailable
from offer_catalog.store.base import QueryLimits, check_written, migration_scripts
from offer_catalog.store.decision_log import DecisionLogSql
from offer_catalog.store.delivery_tables import DeliveryTables
from offer_catalog.store.pg_connect import check_connection
from offer_catalog.store.rows import (
    DOC_COLUMNS,
    EVENT_COLUMNS,
    FETCH_COLUMNS,
    at_id_of,
    document_params,
    dump_body,
    fetched_to_document,
    row_to_document,
    row_to_event,
)
from offer_catalog.store.sqlcompile import PostgresCompiler, member_index_name, postgres_member_expr

_SELECT = DOC_COLUMNS.replace("body", "body::text")
_FETCH = (
    f"SELECT {FETCH_COLUMNS.replace('body', 'body::text')} FROM documents "
    "WHERE scope = %s AND kind = %s AND id = %s"
)
_FETCH_ANY_KIND = f"SELECT {_SELECT} FROM documents WHERE scope = %s AND id = %s"
_MARKS = "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s::jsonb"
_INSERT_DOC = f"INSERT INTO documents ({DOC_COLUMNS}, at_id) VALUES ({_MARKS}, %s) ON CONFLICT DO NOTHING"
_INSERT_VERSION = f"INSERT INTO document_versions ({DOC_COLUMNS}) VALUES ({_MARKS})"
_UPDATE_DOC = (
    "UPDATE documents SET version = %s, deleted = %s, created_at = %s, created_by = %s, "
    "created_by_client = %s, modified_at = %s, modified_by = %s, modified_by_client = %s, body = %s::jsonb, "
    "at_id = %s "
    "WHERE scope = %s AND kind = %s AND id = %s AND version = %s"
)
_INSERT_EVENT = (
    "INSERT INTO events (scope, kind, id, version, change, occurred_at) VALUES (%s,%s,%s,%s,%s,%s)"
)
_BUMP_SCOPE = (
    "INSERT INTO scope_changes AS s (scope, seq) VALUES (%s, 1) "
    "ON CONFLICT (scope) DO UPDATE SET seq = s.seq + 1"
)
_MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
)
_MIGRATION_LOCK = 7_106_553  # pg_advisory_xact_lock key: one migrator at a time


class PostgresUnitOfWork(DecisionLogSql):
    """A unit of work on one pooled connection inside one transaction."""

    _mark = "%s"
    conn: psycopg.Connection[tuple[Any, ...]]

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]], limits: QueryLimits, indexed: set[str]):
        self.conn = conn
        self.limits = limits
        self.indexed = indexed

    def fetch(self, scope: str, kind: str | None, id: str, *, for_update: bool = False) -> Document | None:
        lock = " FOR UPDATE" if for_update else ""
        if kind is None:
            row = self.conn.execute(_FETCH_ANY_KIND + lock, (scope, id)).fetchone()
            return None if row is None else row_to_document(row)
        row = self.conn.execute(_FETCH + lock, (scope, kind, id)).fetchone()
        return None if row is None else fetched_to_document(scope, kind, id, row)

    def fetch_version(self, scope: str, kind: str, id: str, version: int) -> Document | None:
        row = self.conn.execute(
            f"SELECT {_SELECT} FROM document_versions WHERE scope = %s AND kind = %s AND id = %s "
            "AND version = %s",
            (scope, kind, id, version),
        ).fetchone()
        return None if row is None else row_to_document(row)

    def fetch_history(self, scope: str, kind: str, id: str) -> list[Document]:
        rows = self.conn.execute(
            f"SELECT {_SELECT} FROM document_versions WHERE scope = %s AND kind = %s AND id = %s "
            "ORDER BY version",
            (scope, kind, id),
        ).fetchall()
        return [row_to_document(r) for r in rows]

    def save(self, doc: Document, *, expected_version: int | None, change: str) -> None:
        params = document_params(doc, dump_body(doc.body))
        at_id = at_id_of(doc.body)
        if expected_version is None:
            sql, args = _INSERT_DOC, (*params, at_id)
        else:
            sql, args = _UPDATE_DOC, (*params[3:], at_id, doc.scope, doc.kind, doc.id, expected_version)
        check_written(doc, expected_version, self.conn.execute(sql, args).rowcount)
        self.conn.execute(_INSERT_VERSION, params)
        self.conn.execute(_INSERT_EVENT, (doc.scope, doc.kind, doc.id, doc.version, change, doc.modified_at))
        self.conn.execute(_BUMP_SCOPE, (doc.scope,))

    def query(self, scope: str, query: Query) -> Page:
        try:
            if not query.with_total or self.conn.info.transaction_status != TransactionStatus.IDLE:
                return self._query(scope, query)
            with self.conn.transaction():
                self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                return self._query(scope, query)
        except psycopg.errors.QueryCanceled:
            # Every statement runs under the session's statement_timeout (the query budget).
            raise QueryTimeout(
                f"the query ran longer than its budget of {self.limits.budget_ms} ms",
                details={"budget_ms": self.limits.budget_ms},
            ) from None
        except psycopg.errors.InvalidRegularExpression as exc:
            raise InvalidQuery(f"invalid regular expression: {exc}", code="invalid_query") from None

    def _compiler(self) -> PostgresCompiler:
        return PostgresCompiler(indexed=self.indexed, max_terms=self.limits.max_terms)

    def _query(self, scope: str, query: Query) -> Page:
        compiler = self._compiler()
        where = compiler.where(scope, query)
        sql = f"SELECT {_SELECT} FROM documents WHERE {where} ORDER BY {compiler.order_by(query)}"
        if query.limit is not None:
            sql += f" LIMIT {int(query.limit)}"
        if query.offset:
            sql += f" OFFSET {int(query.offset)}"
        if query.lock:
            sql += " FOR SHARE"
        items = [row_to_document(r) for r in self.conn.execute(sql.encode(), compiler.params).fetchall()]
        total = None
        if query.with_total:
            counter = self._compiler()
            count_sql = f"SELECT count(*) FROM documents WHERE {counter.where(scope, query)}"
            row = self.conn.execute(count_sql.encode(), counter.params).fetchone()
            total = int(row[0]) if row else 0
        return Page(items=items, total=total)

    def lock(self, scope: str, kind: str, id: str) -> None:
        self.conn.execute(
            "SELECT 1 FROM documents WHERE scope = %s AND kind = %s AND id = %s FOR UPDATE", (scope, kind, id)
        )

    def events_after(self, seq: int, limit: int) -> list[Event]:
        rows = self.conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > %s ORDER BY seq LIMIT %s", (seq, limit)
        ).fetchall()
        return [row_to_event(r) for r in rows]

    def increment_counter(self, key: str, limit: int | None, amount: int = 1) -> bool:
        if limit is not None and amount > limit:
            return False
        cur = self.conn.execute(
            "INSERT INTO counters AS c (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "
            "SET value = c.value + excluded.value WHERE %s::bigint IS NULL OR c.value + excluded.value <= %s",
            (key, amount, limit, limit),
        )
        return cur.rowcount == 1

    def last_event_seq(self, scope: str) -> int:
        row = self.conn.execute("SELECT seq FROM scope_changes WHERE scope = %s", (scope,)).fetchone()
        return int(row[0] or 0) if row else 0

    def read_counters(self, keys: Sequence[str]) -> dict[str, int]:
        if not keys:
            return {}
        rows = self.conn.execute("SELECT key, value FROM counters WHERE key = ANY(%s)", (list(keys),))
        return {str(k): int(v) for k, v in rows}

    def delivery_tables(self) -> DeliveryTables:
        return DeliveryTables(self.conn, "postgres")


def _configure(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    # psycopg prepares statements it sees often; PostgreSQL may then keep a generic plan chosen while
    # the table was empty (a sequential scan) for the life of the connection, turning every lookup
    # by key into a scan as the table grows. Plan each execution with its real parameters instead.
    conn.execute("SET plan_cache_mode = force_custom_plan")


class PostgresStore:
    """PostgreSQL store; safe for many worker processes (row locks and compare-and-set versions)."""

    dialect = "postgres"

    def __init__(self, url: str, *, pool_size: int = 10, limits: QueryLimits | None = None):
        self.url = url
        self.limits = limits or QueryLimits()
        # Member names with an index (declared in code): the only names a query writes into SQL.
        self._indexed: set[str] = set()
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
                    with conn.transaction():
                        yield PostgresUnitOfWork(conn, self.limits, self._indexed)
                else:
                    # Reads run in autocommit, as on SQLite: a get is one round trip; a list with a
                    # total opens its own snapshot so the page and the count agree.
                    yield PostgresUnitOfWork(conn, self.limits, self._indexed)
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

    def ensure_member_indexes(self, members: Sequence[str]) -> None:
        self._ensure_open()
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SET LOCAL statement_timeout = 0")
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            for member in members:
                conn.execute(
                    f"CREATE INDEX IF NOT EXISTS {member_index_name(member)} "
                    f"ON documents (scope, kind, deleted, {postgres_member_expr(member)}, id)".encode()
                )
        self._indexed.update(members)

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
