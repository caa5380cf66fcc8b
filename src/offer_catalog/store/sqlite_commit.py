"""Group commit on SQLite: concurrent write units share one transaction and one fsync.

A write unit runs, under the store's write lock, inside a SAVEPOINT of the transaction of the
current batch (opened with BEGIN IMMEDIATE by its first unit). When it ends without an exception
the savepoint is released; when it fails, only its own savepoint is rolled back, so the other units
of the batch keep their writes. The unit that ends with no other writer waiting for the lock (or
with a full batch) commits: one COMMIT, one fsync (synchronous=FULL), acknowledges every unit of
the batch. Each unit returns to its caller only after that commit, so a write is acknowledged only
once it is on disk; a failed commit fails every unit of the batch, and none of them is
acknowledged.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from offer_catalog.errors import StoreUnavailable

# Units one commit may acknowledge at most (bounds the wait of the first unit of a batch).
MAX_BATCH = 64

FaultTranslator = Callable[[sqlite3.OperationalError], BaseException | None]


class _Batch:
    """The transaction a run of write units shares, and its outcome once committed."""

    __slots__ = ("done", "error", "units")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.units = 0


class GroupCommit:
    """Serialises write units on one connection and commits them in batches."""

    def __init__(self, translate: FaultTranslator) -> None:
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._waiting = 0
        self._open: _Batch | None = None
        self._translate = translate

    def queued(self) -> int:
        """How many write units wait for the write lock now."""
        return self._waiting

    @contextmanager
    def exclusive(self, conn: sqlite3.Connection) -> Iterator[None]:
        """The write lock with no batch open: for schema changes that run their own transactions."""
        with self._lock:
            self._commit(conn)
            yield

    @contextmanager
    def unit(self, conn: sqlite3.Connection, check: Callable[[], None]) -> Iterator[None]:
        """One write unit: its block runs in its own savepoint; returns once its batch is on disk."""
        with self._count_lock:
            self._waiting += 1
        self._lock.acquire()
        with self._count_lock:
            self._waiting -= 1
        batch: _Batch | None = None
        try:
            check()
            batch = self._join(conn)
            try:
                yield
            except BaseException as exc:
                self._undo(conn, batch, exc)
                raise
            conn.execute("RELEASE oc_unit")
            batch.units += 1
        finally:
            try:
                if self._open is not None and (self._waiting == 0 or self._open.units >= MAX_BATCH):
                    self._commit(conn)
            finally:
                self._lock.release()
        assert batch is not None  # the block ran: it either raised above or joined a batch
        batch.done.wait()
        if batch.error is not None:
            raise batch.error

    def _join(self, conn: sqlite3.Connection) -> _Batch:
        if self._open is None:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self._translate(exc) or exc from exc
            self._open = _Batch()
        conn.execute("SAVEPOINT oc_unit")
        return self._open

    def _undo(self, conn: sqlite3.Connection, batch: _Batch, exc: BaseException) -> None:
        """Roll back the failed unit only; when SQLite dropped the whole transaction, fail the batch."""
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK TO oc_unit")
                conn.execute("RELEASE oc_unit")
                return
            except sqlite3.Error:
                _rollback(conn)
        self._open = None
        if isinstance(exc, sqlite3.OperationalError):
            batch.error = self._translate(exc) or exc
        else:
            batch.error = StoreUnavailable("the write transaction was rolled back: retry the request")
        batch.done.set()

    def _commit(self, conn: sqlite3.Connection) -> None:
        """Commit the open batch (if any) and wake its units."""
        batch, self._open = self._open, None
        if batch is None:
            return
        try:
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            _rollback(conn)
            batch.error = self._translate(exc) or exc
        except BaseException as exc:
            _rollback(conn)
            batch.error = exc
        batch.done.set()


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # SQLite rolls back by itself when it cannot: the transaction is gone either way
