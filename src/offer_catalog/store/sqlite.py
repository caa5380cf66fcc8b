"""The embedded store: one SQLite file in WAL mode, synchronous=FULL (a commit is on disk).

Reads use one connection per thread; writes share one connection and commit in groups
(store/sqlite_commit.py): concurrent write units share one fsync.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from offer_catalog.documents.model import Document, utc_now
from offer_catalog.errors import AlreadyExists, StoreUnavailable
from offer_catalog.store.base import BulkLoader, LoadEachCall, QueryLimits, batches, migration_scripts
from offer_catalog.store.patterns import regex_search
from offer_catalog.store.sqlcompile import member_index_name, sqlite_member_expr
from offer_catalog.store.sqlite_bulk import BulkInsert
from offer_catalog.store.sqlite_commit import GroupCommit
from offer_catalog.store.sqlite_counts import count_member, walk_members
from offer_catalog.store.sqlite_fences import fence_member, split_fences
from offer_catalog.store.sqlite_health import FileHealth
from offer_catalog.store.sqlite_history import pack
from offer_catalog.store.sqlite_paths import Path as DocPath
from offer_catalog.store.sqlite_paths import declare_paths, indexed_paths
from offer_catalog.store.sqlite_unit import SqliteUnitOfWork

_MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
)

log = logging.getLogger("offer_catalog.store")
# Write units between two splits of the buckets that grew (store/sqlite_fences.py).
_SPLIT_EVERY = 500
# The writer's page cache while it bulk-loads (its indexes grow at random places).
_BULK_CACHE_KIB = 262144
# A bulk load of more documents than this truncates the WAL it grew (one transaction, WAL as large).
_CHECKPOINT_AFTER = 5000


def _statements(script: str) -> Iterator[str]:
    """The statements of a script (a trigger's body keeps its own semicolons); comments dropped."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            lines = [line for line in pending.splitlines() if line.strip() and not line.startswith("--")]
            if lines and "".join(lines).strip() != ";":
                yield "\n".join(lines)
            pending = ""


def _split_quietly(conn: sqlite3.Connection) -> None:
    """Split grown buckets after a write unit, in a savepoint of its own: a failed split (it only
    speeds reads up) leaves the counts as they were and the unit's write in place."""
    conn.execute("SAVEPOINT oc_split")
    try:
        split_fences(conn)
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK TO oc_split")
        log.warning("splitting the count buckets failed: %s", exc)
    conn.execute("RELEASE oc_split")


def _measure_new_indexes(conn: sqlite3.Connection) -> None:
    """Planner statistics for the indexes a migration created on a table that has some (ANALYZE was
    run on the file): with none, the planner would take a new index for the most selective one (a
    `sort=-lastUpdate` page read the walk index of 0013 whole and sorted a million rows)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        return
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN (SELECT tbl FROM sqlite_stat1) "
        "AND name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)"
    ).fetchall()
    for (name,) in rows:
        conn.execute(f'ANALYZE "{name.replace(chr(34), chr(34) * 2)}"')


class _Reader:
    """A reusable, allocation-free context manager for autocommit reads (the hot path of a get)."""

    __slots__ = ("uow",)

    def __init__(self, uow: SqliteUnitOfWork):
        self.uow = uow

    def __enter__(self) -> SqliteUnitOfWork:
        return self.uow

    def __exit__(self, *exc: object) -> None:
        return None


class SqliteStore(FileHealth):
    """SQLite file store. One connection per thread; writers serialised in-process and by BEGIN IMMEDIATE."""

    dialect = "sqlite"

    def __init__(self, path: str, *, limits: QueryLimits | None = None):
        self.path = path
        self.limits = limits or QueryLimits()
        # Member names with an index (declared in code): the only names a query writes into SQL.
        self._indexed: set[str] = set()
        # Nested / array paths whose string values document_paths holds (as the database records).
        self._paths: set[DocPath] = set()
        self._paths_loaded = False
        # Members with a walk index (migrations create them): read from the file with the paths.
        self._walks: set[str] = set()
        self._walks_loaded = False
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._commits = GroupCommit(self._disk_fault)
        self._writer: sqlite3.Connection | None = None
        self._writer_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file opened
        self._fault: str | None = None  # why the last write failed, while the disk is at fault
        self._writes = 0  # write units since the last split of the buckets

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open()
        return conn

    def _write_connection(self) -> sqlite3.Connection:
        """The one connection every write unit runs on (a thread's own for an in-memory database)."""
        if self.path == ":memory:":
            return self._connect()
        with self._writer_lock:
            if self._writer is None:
                self._writer = self._open()
            return self._writer

    def _open(self) -> sqlite3.Connection:
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
        conn.create_function("oc_pack", 1, pack, deterministic=True)  # migration 0012
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
        conn = self._write_connection()
        try:
            with self._commits.unit(conn, self._check_identity):
                yield self._unit(conn)
                self._writes += 1
                if self._writes >= _SPLIT_EVERY:
                    self._writes = 0
                    _split_quietly(conn)
        except sqlite3.OperationalError as exc:
            fault = self._disk_fault(exc)
            if fault is None:
                raise
            raise fault from exc
        self._fault = None

    def _unit(self, conn: sqlite3.Connection) -> SqliteUnitOfWork:
        if not self._paths_loaded:
            self._paths_loaded = True
            self._paths.update(indexed_paths(conn))
        if not self._walks_loaded:
            self._walks_loaded = True
            self._walks.update(walk_members(conn))
        return SqliteUnitOfWork(conn, self.limits, self._indexed, self._paths, self._walks)

    def _applied(self, conn: sqlite3.Connection) -> set[int]:
        conn.execute(_MIGRATIONS_TABLE)
        return {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}

    def pending_migrations(self) -> list[int]:
        conn = self._connect()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        applied = self._applied(conn) if "schema_migrations" in tables else set()
        return [v for v, _ in migration_scripts("sqlite") if v not in applied]

    def migrate(self) -> list[int]:
        conn = self._write_connection()
        done: list[int] = []
        with self._commits.exclusive(conn):
            conn.execute("BEGIN IMMEDIATE")
            try:
                applied = self._applied(conn)
                for version, sql in migration_scripts("sqlite"):
                    if version in applied:
                        continue
                    for statement in _statements(sql):
                        conn.execute(statement)
                    conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, utc_now()))
                    done.append(version)
                if done:
                    split_fences(conn)
                    _measure_new_indexes(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        self._walks.update(walk_members(conn))
        return done

    def ensure_member_indexes(self, members: Sequence[str]) -> None:
        conn = self._write_connection()
        with self._commits.exclusive(conn):
            for member in members:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(
                        f"CREATE INDEX IF NOT EXISTS {member_index_name(member)} "
                        f"ON documents (scope, kind, deleted, {sqlite_member_expr(member)}, id)"
                    )
                    count_member(conn, member)
                    fence_member(conn, member)
                    split_fences(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                self._indexed.add(member)

    def bulk_load(self, docs: Iterable[Document], *, change: str = "created", batch: int = 5000) -> int:
        """New documents in one write unit (one transaction, one fsync at its commit), `batch` at a
        time; then the WAL the load grew is emptied into the file."""
        conn = self._write_connection()
        count = 0
        cache = conn.execute("PRAGMA cache_size").fetchone()[0]
        conn.execute(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
        try:
            with self._write_unit(), BulkInsert(conn, self._paths, change) as load:
                for prepared in map(load.prepare, batches(docs, batch)):
                    try:
                        load.write(prepared)
                    except sqlite3.IntegrityError:
                        raise AlreadyExists(
                            "a document of the batch already exists", details={"first": prepared.first}
                        ) from None
                    count += len(prepared.docs)
                split_fences(conn)
        finally:
            conn.execute(f"PRAGMA cache_size = {int(cache)}")
        if count > _CHECKPOINT_AFTER:
            with self._commits.exclusive(conn):
                # Without waiting: while a reader holds an older snapshot, the WAL stays as it is.
                conn.execute("PRAGMA busy_timeout = 0")
                try:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                finally:
                    conn.execute("PRAGMA busy_timeout = 30000")
        return count

    @contextmanager
    def bulk_loader(self, *, change: str = "created") -> Iterator[BulkLoader]:
        """Each call one `bulk_load` (a load's end has nothing left to do: counts move with its rows)."""
        yield LoadEachCall(self, change)

    def ensure_path_indexes(self, paths: Sequence[tuple[str, ...]]) -> None:
        conn = self._write_connection()
        with self._commits.exclusive(conn):
            conn.execute("BEGIN IMMEDIATE")
            try:
                declared = declare_paths(conn, paths)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            self._paths.clear()
            self._paths.update(declared)
            self._paths_loaded = True

    def ping(self) -> None:
        try:
            self._connect().execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite database {self.path!r} does not answer: {exc}") from exc
        if self.path != ":memory:":
            self._check_identity()
            self._check_disk()

    def close(self) -> None:
        writer = self._writer
        if writer is None:
            self._close_connections()
        else:
            # Background writers (the decision log, the counter writer) may be inside a unit: wait for
            # it, since closing a connection another thread is using can crash the process.
            with self._commits.exclusive(writer):
                self._close_connections()
        self._local = threading.local()
        with self._writer_lock:
            self._writer = None

    def _close_connections(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
