"""Event delivery tables (leases, relay positions, subscriptions, deliveries), the same SQL on both stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from offer_catalog.documents.model import Delivery, Event, Subscription
from offer_catalog.store.rows import EVENT_COLUMNS, row_to_event

Position = tuple[int, int]
"""Where the relay stands in the outbox: (transaction id, seq); SQLite commits in seq order, txid 0."""

NewDelivery = tuple[str, str, str, str, float, str, int]
"""(subscription_id, event_id, event_type, payload, next_attempt_at, created_at, resource_version) to add."""

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"

_SUBSCRIPTION_COLUMNS = "id, callback, query, secret, base_path, name_style, created_at, scope"
_DELIVERY_COLUMNS = (
    "id, subscription_id, event_id, event_type, payload, status, attempts, next_attempt_at, last_error, "
    "created_at, resource_version"
)


class _Cursor(Protocol):
    rowcount: int

    def fetchall(self) -> list[Any]: ...

    def fetchone(self) -> Any: ...


class _Connection(Protocol):
    def execute(self, query: Any, params: Any = ..., /) -> Any: ...


def _subscription(row: Sequence[Any]) -> Subscription:
    return Subscription(*row)


def _delivery(row: Sequence[Any]) -> Delivery:
    return Delivery(
        id=int(row[0]),
        subscription_id=row[1],
        event_id=row[2],
        event_type=row[3],
        payload=row[4],
        status=row[5],
        attempts=int(row[6]),
        next_attempt_at=float(row[7]),
        last_error=row[8],
        created_at=row[9],
        resource_version=None if row[10] is None else int(row[10]),
    )


class DeliveryTables:
    """The delivery tables inside one unit of work; `mark` is the driver's parameter marker."""

    def __init__(self, conn: Any, dialect: str):
        self.conn: _Connection = conn
        self.postgres = dialect == "postgres"
        self.now_sql = (
            "extract(epoch from clock_timestamp())::float8"
            if self.postgres
            else "((julianday('now') - 2440587.5) * 86400.0)"
        )

    def _run(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        if self.postgres:
            sql = sql.replace("?", "%s")
        cursor: _Cursor = self.conn.execute(sql, tuple(params))
        return cursor

    def take_lease(self, name: str, holder: str, ttl: float) -> bool:
        """Acquire or renew a named lease (database clock); False while another holder's lease runs."""
        now = self.now_sql
        cur = self._run(
            f"INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, {now} + ?) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
            f"WHERE leases.holder = excluded.holder OR leases.expires_at < {now}",
            (name, holder, ttl),
        )
        return cur.rowcount == 1

    def drop_lease(self, name: str, holder: str) -> None:
        """Give a lease up (a stopping holder lets the next one start at once)."""
        self._run("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    def relay_position(self, name: str) -> Position:
        """The relay's durable cursor ((0, 0) before the first event)."""
        row = self._run("SELECT txid, seq FROM relay_positions WHERE name = ?", (name,)).fetchone()
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    def set_relay_position(self, name: str, position: Position) -> None:
        """Move the relay's cursor (in the transaction that records what it relayed)."""
        self._run(
            "INSERT INTO relay_positions (name, txid, seq) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET txid = excluded.txid, seq = excluded.seq",
            (name, *position),
        )

    def relay_events(self, after: Position, limit: int) -> list[tuple[Position, Event]]:
        """Committed outbox events past a position, in the order the relay must hand them on."""
        if not self.postgres:
            rows = self._run(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (after[1], limit)
            ).fetchall()
            return [((0, int(r[0])), row_to_event(r)) for r in rows]
        # Only transactions older than every running one: none of them can still add a row behind us.
        rows = self._run(
            f"SELECT txid::text::bigint, {EVENT_COLUMNS} FROM events "
            "WHERE (txid, seq) > (?::text::xid8, ?) AND txid < pg_snapshot_xmin(pg_current_snapshot()) "
            "ORDER BY txid, seq LIMIT ?",
            (str(after[0]), after[1], limit),
        ).fetchall()
        return [((int(r[0]), int(r[1])), row_to_event(r[1:])) for r in rows]

    def add_subscription(self, sub: Subscription) -> None:
        """Store a new subscription."""
        self._run(
            f"INSERT INTO subscriptions ({_SUBSCRIPTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sub.id,
                sub.callback,
                sub.query,
                sub.secret,
                sub.base_path,
                sub.name_style,
                sub.created_at,
                sub.scope,
            ),
        )

    def subscription(self, id: str) -> Subscription | None:
        """One subscription or None."""
        row = self._run(f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?", (id,)).fetchone()
        return None if row is None else _subscription(row)

    def subscriptions(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        rows = self._run(f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions ORDER BY created_at, id")
        return [_subscription(r) for r in rows.fetchall()]

    def remove_subscription(self, id: str) -> bool:
        """Delete a subscription and its deliveries; False when there was none."""
        self._run("DELETE FROM deliveries WHERE subscription_id = ?", (id,))
        return self._run("DELETE FROM subscriptions WHERE id = ?", (id,)).rowcount == 1

    def add_deliveries(self, rows: Sequence[NewDelivery]) -> None:
        """Queue deliveries (pending)."""
        for row in rows:
            self._run(
                "INSERT INTO deliveries (subscription_id, event_id, event_type, payload, status, "
                "next_attempt_at, created_at, resource_version) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
                row,
            )

    def due_subscriptions(self, now: float, limit: int) -> list[str]:
        """Subscriptions whose oldest pending delivery is due and not claimed by a sender."""
        rows = self._run(
            "SELECT d.subscription_id FROM deliveries d WHERE d.status = 'pending' "
            "AND d.next_attempt_at <= ? AND d.claimed_until < ? "
            "AND d.id = (SELECT min(e.id) FROM deliveries e WHERE e.subscription_id = d.subscription_id "
            "AND e.status = 'pending') ORDER BY d.id LIMIT ?",
            (now, now, limit),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def claim(self, subscription_id: str, now: float, until: float, limit: int) -> list[Delivery]:
        """The oldest pending deliveries of a subscription, claimed until a time (none if claimed)."""
        rows = self._run(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE subscription_id = ? AND status = 'pending' "
            "ORDER BY id LIMIT ?",
            (subscription_id, limit),
        ).fetchall()
        claimed = []
        for row in rows:
            cur = self._run(
                "UPDATE deliveries SET claimed_until = ? WHERE id = ? AND status = 'pending' "
                "AND claimed_until < ?",
                (until, row[0], now),
            )
            if cur.rowcount != 1:
                break  # another sender holds it: keep this subscription's order
            claimed.append(_delivery(row))
        return claimed

    def finish(self, ids: Sequence[int]) -> None:
        """Mark deliveries delivered."""
        for id in ids:
            self._run("UPDATE deliveries SET status = 'delivered', claimed_until = 0 WHERE id = ?", (id,))

    def release(self, ids: Sequence[int]) -> None:
        """Give claimed deliveries back to the queue untouched."""
        for id in ids:
            self._run("UPDATE deliveries SET claimed_until = 0 WHERE id = ? AND status = 'pending'", (id,))

    def retry_later(self, id: int, attempts: int, at: float, error: str, dead: bool) -> None:
        """Record a failed attempt: try again at a time, or move the delivery to the dead letters."""
        self._run(
            "UPDATE deliveries SET attempts = ?, next_attempt_at = ?, last_error = ?, status = ?, "
            "claimed_until = 0 WHERE id = ?",
            (attempts, at, error, DEAD if dead else PENDING, id),
        )

    def deliveries(self, subscription_id: str, status: str, limit: int) -> list[Delivery]:
        """A subscription's deliveries in one status, oldest first."""
        rows = self._run(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE subscription_id = ? AND status = ? "
            "ORDER BY id LIMIT ?",
            (subscription_id, status, limit),
        ).fetchall()
        return [_delivery(r) for r in rows]

    def replay_dead(self, subscription_id: str, now: float) -> int:
        """Put a subscription's dead letters back in its queue (attempts reset); how many."""
        return self._run(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, claimed_until = 0 "
            "WHERE subscription_id = ? AND status = 'dead'",
            (now, subscription_id),
        ).rowcount
