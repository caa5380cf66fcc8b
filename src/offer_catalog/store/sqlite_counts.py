"""SQLite counts kept by triggers: live documents per (scope, kind), and per string value of each
member index. A list's total for no filter, or for equality on an indexed string member, is then one
row read instead of a count over every match.

The triggers live in the database, so every process writing the file keeps the counts exact, in the
transaction of the write. Row (member '', value '') is the number of live documents of a kind.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection
from dataclasses import dataclass

from offer_catalog.documents.query import AllOf, AnyOf, Cond, Condition, Op, Query, check_path
from offer_catalog.store.sqlcompile import member_index_name
from offer_catalog.store.sqlite_fences import (
    counting_triggers,
    keep_triggers,
    key_count,
    member_changed,
    range_total,
)
from offer_catalog.store.sqlite_paths import Path

_LOWER = (Op.GT, Op.GE)
_UPPER = (Op.LT, Op.LE)


def _add(member: str, value: str, row: str) -> str:
    return (
        f"INSERT INTO member_counts (scope, kind, member, value, n) SELECT {row}.scope, {row}.kind, "
        f"'{member}', {value}, 1 WHERE {row}.deleted = 0"
    )


def member_count_triggers(member: str) -> list[str]:
    """The triggers that count a member's string values (a declared member name: no quotes)."""
    name = check_path((member,))[0]
    path = f"'$.\"{name}\"'"
    trigger = member_index_name(member).replace("documents_member_", "documents_count_")

    def value(row: str) -> str:
        return f"json_extract({row}.body, {path})"

    def is_text(row: str) -> str:
        return f"json_type({row}.body, {path}) = 'text'"

    add = (
        f"{_add(name, value('NEW'), 'NEW')} AND {is_text('NEW')} "
        "ON CONFLICT (scope, kind, member, value) DO UPDATE SET n = n + 1;"
    )
    remove = (
        f"UPDATE member_counts SET n = n - 1 WHERE OLD.deleted = 0 AND {is_text('OLD')} "
        f"AND scope = OLD.scope AND kind = OLD.kind AND member = '{name}' AND value = {value('OLD')};"
    )
    return counting_triggers(trigger, add, remove, member_changed(name))


def count_member(conn: sqlite3.Connection, member: str) -> None:
    """Start counting a member (in the caller's write transaction): triggers, then today's counts."""
    name = check_path((member,))[0]
    trigger = member_index_name(member).replace("documents_member_", "documents_count_")
    statements = member_count_triggers(name)
    if keep_triggers(conn, trigger, statements):
        return
    for statement in statements:
        conn.execute(statement)
    path = f'$."{name}"'
    conn.execute(
        "INSERT INTO member_counts (scope, kind, member, value, n) "
        "SELECT scope, kind, ?, json_extract(body, ?), count(*) FROM documents "
        "WHERE deleted = 0 AND json_type(body, ?) = 'text' GROUP BY scope, kind, json_extract(body, ?)",
        (name, path, path, path),
    )


def counted_total(
    conn: sqlite3.Connection, scope: str, query: Query, counted: set[str], paths: Collection[Path]
) -> int | None:
    """The query's total from the counts (or the path index), when they answer it exactly; else None."""
    if query.include_deleted or query.after is not None or len(query.kinds) != 1:
        return None
    path, values = _path_equalities(query.where, paths)
    if path is not None:
        if len(values) == 1:
            # A value held by many has its count kept (path_counts); one held by few, its rows counted.
            key = (scope, query.kinds[0], ".".join(path), *values)
            kept = conn.execute(
                "SELECT n FROM path_counts WHERE scope = ? AND kind = ? AND path = ? AND value = ?", key
            ).fetchone()
            if kept is not None:
                return int(kept[0])
        # document_paths holds live documents only, one row per (path, value, id).
        marks = ",".join("?" * len(values))
        number = "count(*)" if len(values) == 1 else "count(DISTINCT id)"
        row = conn.execute(
            f"SELECT {number} FROM document_paths WHERE scope = ? AND kind = ? AND path = ? "
            f"AND value IN ({marks})",
            (scope, query.kinds[0], ".".join(path), *sorted(values)),
        ).fetchone()
        return int(row[0])
    if isinstance(query.where, Cond) and query.where.field.path in paths:
        return None
    bounds = _bounds(query.where, counted)
    if bounds:
        return _range(conn, scope, query.kinds[0], bounds)
    member, values = ("", {""}) if query.where is None else _equalities(query.where, counted)
    if member is None:
        return None
    marks = ",".join("?" * len(values))
    row = conn.execute(
        "SELECT coalesce(sum(n), 0) FROM member_counts WHERE scope = ? AND kind = ? AND member = ? "
        f"AND value IN ({marks})",
        (scope, query.kinds[0], member, *sorted(values)),
    ).fetchone()
    return int(row[0])


def _equalities(cond: Condition, counted: set[str]) -> tuple[str | None, set[str]]:
    """(member, values) when cond is `member = v` or an OR of such on one counted string member."""
    path, values = _one_path_equalities(cond, lambda term: _counted(term, counted))
    return (None, set()) if path is None else (path[0], values)


