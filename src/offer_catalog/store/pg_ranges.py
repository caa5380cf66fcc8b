"""PostgreSQL totals of ranges (and of many-match equalities) on declared members, from value fences.

The string values of a fenced member are counted per bucket by the triggers (migration 0015: key '<'
and the member in document_counts; buckets made and split as the id fences of pg_fences). The total
of `member > v` sums the buckets above v and counts, through the member index, the matches inside
the one bucket v falls in (about a bucket at most); `<` is the complement among the member's strings;
two bounds overlap by the answer; an equality is `>= v` less `> v` (a value of many matches fills a
bucket of its own, so both edges are empty).

Buckets hold values in byte order ("C"); the member index compares JSONB strings in the database's
collation. The two agree under a byte-order collation only: the store fences members on such a
database only (`byte_order`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg

from offer_catalog.documents.query import AllOf, AnyOf, Cond, Op, Query, check_path
from offer_catalog.store.pg_fences import BUCKETS
from offer_catalog.store.sqlcompile import postgres_member_expr

_BYTE_ORDER = {"C", "POSIX", "C.UTF-8", "C.utf8"}
_LOWER = (Op.GT, Op.GE)
_UPPER = (Op.LT, Op.LE)
_COLLATION = "SELECT datcollate, datlocprovider FROM pg_database WHERE datname = current_database()"
_MARK = (
    "INSERT INTO counted_keys (key, path, fenced) VALUES (%s, %s::jsonpath, true) "
    "ON CONFLICT (key) DO NOTHING RETURNING complete"
)
_LIVE = (
    "SELECT scope, kind, count(*) FROM documents WHERE NOT deleted AND jsonb_typeof(body -> %s) = 'string' "
    "GROUP BY scope, kind"
)
_COUNTED = (
    "SELECT scope, kind, sum(n) FROM document_counts WHERE key = %s AND stripe >= 0 GROUP BY scope, kind"
)
_BEFORE = (
    "INSERT INTO document_counts AS c (scope, kind, key, value, stripe, n) VALUES (%s, %s, %s, '', -1, %s) "
    "ON CONFLICT (scope, kind, key, value, stripe) DO UPDATE SET n = c.n + excluded.n"
)
# Per value v: whether the member is counted, its strings, the buckets above v (and the first of them),
# the buckets from v on (and the first of them).
_SUMS = BUCKETS + (
    "SELECT (SELECT complete FROM counted_keys WHERE key = %(fence_key)s), coalesce(sum(n), 0), "
    "coalesce(sum(n) FILTER (WHERE grp > %(v)s), 0), min(grp) FILTER (WHERE grp > %(v)s), "
    "coalesce(sum(n) FILTER (WHERE grp >= %(v)s), 0), min(grp) FILTER (WHERE grp >= %(v)s) FROM h"
)


def key_of(member: str) -> str:
    """The document_counts key of a fenced member."""
    return "<" + member


def byte_order(conn: psycopg.Connection[tuple[Any, ...]]) -> bool:
    """True when the database compares text (and JSONB strings) in byte order."""
    row = conn.execute(_COLLATION).fetchone()
    return row is not None and row[0] in _BYTE_ORDER and row[1] == "c"


def fence_member(conn: psycopg.Connection[tuple[Any, ...]], member: str) -> bool:
    """Count a declared member's string values per bucket from now on (promotion as in pg_counts).

    1. The counted_keys row marks it: from its commit on, every write's trigger counts the member.
    2. A SHARE lock taken and released at once waits for the writers that ran before the mark.
    3. One snapshot: each kind's strings, less what the triggers had counted by then.
    4. That difference goes into bucket '' (stripe -1), and the key is marked complete. Nothing is
       held while counting; a lock not had within a second leaves it incomplete (totals are then
       counted, and the next start or bulk load completes it). True when complete.
    """
    key = key_of(member)
    path = f'strict $."{check_path((member,))[0]}" ? (@.type() == "string")'
    with conn.transaction():
        marked = conn.execute(_MARK, (key, path)).fetchone()
        if marked is None:
            row = conn.execute("SELECT complete FROM counted_keys WHERE key = %s", (key,)).fetchone()
            if row is None or row[0]:
                return row is not None
    try:
        with conn.transaction():
            conn.execute("SET LOCAL lock_timeout = '1s'")
            conn.execute("LOCK TABLE documents IN SHARE MODE")
    except psycopg.errors.LockNotAvailable:
        return False
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        conn.execute("SET LOCAL statement_timeout = 0")  # once per member and database
        live = {(s, k): int(n) for s, k, n in conn.execute(_LIVE, (member,))}
        counted = {(s, k): int(n) for s, k, n in conn.execute(_COUNTED, (key,))}
    with conn.transaction():
        row = conn.execute("SELECT complete FROM counted_keys WHERE key = %s FOR UPDATE", (key,)).fetchone()
        if row is None or row[0]:  # emptied, or completed by another process meanwhile
            return row is not None
        for (scope, kind), n in sorted(live.items()):
            conn.execute(_BEFORE, (scope, kind, key, n - counted.get((scope, kind), 0)))
        conn.execute("UPDATE counted_keys SET complete = true WHERE key = %s", (key,))
    return True


def complete_all(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    """Complete the fenced members left incomplete (a lock not had in time)."""
    rows = conn.execute("SELECT key FROM counted_keys WHERE fenced AND NOT complete ORDER BY key").fetchall()
    for (key,) in rows:
        fence_member(conn, key[1:])


@dataclass(frozen=True, slots=True)
class Bounds:
    """A filter the fences answer: equalities (any of), or one or two bounds, on one member."""

    member: str
    terms: tuple[Cond, ...]

    @property
    def ranged(self) -> bool:
        """True for bounds (a range), False for equalities."""
        return self.terms[0].op is not Op.EQ


def bounds(query: Query, fenced: Collection[str]) -> Bounds | None:
    """The query's filter as fence terms; None when the fences cannot answer its total."""
    if query.include_deleted or query.after is not None or query.lock or len(query.kinds) != 1:
        return None
    where = query.where
    terms = where.items if isinstance(where, AllOf | AnyOf) else (where,)
    if not terms or not all(isinstance(t, Cond) and _fenced(t, fenced) for t in terms):
        return None
    conds: tuple[Cond, ...] = tuple(t for t in terms if isinstance(t, Cond))
    if len({c.field.path for c in conds}) != 1:
        return None
    if isinstance(where, AnyOf) or (len(conds) == 1 and conds[0].op is Op.EQ):
        ok = all(c.op is Op.EQ for c in conds)
    else:
        lower = [c for c in conds if c.op in _LOWER]
        upper = [c for c in conds if c.op in _UPPER]
        ok = len(lower) <= 1 and len(upper) <= 1 and len(lower) + len(upper) == len(conds)
        conds = (*lower, *upper)
    return Bounds(conds[0].field.path[0], conds) if ok else None


