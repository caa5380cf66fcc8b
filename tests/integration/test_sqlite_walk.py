"""SQLite `lastUpdate` ranges in id order through the walk index (migration 0013): the same pages as
the walk through the documents, on the real file; `offer-catalog migrate` adds it to an older file."""

from __future__ import annotations

import random
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor
from offer_catalog.documents.query import AllOf, Cond, Condition, Op, Query, body
from offer_catalog.store import open_store, sqlite_fences
from offer_catalog.store.sqlite import SqliteStore
from offer_catalog.store.sqlite_counts import range_plan, walk_index_name
from support.server import command

ACTOR = Actor("u")
WALK = walk_index_name("lastUpdate")
STAMPS = [f"2025-{m:02d}-{d:02d}T10:00:00Z" for m in range(1, 13) for d in (1, 15)]


@pytest.fixture
def walked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteStore]:
    monkeypatch.setattr(sqlite_fences, "FENCE_SIZE", 5)  # many buckets: walks stop at their fences
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    assert isinstance(store, SqliteStore)
    store.migrate()
    store.ensure_member_indexes(["lastUpdate"])
    yield store
    store.close()


def _stamp(i: int, rng: random.Random, first: int) -> Any:
    """Rising with the id in runs (as bench/scale.py's data), early ids below every bound when
    `first` > 0; now and then missing, a number, an object or a shorter text."""
    if rng.random() < 0.08:
        return rng.choice([None, 7, {"a": 1}, "2025-06", ""])
    if i < first:
        return "2024-12-31T00:00:00Z"
    return STAMPS[(i * 7) % len(STAMPS)]


def _fill(store: SqliteStore, count: int, first: int) -> None:
    rng = random.Random(first)
    with store.unit_of_work(write=True) as uow:
        for i in range(count):
            value = _stamp(i, rng, first)
            doc_body = {} if value is None else {"lastUpdate": value}
            doc = service.create(uow, scope="s", kind="offer", id=f"o{i:04d}", body=doc_body, actor=ACTOR)
            if rng.random() < 0.05:
                service.delete(uow, scope="s", kind="offer", id=doc.id, actor=ACTOR)
    with store.unit_of_work(write=True) as uow:
        sqlite_fences.split_fences(uow.conn)  # type: ignore[attr-defined]


def _ranges() -> Iterator[Condition]:
    stamp = body("lastUpdate", scalar=True)
    for value in (STAMPS[0], STAMPS[5], STAMPS[12], STAMPS[-2], STAMPS[-1], "2025-06", "", "2026"):
        for op in (Op.GT, Op.GE, Op.LT, Op.LE):
            yield Cond(stamp, op, value)
    yield AllOf((Cond(stamp, Op.GE, STAMPS[3]), Cond(stamp, Op.LT, STAMPS[9])))
    yield AllOf((Cond(stamp, Op.GT, STAMPS[20]), Cond(stamp, Op.LE, STAMPS[-1])))


def _ids(store: SqliteStore, query: Query) -> list[str]:
    with store.unit_of_work() as uow:
        return [d.id for d in service.list_documents(uow, scope="s", query=query).items]


@pytest.mark.parametrize("first", [0, 300])
def test_range_pages_through_the_walk_index_are_the_pages_of_the_full_order(
    walked: SqliteStore, first: int
) -> None:
    assert walked._walks == {"lastUpdate"}
    _fill(walked, 400, first)
    plans = set()
    for where in _ranges():
        full = _ids(walked, Query(kinds=("offer",), where=where))
        for offset, limit in ((0, 1), (0, 20), (3, 5), (150, 20), (len(full) - 2, 20)):
            query = Query(kinds=("offer",), where=where, offset=max(offset, 0), limit=limit)
            with walked.unit_of_work() as uow:
                plan = range_plan(uow.conn, "s", query, walked._indexed, walked._walks)
            assert plan is not None and plan.walked == WALK
            plans.add(plan.walk is None)
            page = _ids(walked, query)
            assert page == full[query.offset : query.offset + limit], (where, offset, limit)
            # The walk through the documents (no walk index) answers the same.
            walked._walks.clear()
            assert _ids(walked, query) == page
            walked._walks.add("lastUpdate")
    assert plans == {True, False}  # both the index read and the walk were taken


def test_the_walk_reads_the_value_from_the_index(walked: SqliteStore) -> None:
    with sqlite3.connect(walked.path) as conn:
        plan = conn.execute(
            f"EXPLAIN QUERY PLAN SELECT id, body FROM documents INDEXED BY {WALK} WHERE scope = 's' "
            "AND kind IN ('offer') AND deleted = 0 AND json_extract(body, '$.\"lastUpdate\"') > '2025' "
            "AND id < 'o0100' ORDER BY id ASC LIMIT 20"
        ).fetchall()
    assert [row[3] for row in plan] == [
        f"SEARCH documents USING INDEX {WALK} (scope=? AND kind=? AND deleted=? AND id<?)"
    ]


def test_migrate_adds_the_walk_index_to_an_older_file(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = open_store(f"sqlite:///{path}")
    assert isinstance(store, SqliteStore)
    store.migrate()
    store.ensure_member_indexes(["lastUpdate"])
    _fill(store, 120, 0)
    store.close()
    with sqlite3.connect(path) as conn:  # the file as the release before migration 0013 left it
        conn.execute(f"DROP INDEX {WALK}")
        conn.execute("DROP TABLE path_counts")
        conn.execute("DELETE FROM schema_migrations WHERE version = 13")
        conn.execute("ANALYZE")  # planner statistics, as an operator may have gathered them
    where = Cond(body("lastUpdate", scalar=True), Op.GT, STAMPS[10])
    older = open_store(f"sqlite:///{path}")
    assert isinstance(older, SqliteStore)
    assert older.pending_migrations() == [13]
    before = _ids(older, Query(kinds=("offer",), where=where, offset=2, limit=7))
    assert older._walks == set() and len(before) == 7
    older.close()

    result = subprocess.run(
        [*command(), "migrate", "--database-url", f"sqlite:///{path}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "applied migrations: 13" in result.stdout, result.stderr

    upgraded = open_store(f"sqlite:///{path}")
    assert isinstance(upgraded, SqliteStore)
    upgraded.ensure_member_indexes(["lastUpdate"])
    assert upgraded.pending_migrations() == []
    assert _ids(upgraded, Query(kinds=("offer",), where=where, offset=2, limit=7)) == before
    with sqlite3.connect(path) as conn:
        # The new index has statistics too: with none beside the others', the planner took it for
        # the best one for a sort on lastUpdate (every entry read and sorted).
        assert conn.execute("SELECT count(*) FROM sqlite_stat1 WHERE idx = ?", (WALK,)).fetchone()[0] == 1
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM documents WHERE scope = 's' AND kind IN ('offer') "
            "AND deleted = 0 ORDER BY json_extract(body, '$.\"lastUpdate\"') DESC NULLS LAST, id LIMIT 20"
        ).fetchall()
    assert WALK not in str(plan), plan
    assert upgraded._walks == {"lastUpdate"}
    upgraded.close()
