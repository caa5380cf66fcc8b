"""SQL of the decision log, interaction events, capping counters, outbox reads and deployment secrets,
shared by both dialects.

Statements are written with `?` placeholders; the PostgreSQL unit of work sets `_mark = "%s"`.
Every value is a bound parameter; the only text put into a statement is a column name taken from
`GROUP_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from offer_catalog.documents.model import Event
from offer_catalog.store.rows import EVENT_COLUMNS, row_to_event

GROUP_COLUMNS: Final = {"activity": "activity_id", "placement": "placement_id", "offer": "offer_id"}

_ITEM_COLUMNS: Final = (
    "proposition_id, scope, decided_at, profile_key, change_seq, activity_id, placement_id, offer_id, "
    "rank, score"
)
# Rows per INSERT: 10 parameters each stays far below both stores' parameter limits.
_ROWS_PER_INSERT: Final = 500
# A counter's increment, kept within its limit (NULL: none). With an instant (`now`), a counter whose
# expiry is before it restarts from the amount and takes the new expiry.
_COUNTER_ADD: Final = (
    "INSERT INTO counters AS c (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
    "SET value = c.value + excluded.value "
    "WHERE CAST(? AS bigint) IS NULL OR c.value + excluded.value <= CAST(? AS bigint)"
)
_RENEWED_VALUE: Final = (
    "CASE WHEN c.expires_at < CAST(? AS text) THEN excluded.value ELSE c.value + excluded.value END"
)
_COUNTER_RENEW: Final = (
    "INSERT INTO counters AS c (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
    f"SET value = {_RENEWED_VALUE}, expires_at = excluded.expires_at "
    f"WHERE CAST(? AS bigint) IS NULL OR {_RENEWED_VALUE} <= CAST(? AS bigint)"
)
_EVENT_COLUMNS: Final = (
    "scope, event_id, offer_id, proposition_id, activity_id, placement_id, type, occurred_at, received_at, "
    "profile_key"
)


@dataclass(frozen=True, slots=True)
class DecisionItem:
    """One logged row: an option proposed at `rank` (1..n), the fallback (0), or a capped-out offer (None)."""

    proposition_id: str
    scope: str
    decided_at: str
    profile_key: str
    change_seq: int
    activity_id: str
    placement_id: str
    offer_id: str
    rank: int | None
    score: float | None


@dataclass(frozen=True, slots=True)
class InteractionEvent:
    """One stored interaction: an event about one offer of one proposition (type display, click, ...)."""

    scope: str
    event_id: str
    offer_id: str
    proposition_id: str
    activity_id: str
    placement_id: str
    type: str
    occurred_at: str
    received_at: str
    profile_key: str


@dataclass(frozen=True, slots=True)
class ReportCounts:
    """Aggregates of one group (an activity, placement or offer @id) over a window."""

    key: str
    decisions: int = 0
    proposals: int = 0
    fallbacks: int = 0
    capped: int = 0
    events: tuple[tuple[str, int], ...] = ()


class DecisionLogSql:
    """Decisioning's statements over `self.conn` (a sqlite3 or psycopg connection)."""

    conn: Any
    _mark = "?"

    def _sql(self, text: str) -> str:
        return text if self._mark == "?" else text.replace("?", self._mark)

    def events_after(self, seq: int, limit: int) -> list[Event]:
        """Outbox events above seq, in order."""
        rows = self.conn.execute(
            self._sql(f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?"), (seq, limit)
        ).fetchall()
        return [row_to_event(r) for r in rows]

    def increment_counter(
        self,
        key: str,
        limit: int | None,
        amount: int = 1,
        *,
        expires: str | None = None,
        now: str | None = None,
    ) -> bool:
        """Add amount to a counter unless that would pass limit; True when it was added (store/base.py)."""
        if limit is not None and amount > limit:
            return False
        if now is None:
            cur = self.conn.execute(self._sql(_COUNTER_ADD), (key, amount, limit, limit))
        else:
            params = (key, amount, expires, now, limit, now, limit)
            cur = self.conn.execute(self._sql(_COUNTER_RENEW), params)
        return bool(cur.rowcount == 1)

    def scope_events_after(self, scope: str, seq: int, limit: int) -> list[Event]:
        """Outbox events of one scope above seq, in order (what decision snapshots catch up from)."""
        rows = self.conn.execute(
            self._sql(f"SELECT {EVENT_COLUMNS} FROM events WHERE scope = ? AND seq > ? ORDER BY seq LIMIT ?"),
            (scope, seq, limit),
        ).fetchall()
        return [row_to_event(r) for r in rows]

    def scope_event_position(self, scope: str) -> tuple[int, int]:
        """(the number of the scope's last outbox event, how many events the scope has); (0, 0) before any."""
        row = self.conn.execute(
            self._sql("SELECT max(seq), count(*) FROM events WHERE scope = ?"), (scope,)
        ).fetchone()
        return int(row[0] or 0), int(row[1] or 0)

    def scope_event_count(self, scope: str, upto: int) -> int:
        """How many outbox events of the scope have a number up to `upto`."""
        row = self.conn.execute(
            self._sql("SELECT count(*) FROM events WHERE scope = ? AND seq <= ?"), (scope, upto)
        ).fetchone()
        return int(row[0])

    def insert_decision_items(self, items: Sequence[DecisionItem]) -> None:
        """Append rows to the decision log.

        Many rows per statement: a group of decisions' rows is one step for the database (and, in
        Python, one release of the interpreter lock instead of one per row).
        """
        for start in range(0, len(items), _ROWS_PER_INSERT):
            chunk = items[start : start + _ROWS_PER_INSERT]
            values = ",".join(["(?,?,?,?,?,?,?,?,?,?)"] * len(chunk))
            self.conn.execute(
                self._sql(f"INSERT INTO decision_items ({_ITEM_COLUMNS}) VALUES {values}"),
                [
                    value
                    for i in chunk
                    for value in (
                        i.proposition_id,
                        i.scope,
                        i.decided_at,
                        i.profile_key,
                        i.change_seq,
                        i.activity_id,
                        i.placement_id,
                        i.offer_id,
                        i.rank,
                        i.score,
                    )
                ],
            )

    def decision_items(self, proposition_ids: Sequence[str]) -> list[DecisionItem]:
        """The logged rows of these propositions (any scope)."""
        if not proposition_ids:
            return []
        marks = ",".join("?" * len(proposition_ids))
        rows = self.conn.execute(
            self._sql(f"SELECT {_ITEM_COLUMNS} FROM decision_items WHERE proposition_id IN ({marks})"),
            tuple(proposition_ids),
        ).fetchall()
        return [DecisionItem(*row) for row in rows]

    def insert_interaction_event(self, event: InteractionEvent) -> bool:
        """Store an event unless one with its (scope, event id, offer) is stored; True when new."""
        cur = self.conn.execute(
            self._sql(
                f"INSERT INTO interaction_events ({_EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (scope, event_id, offer_id) DO NOTHING"
            ),
            (
                event.scope,
                event.event_id,
                event.offer_id,
                event.proposition_id,
                event.activity_id,
                event.placement_id,
                event.type,
                event.occurred_at,
                event.received_at,
                event.profile_key,
            ),
        )
        return bool(cur.rowcount == 1)

    def interaction_events(self, scope: str, proposition_id: str) -> list[InteractionEvent]:
        """The stored events of one proposition, oldest first."""
        rows = self.conn.execute(
            self._sql(
                f"SELECT {_EVENT_COLUMNS} FROM interaction_events WHERE scope = ? AND proposition_id = ? "
                "ORDER BY occurred_at, event_id, offer_id"
            ),
            (scope, proposition_id),
        ).fetchall()
        return [InteractionEvent(*row) for row in rows]

    def deployment_secret(self, name: str, candidate: str) -> str:
        """The stored secret `name`; `candidate` is stored first when there is none (call in a write unit)."""
        self.conn.execute(
            self._sql(
                "INSERT INTO deployment_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
            ),
            (name, candidate),
        )
        row = self.conn.execute(
            self._sql("SELECT value FROM deployment_secrets WHERE name = ?"), (name,)
        ).fetchone()
        return str(row[0])

    def report(self, scope: str, start: str, end: str, group_by: str) -> list[ReportCounts]:
        """Decisions, proposals, fallbacks, caps met and events by type, per group, in [start, end)."""
        column = GROUP_COLUMNS[group_by]
        found: dict[str, dict[str, Any]] = {}
        rows = self.conn.execute(
            self._sql(
                f"SELECT {column}, "
                "SUM(CASE WHEN rank = 0 OR rank = 1 THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN rank IS NOT NULL THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN rank = 0 THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN rank IS NULL THEN 1 ELSE 0 END) "
                "FROM decision_items WHERE scope = ? AND decided_at >= ? AND decided_at < ? "
                f"GROUP BY {column}"
            ),
            (scope, start, end),
        ).fetchall()
        for key, decisions, proposals, fallbacks, capped in rows:
            found[key] = {
                "decisions": int(decisions),
                "proposals": int(proposals),
                "fallbacks": int(fallbacks),
                "capped": int(capped),
                "events": [],
            }
        rows = self.conn.execute(
            self._sql(
                f"SELECT {column}, type, COUNT(*) FROM interaction_events "
                f"WHERE scope = ? AND occurred_at >= ? AND occurred_at < ? GROUP BY {column}, type"
            ),
            (scope, start, end),
        ).fetchall()
        for key, kind, count in rows:
            found.setdefault(key, {"events": []})["events"].append((kind, int(count)))
        return [
            ReportCounts(key=key, **{**values, "events": tuple(sorted(values["events"]))})
            for key, values in sorted(found.items())
        ]

    def delete_decision_log_before(self, cutoff: str) -> int:
        """Delete log rows decided, and events received, before `cutoff`; the number of rows deleted."""
        deleted = 0
        for sql in (
            "DELETE FROM decision_items WHERE decided_at < ?",
            "DELETE FROM interaction_events WHERE received_at < ?",
        ):
            deleted += int(self.conn.execute(self._sql(sql), (cutoff,)).rowcount)
        return deleted
