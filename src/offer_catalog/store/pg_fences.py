"""PostgreSQL deep pages in id order: live documents counted per fence, so a page jumps to its bucket.

Fences are ids; the triggers of migration 0014 count each live document under the greatest fence
not above its id (key '#' of document_counts; fence '' holds every id below the first). The values
of a fenced member are counted the same way (key '<' and the member, migration 0015: pg_ranges). A page at
offset o sums the fences' counts up to o, then walks the live (kind, id) index from that fence for
the rest: one statement, one snapshot. A fence added by a split counts only the writes after it
until the split completes it (stripe -1); until then it is read together with the fence before it.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import psycopg

from offer_catalog.documents.query import Query, SortKey, meta

SPLIT_AT = 2000
"""A page that walks more index entries than this past its fence splits that fence's bucket."""
BUCKET = 1000
"""Live documents per bucket a split makes."""
_LOCK = 7_106_554  # advisory lock: one split at a time (its adjustments must be applied once)
BUCKETS = (
    "WITH f AS (SELECT value, sum(n) AS n, bool_or(stripe = -1) OR value = '' AS complete "
    "FROM document_counts WHERE scope = %(fence_scope)s AND kind = %(fence_kind)s AND key = %(fence_key)s "
    "GROUP BY value), "
    "g AS (SELECT max(CASE WHEN complete THEN value END) OVER (ORDER BY value) AS grp, n FROM f), "
    "h AS (SELECT grp, sum(n) AS n FROM g GROUP BY grp) "
)
"""Buckets `h` (grp, n) of a key: each complete fence with the incomplete ones after it (parameters
fence_scope, fence_kind, fence_key)."""
_GROUPS = (
    BUCKETS + ", c AS (SELECT grp, sum(n) OVER (ORDER BY grp) - n AS before FROM h), "
    "j AS (SELECT grp, %(fence_offset)s - before AS skip FROM c WHERE before <= %(fence_offset)s "
    "ORDER BY grp DESC LIMIT 1) "
)


def applies(query: Query) -> bool:
    """A page of live documents of one kind in id order, unfiltered: its offset is found by fences."""
    return (
        query.where is None
        and query.sort in ((), (SortKey(meta("id")),))
        and len(query.kinds) == 1
        and not query.include_deleted
        and query.after is None
        and not query.lock
    )


def page_sql(columns: str, limit: int | None) -> str:
    """The page (columns, then how many entries it walked past its fence) in one statement."""
    page = "" if limit is None else f" LIMIT {int(limit)}"
    # The walk reads the live index alone (kind, id); only the page's rows are read in full.
    return (
        f"{_GROUPS}SELECT {columns}, (SELECT skip FROM j) FROM documents WHERE scope = %(fence_scope)s "
        "AND (kind, id) IN (SELECT kind, id FROM documents WHERE scope = %(fence_scope)s "
        "AND kind = %(fence_kind)s AND NOT deleted AND id >= (SELECT grp FROM j) "
        f"ORDER BY id{page} OFFSET (SELECT skip FROM j)) ORDER BY id"
    )


def page_params(scope: str, kind: str, offset: int) -> dict[str, Any]:
    """The parameters of page_sql."""
    return {"fence_scope": scope, "fence_kind": kind, "fence_key": "#", "fence_offset": offset}


def split(conn: psycopg.Connection[tuple[Any, ...]], scope: str, kind: str, offset: int) -> None:
    """Split the bucket holding `offset` into buckets of BUCKET live documents (promotion as in pg_counts).

    1. New fences (every BUCKET-th id of the bucket) are written with stripe 0: writes count under them
       from then on. 2. A SHARE lock taken and released waits for the writers that ran before.
    3. In one snapshot, each new fence's live documents less what it counted. 4. That difference is
       moved from the old fence to each new one, which completes them. Skipped when another split runs.
    """
    row = conn.execute(f"{_GROUPS}SELECT grp FROM j", page_params(scope, kind, offset)).fetchone()
    if row is None or row[0] is None:
        return
    head = row[0]
    locked = conn.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK,)).fetchone()
    if not locked or not locked[0]:
        return
    try:
        with suppress(psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
            _split(conn, scope, kind, "#", head)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK,))


def split_large(conn: psycopg.Connection[tuple[Any, ...]]) -> int:
    """Split every bucket (of ids or of a fenced member's values) holding more than SPLIT_AT live
    documents, as a long walk would; how many were split. Skipped when another split runs."""
    locked = conn.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK,)).fetchone()
    if not locked or not locked[0]:
        return 0
    done = 0
    try:
        for scope, kind, key in conn.execute(_KEYS).fetchall():
            params = {"fence_scope": scope, "fence_kind": kind, "fence_key": key, "size": SPLIT_AT}
            for (head,) in conn.execute(f"{BUCKETS}SELECT grp FROM h WHERE n > %(size)s", params).fetchall():
                with suppress(psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
                    done += _split(conn, scope, kind, key, head)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK,))
    if done:
        # Statistics of the grown counts: the triggers' bucket lookups are planned from them (a
        # table the planner believes tiny is scanned whole for each document written).
        conn.execute("ANALYZE document_counts")
    return done


