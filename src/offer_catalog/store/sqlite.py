"""The embedded store: one SQLite file in WAL mode, synchronous=FULL (a commit is on disk)."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from offer_catalog.documents.model import Document, Event, utc_now
from offer_catalog.documents.query import Page, Query
from offer_catalog.errors import InvalidQuery, QueryTimeout, StoreUnavailable
from offer_catalog.store.base import QueryLimits, check_written, migration_scripts
from offer_catalog.store.decision_log import DecisionLogSql
from offer_catalog.store.delivery_tables import DeliveryTables
from offer_catalog.store.patterns import regex_search
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
from offer_catalog.store.sqlcompile import SqliteCompiler, member_index_name, sqlite_member_expr

_INSERT_DOC = f"INSERT INTO documents ({DOC_COLUMNS}, at_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
_INSERT_VERSION = f"INSERT INTO document_versions ({DOC_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
_UPDATE_DOC = (
    "UPDATE documents SET version = ?, deleted = ?, created_at = ?, created_by = ?, created_by_client = ?, "
    "modified_at = ?, modified_by = ?, modified_by_client = ?, body = ?, at_id = ? "
    "WHERE scope = ? AND kind = ? AND id = ? AND version = ?"
)
_INSERT_EVENT = "INSERT INTO events (scope, kind, id, version, change, occurred_at) VALUES (?,?,?,?,?,?)"
_MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
)
_SELECT_VERSION = (
    f"SELECT {DOC_COLUMNS} FROM document_versions WHERE scope = ? AND kind = ? AND id = ? AND version = ?"
)
_SELECT_DOC = f"SELECT {FETCH_COLUMNS} FROM documents WHERE scope = ? AND kind = ? AND id = ?"
_SELECT_DOC_ANY_KIND = f"SELECT {DOC_COLUMNS} FROM documents WHERE scope = ? AND id = ?"


log = logging.getLogger("offer_catalog.store")
# What /ready writes (and removes) beside the database to see whether a failing disk recovered.
_PROBE_BYTES = 64 * 1024
# Errors that say the disk, not the request, is at fault.
_DISK_FAULTS = ("readonly database", "disk is full", "disk i/o error", "unable to open database")

# SQLite calls the progress handler every this many virtual machine instructions.
_PROGRESS_STEPS = 1000


class SqliteUnitOfWork(DecisionLogSql):
    """A unit of work on one SQLite connection."""

    conn: sqlite3.Connection

    def __init__(self, conn: sqlite3.Connection, limits: QueryLimits, indexed: set[str]):
        self.conn = conn
        self.limits = limits
        self.indexed = indexed

    def fetch(self, scope: str, kind: str | None, id: str, *, for_update: bool = False) -> Document | None:
        if kind is None:
            row = self.conn.execute(_SELECT_DOC_ANY_KIND, (scope, id)).fetchone()
            return None if row is None else row_to_document(row)
        row = self.conn.execute(_SELECT_DOC, (scope, kind, id)).fetchone()
        return None if row is None else fetched_to_document(scope, kind, id, row)

    def fetch_version(self, scope: str, kind: str, id: str, version: int) -> Document | None:
        row = self.conn.execute(
            _SELECT_VERSION,
            (scope, kind, id, version),
        ).fetchone()
        return None if row is None else row_to_document(row)

    def fetch_history(self, scope: str, kind: str, id: str) -> list[Document]:
        rows = self.conn.execute(
            f"SELECT {DOC_COLUMNS} FROM document_versions WHERE scope = ? AND kind = ? AND id = ? "
            "ORDER BY version",
            (scope, kind, id),
        ).fetchall()
        return [row_to_document(r) for r in rows]

    def save(self, doc: Document, *, expected_version: int | None, change: str) -> None:
        params = document_params(doc, dump_body(doc.body))
        at_id = at_id_of(doc.body)
        if expected_version is None:
            try:
                rows = self.conn.execute(_INSERT_DOC, (*params, at_id)).rowcount
            except sqlite3.IntegrityError:
                rows = 0
        else:
            rows = self.conn.execute(
                _UPDATE_DOC, (*params[3:], at_id, doc.scope, doc.kind, doc.id, expected_version)
            ).rowcount
        check_written(doc, expected_version, rows)
        self.conn.execute(_INSERT_VERSION, params)
        self.conn.execute(_INSERT_EVENT, (doc.scope, doc.kind, doc.id, doc.version, change, doc.modified_at))

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
                raise QueryTimeout(
                    f"the query ran longer than its budget of {self.limits.budget_ms} ms",
                    details={"budget_ms": self.limits.budget_ms},
                ) from None
            raise
        except OverflowError:
            raise InvalidQuery("a number in the query is out of range", code="number_out_of_range") from None
        finally:
            self.conn.set_progress_handler(None, 0)

    def _compiler(self) -> SqliteCompiler:
        return SqliteCompiler(indexed=self.indexed, max_terms=self.limits.max_terms)

    def _query(self, scope: str, query: Query) -> Page:
        compiler = self._compiler()
        where = compiler.where(scope, query)
        source = compiler.source(query)
        sql = f"SELECT {DOC_COLUMNS} FROM {source} WHERE {where} ORDER BY {compiler.order_by(query)}"
        if query.limit is not None or query.offset:
            sql += f" LIMIT {-1 if query.limit is None else int(query.limit)} OFFSET {int(query.offset)}"
        items = [row_to_document(r) for r in self.conn.execute(sql, compiler.params).fetchall()]
        total = None
        if query.with_total:
            counter = self._compiler()
            count_sql = f"SELECT count(*) FROM {source} WHERE {counter.where(scope, query)}"
            total = self.conn.execute(count_sql, counter.params).fetchone()[0]
        return Page(items=items, total=total)

    def lock(self, scope: str, kind: str, id: str) -> None:
        return None  # a write unit holds SQLite's only write lock already

    def events_after(self, seq: int, limit: int) -> list[Event]:
        rows = self.conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        ).fetchall()
        return [row_to_event(r) for r in rows]

    def increment_counter(self, key: str, limit: int | None, amount: int = 1) -> bool:
        if limit is not None and amount > limit:
            return False
        cur = self.conn.execute(
            "INSERT INTO counters (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
            "SET value = value + excluded.value WHERE ? IS NULL OR value + excluded.value <= ?",
            (key, amount, limit, limit),
        )
        return cur.rowcount == 1

    def last_event_seq(self, scope: str) -> int:
        row = self.conn.execute("SELECT max(seq) FROM events WHERE scope = ?", (scope,)).fetchone()
        return int(row[0] or 0)

    def read_counters(self, keys: Sequence[str]) -> dict[str, int]:
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        rows = self.conn.execute(f"SELECT key, value FROM counters WHERE key IN ({marks})", tuple(keys))
        return {k: int(v) for k, v in rows}

    def delivery_tables(self) -> DeliveryTables:
        return DeliveryTables(self.conn, "sqlite")


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # SQLite rolls back by itself when it cannot: the transaction is gone either way


class _Reader:
    """A reusable, allocation-free context manager for autocommit reads (the hot path of a get)."""

    __slots__ = ("uow",)

    def __init__(self, uow: SqliteUnitOfWork):
        self.uow = uow

    def __enter__(self) -> SqliteUnitOfWork:
        return self.uow

    def __exit__(self, *exc: object) -> None:
        return None


class SqliteStore:
    """SQLite file store. One connection per thread; writers serialised in-process and by BEGIN IMMEDIATE."""

    dialect = "sqlite"

    def __init__(self, path: str, *, limits: QueryLimits | None = None):
        self.path = path
        self.limits = limits or QueryLimits()
        # Member names with an index (declared in code): the only names a query writes into SQL.
        self._indexed: set[str] = set()
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file opened
        self._fault: str | None = None  # why the last write failed, while the disk is at fault

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA busy_timeout = 30000")
            # Filtered lists scan bodies: keep them in memory (64 MiB cache, reads through mmap).
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA mmap_size = 1073741824")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open SQLite database {self.path!r}: {exc}") from exc
        if self._identity is None and self.path != ":memory:":
            info = os.stat(self.path)
            self._identity = (info.st_dev, info.st_ino)
        conn.create_function("oc_regexp", 3, regex_search, deterministic=True)
        self._local.conn = conn
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def unit_of_work(self, *, write: bool = False) -> AbstractContextManager[SqliteUnitOfWork]:
        if not write:
            # Reads run in autocommit: one statement sees one snapshot; a list with a total
            # opens its own read transaction so the page and the count agree.
            reader: _Reader | None = getattr(self._local, "reader", None)
            if reader is None:
                reader = self._local.reader = _Reader(self._unit(self._connect()))
            return reader
        return self._write_unit()

    @contextmanager
    def _write_unit(self) -> Iterator[SqliteUnitOfWork]:
        conn = self._connect()
        with self._write_lock:
            self._check_identity()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._unit(conn)
                except BaseException:
                    _rollback(conn)
                    raise
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                _rollback(conn)
                fault = self._disk_fault(exc)
                if fault is None:
                    raise
                raise fault from exc
            self._fault = None

    def _check_identity(self) -> None:
        """StoreUnavailable when the database file was removed or replaced since it was opened."""
        if self._identity is None:
            return
        try:
            info = os.stat(self.path)
            found: tuple[int, int] | None = (info.st_dev, info.st_ino)
        except FileNotFoundError:
            found = None
        if found != self._identity:
            what = "removed" if found is None else "replaced"
            log.critical(
                "the SQLite database file was %s while the service runs: writes are refused; "
                "restore it, or restart the service on the new file",
                what,
                extra={"path": self.path},
            )
            raise StoreUnavailable(f"the database file {self.path!r} was {what} while the service ran")

    def _disk_fault(self, exc: sqlite3.OperationalError) -> StoreUnavailable | None:
        text = str(exc).lower()
        if not any(fault in text for fault in _DISK_FAULTS):
            return None
        self._fault = text
        log.error("a write failed for the disk: %s", text, extra={"path": self.path})
        return StoreUnavailable(f"the database cannot be written: {exc}", details={"reason": text})

    def _check_disk(self) -> None:
        """StoreUnavailable while the file system is read-only, or still full after a failed write."""
        folder = os.path.dirname(os.path.abspath(self.path))
        stats = os.statvfs(folder)
        if stats.f_flag & os.ST_RDONLY:
            raise StoreUnavailable(f"the file system of {self.path!r} is read-only")
        if self._fault is None:
            return
        # After a failed write, only a real write shows that the disk has recovered.
        probe = f"{self.path}.probe"
        try:
            with open(probe, "wb") as file:
                file.write(bytes(_PROBE_BYTES))
                file.flush()
                os.fsync(file.fileno())
            os.unlink(probe)
        except OSError as exc:
            raise StoreUnavailable(
                f"the last write failed ({self._fault}); the disk still fails: {exc}"
            ) from exc
        self._fault = None

    def _unit(self, conn: sqlite3.Connection) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(conn, self.limits, self._indexed)

    def _applied(self, conn: sqlite3.Connection) -> set[int]:
        conn.execute(_MIGRATIONS_TABLE)
        return {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}

    def pending_migrations(self) -> list[int]:
        conn = self._connect()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        applied = self._applied(conn) if "schema_migrations" in tables else set()
        return [v for v, _ in migration_scripts("sqlite") if v not in applied]

    def migrate(self) -> list[int]:
        conn = self._connect()
        done: list[int] = []
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                applied = self._applied(conn)
                for version, sql in migration_scripts("sqlite"):
                    if version in applied:
                        continue
                    for statement in (s.strip() for s in sql.split(";")):
                        if statement and not all(
                            line.startswith("--") for line in statement.splitlines() if line.strip()
                        ):
                            conn.execute(statement)
                    conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, utc_now()))
                    done.append(version)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        return done

    def ensure_member_indexes(self, members: Sequence[str]) -> None:
        conn = self._connect()
        with self._write_lock:
            for member in members:
                conn.execute(
                    f"CREATE INDEX IF NOT EXISTS {member_index_name(member)} "
                    f"ON documents (scope, kind, deleted, {sqlite_member_expr(member)}, id)"
                )
                self._indexed.add(member)

    def ping(self) -> None:
        try:
            self._connect().execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite database {self.path!r} does not answer: {exc}") from exc
        if self.path != ":memory:":
            self._check_identity()
            self._check_disk()

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