def _path_equalities(cond: Condition | None, paths: Collection[Path]) -> tuple[Path | None, set[str]]:
    """(path, values) when cond is `path = v` or an OR of such on one path of the path index."""
    return _one_path_equalities(
        cond, lambda term: term.field.path in paths and type(term.value) is str and not term.ignore_case
    )


def _one_path_equalities(
    cond: Condition | None, accepted: Callable[[Cond], bool]
) -> tuple[Path | None, set[str]]:
    """(path, values) when cond is an equality, or an OR of equalities, on one path, each accepted."""
    terms = cond.items if isinstance(cond, AnyOf) else (cond,)
    found: set[Path] = set()
    values: set[str] = set()
    for term in terms:
        if not (isinstance(term, Cond) and term.op is Op.EQ and accepted(term)):
            return None, set()
        found.add(term.field.path)
        values.add(term.value)
    if len(found) != 1 or not values:
        return None, set()
    return found.pop(), values


# How many times more a row read in id order costs (its body parsed) than a member index entry
# read and sorted: a range page reads the index when its matches are few enough (range_plan).
_ROW_COST = 25
# The same for an entry of a walk index (the member's value beside the id, no body parsed).
_WALK_COST = 1
_WALK_PREFIX = "documents_walk_"


def walk_index_name(member: str) -> str:
    """The index of (scope, kind, deleted, id, member) a range page in id order walks, if it exists."""
    return member_index_name(member).replace("documents_member_", _WALK_PREFIX)


def walk_members(conn: sqlite3.Connection) -> set[str]:
    """The members the database has a walk index for (migrations create them)."""
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents' AND name GLOB ?",
        (f"{_WALK_PREFIX}*",),
    ).fetchall()
    return {bytes.fromhex(row[0].removeprefix(_WALK_PREFIX)).decode() for row in rows}


@dataclass(frozen=True, slots=True)
class RangePlan:
    """How to read a page in id order of a range on an indexed member.

    Walking the documents in id order finds a page after about window x live / matches rows when
    the matches are spread evenly; reading the member index costs the matches, sorted by id. With
    few matches the index is read (walk None); otherwise the walk goes first, but stops after as
    many rows as the index would cost (walk), and the index is read when that was not enough: the
    matches may sit at the far end of the id order. The walk reads `walked`: documents_live (each
    body parsed), or the member's walk index (its value beside the id: a row read only on a match).
    """

    index: str
    walk: int | None
    walked: str = "documents_live"  # the index the walk reads: the member's walk index if it has one


def range_plan(
    conn: sqlite3.Connection, scope: str, query: Query, counted: set[str], walks: Collection[str] = ()
) -> RangePlan | None:
    """The plan of a range page in id order on an indexed member; None for any other query."""
    if query.sort or query.include_deleted or query.after is not None or len(query.kinds) != 1:
        return None
    bounds = _bounds(query.where, counted)
    if not bounds:
        return None
    kind = query.kinds[0]
    matches = _range(conn, scope, kind, bounds)
    row = conn.execute(
        "SELECT n FROM member_counts WHERE scope = ? AND kind = ? AND member = '' AND value = ''",
        (scope, kind),
    ).fetchone()
    live = 0 if row is None else int(row[0])
    window = query.offset + (live if query.limit is None else query.limit)
    member = bounds[0].field.path[0]
    index = member_index_name(member)
    walked, cost = (walk_index_name(member), _WALK_COST) if member in walks else ("documents_live", _ROW_COST)
    if matches * matches <= cost * window * live:
        return RangePlan(index, None, walked)
    return RangePlan(index, max(matches // cost, window), walked)


def _bounds(cond: Condition | None, counted: set[str]) -> list[Cond]:
    """The range bounds of cond (one, or a lower and an upper one) on one counted string member."""
    terms = cond.items if isinstance(cond, AllOf) else (cond,)
    if not 1 <= len(terms) <= 2:
        return []
    bounds = [t for t in terms if isinstance(t, Cond) and t.op in (*_LOWER, *_UPPER) and _counted(t, counted)]
    if len(bounds) != len(terms) or len({b.field.path for b in bounds}) != 1:
        return []
    if len(bounds) == 2 and (bounds[0].op in _LOWER) == (bounds[1].op in _LOWER):
        return []
    return sorted(bounds, key=lambda b: b.op not in _LOWER)


def _range(conn: sqlite3.Connection, scope: str, kind: str, bounds: list[Cond]) -> int:
    """The number of live documents inside one or two bounds, from the fence counts."""
    member = bounds[0].field.path[0]
    totals = [range_total(conn, scope, kind, member, b.op, b.value) for b in bounds]
    if len(bounds) == 1:
        return totals[0]
    low, high = bounds
    if low.value > high.value or (low.value == high.value and (low.op, high.op) != (Op.GE, Op.LE)):
        return 0
    # Every key is above the lower bound or below the upper one: the two overlap by the answer.
    return totals[0] + totals[1] - key_count(conn, scope, kind, member)


def _counted(term: Cond, counted: set[str]) -> bool:
    """A case-sensitive comparison of a counted string member with a string."""
    return (
        term.field.scalar
        and len(term.field.path) == 1
        and term.field.path[0] in counted
        and type(term.value) is str
        and not term.ignore_case
    )