_KEYS = (
    "SELECT DISTINCT c.scope, c.kind, c.key FROM document_counts c WHERE c.key = '#' OR c.key IN "
    "(SELECT k.key FROM counted_keys k WHERE k.fenced AND k.complete) ORDER BY 1, 2, 3"
)


_NEXT = (
    "SELECT min(value) FROM document_counts WHERE scope = %s AND kind = %s AND key = %s AND value > %s "
    "AND stripe = -1"
)
_IDS = (
    "SELECT id AS v FROM documents WHERE scope = %(scope)s AND kind = %(kind)s AND NOT deleted "
    "AND id >= %(low)s AND (%(high)s::text IS NULL OR id < %(high)s)"
)
# The string values of a fenced member (its name bound), in the order of the fences ("C": bytes).
_VALUES = (
    'SELECT v FROM (SELECT (body ->> %(member)s) COLLATE "C" AS v FROM documents WHERE scope = %(scope)s '
    "AND kind = %(kind)s AND NOT deleted AND jsonb_typeof(body -> %(member)s) = 'string') m "
    "WHERE v >= %(low)s AND (%(high)s::text IS NULL OR v < %(high)s)"
)
# Fences of a bucket's keys, worked out by the server (no key leaves it): the first key of each run
# of about BUCKET keys, counted in whole values (a value is never split).
_CUT = (
    "WITH g AS (SELECT v, count(*) AS n FROM ({keys}) s GROUP BY v), "
    "c AS (SELECT v, div(sum(n) OVER (ORDER BY v) - n, %(size)s) AS b FROM g) "
    "SELECT min(v) FROM c GROUP BY b ORDER BY 1"
)
# Live keys per new fence (width_bucket: the number of fences not above the key).
_TALLY = 'SELECT width_bucket(v COLLATE "C", %(fences)s::text[]), count(*) FROM ({keys}) s GROUP BY 1'
_MARK = (
    "INSERT INTO document_counts (scope, kind, key, value, stripe, n) VALUES (%s, %s, %s, %s, 0, 0) "
    "ON CONFLICT DO NOTHING"
)
_INSIDE = (
    "SELECT DISTINCT value FROM document_counts WHERE scope = %s AND kind = %s AND key = %s AND value > %s "
    "AND (%s::text IS NULL OR value < %s)"
)
_ROW = (
    "INSERT INTO document_counts AS c (scope, kind, key, value, stripe, n) VALUES (%s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (scope, kind, key, value, stripe) DO UPDATE SET n = c.n + excluded.n"
)


def _source(key: str) -> str:
    """The live keys of a bucket range: ids (key '#') or a fenced member's string values."""
    return _IDS if key == "#" else _VALUES


def _split(conn: psycopg.Connection[tuple[Any, ...]], scope: str, kind: str, key: str, head: str) -> int:
    with conn.transaction():
        conn.execute("SET LOCAL statement_timeout = 0")  # once per bucket: bounded by its size
        end_row = conn.execute(_NEXT, (scope, kind, key, head)).fetchone()
        end = end_row[0] if end_row else None
        # Fences of an earlier split left incomplete lie in this bucket: they are completed too.
        earlier = conn.execute(_INSIDE, (scope, kind, key, head, end, end)).fetchall()
        params = {"scope": scope, "kind": kind, "low": head, "high": end, "member": key[1:], "size": BUCKET}
        cuts = [r[0] for r in conn.execute(_CUT.format(keys=_source(key)), params)]
        # The first run begins the bucket (ids); a member's first value opens a bucket of its own,
        # so an equality on it has no edge to count.
        cuts = cuts[1:] if key == "#" else [c for c in cuts if c != head]
        fences = sorted(set(cuts) | {r[0] for r in earlier})
        if not fences:
            return 0
        for fence in fences:
            conn.execute(_MARK, (scope, kind, key, fence))
    with conn.transaction():
        conn.execute("SET LOCAL lock_timeout = '1s'")
        conn.execute("LOCK TABLE documents IN SHARE MODE")
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        conn.execute("SET LOCAL statement_timeout = 0")
        live = [0] * len(fences)
        params.update(low=fences[0], fences=fences)
        for bucket, n in conn.execute(_TALLY.format(keys=_source(key)), params):
            live[int(bucket) - 1] += int(n)
        counted = dict(
            conn.execute(
                "SELECT value, sum(n) FROM document_counts WHERE scope = %s AND kind = %s AND key = %s "
                "AND value = ANY(%s) AND stripe >= 0 GROUP BY value",
                (scope, kind, key, fences),
            ).fetchall()
        )
    moved = [n - int(counted.get(fence, 0)) for fence, n in zip(fences, live, strict=True)]
    with conn.transaction():
        for fence, n in zip(fences, moved, strict=True):
            conn.execute(_ROW, (scope, kind, key, fence, -1, n))
        conn.execute(_ROW, (scope, kind, key, head, -1, -sum(moved)))
    return 1
