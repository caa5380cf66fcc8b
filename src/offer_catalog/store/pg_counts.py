"""PostgreSQL totals without counting every match: the trigger-kept counts of migration 0014.

A list's total is read from `document_counts` when its filter is none (the live documents of a
kind) or an equality on one counted key: a declared member (one value, or several of a scalar
member) or a declared nested or array path (one value). A value is counted from the first time a
total over it passes THRESHOLD: it is then promoted (see `promote`), and the triggers keep its
count exact from then on; a bulk load promotes the path values it wrote many times at its end
(`promote_loaded`: one grouped pass), so their first list has nothing to pay. (A fenced member's
totals come from its value buckets first, pg_ranges: its values are promoted only on a database
where members are not fenced.)
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import psycopg

from offer_catalog.documents.query import AnyOf, Cond, Field, Op, Query

THRESHOLD = 2000
"""A total up to this many matches is counted directly (a bounded count); past it, from the counts."""
_READ = (
    "SELECT coalesce(sum(n), 0), count(*) FILTER (WHERE stripe = -1) FROM document_counts "
    "WHERE scope = %s AND kind = %s AND key = %s AND value = ANY(%s)"
)
_MARK_KEY = "INSERT INTO counted_keys (key, path) VALUES (%s, %s::jsonpath) ON CONFLICT DO NOTHING"
_ROW = (
    "INSERT INTO document_counts (scope, kind, key, value, stripe, n) VALUES (%s, %s, %s, %s, %s, %s) "
    "ON CONFLICT DO NOTHING"
)
_COUNTED = (
    "SELECT value, sum(n) FROM document_counts WHERE scope = %s AND kind = %s AND key = %s "
    "AND value = ANY(%s) AND stripe >= 0 GROUP BY value"
)
_COMPLETE = (
    "SELECT value FROM document_counts WHERE scope = %s AND kind = %s AND key = %s AND value = ANY(%s) "
    "AND stripe = -1"
)
# The live documents holding each value at a path, as the triggers count them (each value once a document).
_MATCHES = (
    "SELECT p.value, count(*) FROM documents d CROSS JOIN LATERAL ("
    "SELECT DISTINCT (x #>> '{}') COLLATE \"C\" AS value "
    "FROM jsonb_path_query(d.body, %s::jsonpath, '{}', true) x) p "
    "WHERE d.scope = %s AND d.kind = %s AND NOT d.deleted AND p.value = ANY(%s) GROUP BY p.value"
)


@dataclass(frozen=True, slots=True)
class Counted:
    """A total the counts answer: the sum over `values` of the (kind, key, value) counts."""

    kind: str
    key: str
    path: str
    values: tuple[str, ...]
    field: Field | None


def counted(query: Query, members: Collection[str], paths: Collection[tuple[str, ...]]) -> Counted | None:
    """What the counts would answer this query's total with; None when they cannot."""
    if query.include_deleted or query.after is not None or query.lock or len(query.kinds) != 1:
        return None
    kind = query.kinds[0]
    if query.where is None:
        return Counted(kind, "", "", ("",), None)
    terms = query.where.items if isinstance(query.where, AnyOf) else (query.where,)
    fields: set[Field] = set()
    values: set[str] = set()
    for term in terms:
        if not (
            isinstance(term, Cond)
            and term.op is Op.EQ
            and type(term.value) is str
            and not term.ignore_case
            and term.field.meta is None
            and not term.field.instant
        ):
            return None
        fields.add(term.field)
        values.add(term.value)
    if len(fields) != 1:
        return None
    field = fields.pop()
    steps = "".join(f'."{step}"' for step in field.path)  # member names: no quotes or backslashes
    if field.scalar and len(field.path) == 1 and field.path[0] in members:
        # A scalar member holds one value: the counts of several values add up.
        return Counted(
            kind,
            "m:" + field.path[0],
            f'strict ${steps} ? (@.type() == "string")',
            tuple(sorted(values)),
            field,
        )
    # A scalar top-level member is compared directly (never an array); a path, in lax SQL/JSON.
    if field.path in paths and len(values) == 1 and not (field.scalar and len(field.path) == 1):
        return Counted(kind, *path_key(field.path), tuple(values), field)
    return None