def _fenced(term: Cond, fenced: Collection[str]) -> bool:
    """A case-sensitive comparison of a fenced string member with a string."""
    return (
        term.field.meta is None
        and term.field.scalar
        and not term.field.instant
        and len(term.field.path) == 1
        and term.field.path[0] in fenced
        and term.op in (Op.EQ, *_LOWER, *_UPPER)
        and type(term.value) is str
        and not term.ignore_case
    )


def total(conn: Any, scope: str, kind: str, found: Bounds, *, opening: bool = False) -> int | None:
    """The number of live documents matching `found`; None while the member is not counted.

    With `opening`, equalities are answered only when each value opens a bucket (a value of many
    matches): their totals are then bucket reads alone; None otherwise.
    """
    counter = _Counter(conn, scope, kind, found.member)
    try:
        if not found.ranged:
            values = {t.value for t in found.terms}
            if opening and any(counter.opens(v) is False for v in values):
                return None
            return sum(
                counter.at_least(v, Op.GE) - counter.at_least(v, Op.GT)
                for v in {t.value for t in found.terms}
            )
        sides = [
            counter.at_least(t.value, t.op) if t.op in _LOWER else counter.below(t.value, t.op)
            for t in found.terms
        ]
    except _Incomplete:
        return None
    if len(sides) == 1:
        return sides[0]
    low, high = found.terms
    if low.value > high.value or (low.value == high.value and (low.op, high.op) != (Op.GE, Op.LE)):
        return 0
    # Every string is above the lower bound or below the upper one: the two overlap by the answer.
    return sides[0] + sides[1] - counter.strings


class _Incomplete(Exception):
    """The member's counts are not complete (yet)."""


class _Counter:
    """Sums of one member's buckets (a statement per value) and its edge counts, in the caller's snapshot."""

    def __init__(self, conn: Any, scope: str, kind: str, member: str) -> None:
        self.conn = conn
        self.params = {"fence_scope": scope, "fence_kind": kind, "fence_key": key_of(member)}
        self.expr = postgres_member_expr(member)
        self.strings = 0
        self._sums: dict[str, tuple[Any, ...]] = {}

    def _at(self, value: str) -> tuple[Any, ...]:
        sums = self._sums.get(value)
        if sums is None:
            row = self.conn.execute(_SUMS, {**self.params, "v": value}).fetchone()
            if row is None or not row[0]:
                raise _Incomplete
            sums = self._sums[value] = tuple(row[1:])
            self.strings = int(sums[0])
        return sums

    def opens(self, value: str) -> bool:
        """True when a bucket begins at value."""
        return bool(self._at(value)[4] == value)

    def at_least(self, value: str, op: Op) -> int:
        """Live strings of the member `> value` (op GT) or `>= value` (GE)."""
        _, above, above_next, from_on, from_next = self._at(value)
        whole, edge_end = (above, above_next) if op is Op.GT else (from_on, from_next)
        if op is Op.GE and edge_end == value:
            return int(whole)  # the value opens a bucket: no edge
        return int(whole) + self._edge(value, op, edge_end)

    def below(self, value: str, op: Op) -> int:
        """Live strings of the member `< value` (op LT) or `<= value` (LE): the complement."""
        above = self.at_least(value, Op.GE if op is Op.LT else Op.GT)
        return self.strings - above

    def _edge(self, value: str, op: Op, end: str | None) -> int:
        """Strings `op value` below the bucket that follows (counted through the member index).

        With no bucket above, the bound is the number 0: every JSON string sorts below every number,
        and an index range bounded on both sides is what the planner reads from the index.
        """
        sql = (
            "SELECT count(*) FROM documents WHERE scope = %(fence_scope)s AND kind = %(fence_kind)s "
            f"AND NOT deleted AND {self.expr} {'>' if op is Op.GT else '>='} %(v)s::jsonb "
            f"AND {self.expr} < %(end)s::jsonb AND jsonb_typeof({self.expr}) = 'string'"
        )
        params = {**self.params, "v": orjson.dumps(value).decode(), "end": orjson.dumps(end).decode()}
        if end is None:
            params["end"] = "0"
        row = self.conn.execute(sql.encode(), params).fetchone()
        return int(row[0]) if row else 0
