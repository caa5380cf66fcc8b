"""PostgreSQL write path: a transaction that begins with its first statement, and a save in one statement.

A write used to cost seven round trips (BEGIN, the locked read, the document, its history row, its
outbox event, the scope's change number, COMMIT). Here BEGIN travels with the first statement (one
pipeline sync), and the save is one statement whose data-modifying CTEs write the document, move the
version it replaces to history (pg_history), write its outbox event and the scope's change stripe
together: a read-modify-write costs three round trips (BEGIN + locked read, save, COMMIT), a create two.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from offer_catalog.store.rows import DOC_COLUMNS


def bump_stripe(scope: str, amount: str) -> str:
    """SELECT list adding `amount` to a change stripe of `scope` (SQL expressions; an upsert follows).

    The stripe is the first one of the scope no other running writer holds (never waiting for one),
    or a new one when every stripe is held (migration 0010).
    """
    return (
        f"SELECT {scope}, coalesce((SELECT c.stripe FROM scope_changes c WHERE c.scope = {scope} "
        "ORDER BY c.stripe LIMIT 1 FOR UPDATE SKIP LOCKED), (SELECT coalesce(max(c.stripe) + 1, 0) "
        f"FROM scope_changes c WHERE c.scope = {scope})), {amount}"
    )


BUMP_UPSERT = "ON CONFLICT (scope, stripe) DO UPDATE SET seq = s.seq + excluded.seq"
_AFTER_WRITE = (
    ", e AS (INSERT INTO events (scope, kind, id, version, change, occurred_at) "
    "SELECT scope, kind, id, version, %(change)s, modified_at FROM d)"
    f", s AS (INSERT INTO scope_changes AS s (scope, stripe, seq) {bump_stripe('d.scope', '1')} FROM d "
    f"{BUMP_UPSERT}) SELECT count(*) FROM d"
)
_COLUMNS = DOC_COLUMNS.split(", ")
_VALUES = ", ".join(f"%({c})s" for c in _COLUMNS[:-1]) + ", %(body)s::jsonb"
_KEY = "scope = %(scope)s AND kind = %(kind)s AND id = %(id)s AND version = %(expected)s"
INSERT_SAVE = (
    f"WITH d AS (INSERT INTO documents ({DOC_COLUMNS}, at_id) VALUES ({_VALUES}, %(at_id)s) "
    f"ON CONFLICT DO NOTHING RETURNING {DOC_COLUMNS})" + _AFTER_WRITE
)
"""Insert a document (nothing when its key is taken) with its event and change number (named parameters)."""
_SET = ", ".join(f"{c} = %({c})s" for c in _COLUMNS[3:-1])
_PAST = ", ".join(f"o.{c}" for c in _COLUMNS[:-1])
UPDATE_SAVE = (
    f"WITH o AS (SELECT {DOC_COLUMNS} FROM documents WHERE {_KEY})"
    f", d AS (UPDATE documents SET {_SET}, body = %(body)s::jsonb, at_id = %(at_id)s WHERE {_KEY} "
    f"RETURNING {DOC_COLUMNS})"
    # The version replaced becomes history: packed by the caller when it read it, else as JSONB.
    f", h AS (INSERT INTO document_versions ({DOC_COLUMNS}, packed) SELECT {_PAST}, "
    "CASE WHEN %(packed)s::bytea IS NULL THEN o.body END, %(packed)s::bytea FROM o CROSS JOIN d)"
    + _AFTER_WRITE
)
"""Compare-and-set a document's version (nothing when it moved on), moving the version it replaces to
history, with its event and change number (named parameters)."""
SCOPE_CHANGES = "SELECT coalesce(sum(seq), 0) FROM scope_changes WHERE scope = %s"


class LazyTransaction:
    """A pooled connection whose transaction begins with its first statement, in the same round trip.

    Quacks like the psycopg connection for what units of work use (`execute`, `cursor`); `finish`
    commits or rolls back what was begun.
    """

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        self.raw = conn
        self.begun = False

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None) -> Any:
        """Run a statement inside the transaction (BEGIN pipelined before the first one)."""
        if self.begun:
            return self.raw.execute(query, params, prepare=prepare)
        self.begun = True
        with self.raw.pipeline():
            self.raw.execute(b"BEGIN")
            return self.raw.execute(query, params, prepare=prepare)

    def cursor(self) -> psycopg.Cursor[tuple[Any, ...]]:
        """A cursor inside the transaction."""
        self.begin()
        return self.raw.cursor()

    def begin(self) -> None:
        """Open the transaction now (a round trip of its own) if no statement has yet."""
        if not self.begun:
            self.begun = True
            self.raw.execute(b"BEGIN")

    def abandon(self) -> None:
        """Roll back after a failure; a broken connection is left to the pool, which discards it."""
        with suppress(psycopg.Error):
            self.finish(commit=False)

    def finish(self, *, commit: bool) -> None:
        """COMMIT (or ROLLBACK) what was begun; an aborted transaction is rolled back."""
        status = self.raw.info.transaction_status
        if status == TransactionStatus.INTRANS and commit:
            self.raw.execute(b"COMMIT")
        elif status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
            self.raw.execute(b"ROLLBACK")
            if commit:  # a failed statement was swallowed: nothing of this unit may look committed
                raise psycopg.errors.InFailedSqlTransaction("the transaction failed before its commit")