def path_key(path: tuple[str, ...]) -> tuple[str, str]:
    """The counts' key of a declared path and its SQL/JSON path (lax: arrays on the way unwrapped)."""
    steps = "".join(f'."{step}"' for step in path)  # member names: no quotes or backslashes
    return "p:" + ".".join(path), f'lax ${steps} ? (@.type() == "string")'


def read(conn: Any, scope: str, count: Counted) -> int | None:
    """The total from the counts, or None when a value is not counted (yet)."""
    row = conn.execute(_READ, (scope, count.kind, count.key, list(count.values))).fetchone()
    if count.key == "" or int(row[1]) == len(count.values):
        return int(row[0])
    return None


def promote(conn: psycopg.Connection[tuple[Any, ...]], scope: str, count: Counted, where: Any) -> None:
    """Count the values of `count` from now on; `where(value)` is (WHERE clause, params) of one value."""

    def matches(values: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for value in values:
            clause, params = where(value)
            row = conn.execute(f"SELECT count(*) FROM documents WHERE {clause}".encode(), params).fetchone()
            found[value] = int(row[0]) if row else 0
        return found

    _promote(conn, scope, count, matches)


def promote_loaded(conn: psycopg.Connection[tuple[Any, ...]], scope: str, count: Counted) -> None:
    """Count a declared path's values from now on (those not counted yet), all in one pass over the kind.

    A bulk load calls it with the values its documents held many times: their first list then reads
    the counts like every later one.
    """
    with conn.transaction():
        done = conn.execute(_COMPLETE, (scope, count.kind, count.key, list(count.values))).fetchall()
    todo = tuple(sorted(set(count.values) - {str(row[0]) for row in done}))
    if not todo:
        return

    def matches(values: list[str]) -> dict[str, int]:
        rows = conn.execute(_MATCHES, (count.path, scope, count.kind, values)).fetchall()
        return {str(value): int(n) for value, n in rows}

    _promote(conn, scope, Counted(count.kind, count.key, count.path, todo, None), matches)


def _promote(
    conn: psycopg.Connection[tuple[Any, ...]],
    scope: str,
    count: Counted,
    matches: Callable[[list[str]], dict[str, int]],
) -> None:
    """Count the values of `count` from now on; `matches(values)` counts each value's live documents.

    1. Stripe 0 of each value marks it: from its commit on, every write's trigger counts the value.
    2. A SHARE lock taken and released at once waits for the writers that ran before the mark.
    3. One snapshot: the matches, less what the triggers had counted by then (the same writes).
    4. That difference goes into stripe -1, which marks the count complete. Nothing is held while
       counting; a lock not had within a second or a count past the query budget leaves the value
       incomplete (promoted again by a later list).
    """
    values = list(count.values)
    try:
        with conn.transaction():
            conn.execute(_MARK_KEY, (count.key, count.path))
            with conn.cursor() as cur:
                cur.executemany(_ROW, [(scope, count.kind, count.key, value, 0, 0) for value in values])
        with conn.transaction():
            conn.execute("SET LOCAL lock_timeout = '1s'")
            conn.execute("LOCK TABLE documents IN SHARE MODE")
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            found = matches(values)
            counted = dict(conn.execute(_COUNTED, (scope, count.kind, count.key, values)).fetchall())
        with conn.transaction(), conn.cursor() as cur:
            rows = [
                (scope, count.kind, count.key, value, -1, found.get(value, 0) - int(counted.get(value) or 0))
                for value in values
            ]
            cur.executemany(_ROW, rows)
    except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
        return
