"""SQLite path value counts (path_counts, migration 0013): a value held by PATH_COUNTED live
documents or more has an exact count, kept through saves, deletions, bulk loads and path
declarations; list totals of a path equality match the listed documents, on the real file."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor, Document
from offer_catalog.documents.query import Cond, Op, Query, body
from offer_catalog.store import open_store, sqlite_paths
from offer_catalog.store.sqlite import SqliteStore

ACTOR = Actor("u")
TAGS = ["common", "common", "common", "mid", "mid", "rare", "x1", "x2"]
NOW = "2026-01-01T00:00:00.000000Z"


@pytest.fixture
def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteStore]:
    monkeypatch.setattr(sqlite_paths, "PATH_COUNTED", 4)  # small data sets cross the threshold
    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    assert isinstance(store, SqliteStore)
    store.migrate()
    store.ensure_path_indexes([("tags",), ("ref", "id")])
    yield store
    store.close()


def _body(rng: random.Random) -> dict[str, object]:
    return {
        "tags": rng.sample(TAGS, rng.randrange(0, 4)),
        "ref": [{"id": rng.choice(["a", "a", "b", f"u{rng.randrange(50)}"])}],
    }


def _check(store: SqliteStore, threshold: int) -> None:
    """Every value held by `threshold` or more has a row; every row is the value's exact count."""
    with sqlite3.connect(store.path) as conn:
        actual = Counter(
            {
                tuple(r[:4]): r[4]
                for r in conn.execute(
                    "SELECT scope, kind, path, value, count(*) FROM document_paths GROUP BY 1, 2, 3, 4"
                )
            }
        )
        kept = {tuple(r[:4]): r[4] for r in conn.execute("SELECT * FROM path_counts")}
    for key, n in kept.items():
        assert actual[key] == n, key
    assert {k for k, n in actual.items() if n >= threshold} <= set(kept)
    assert any(n >= threshold for n in actual.values())


def _totals_match_the_lists(store: SqliteStore, scope: str) -> None:
    for path, value in [(("tags",), t) for t in set(TAGS)] + [(("ref", "id"), v) for v in ("a", "b", "u7")]:
        where = Cond(body(*path), Op.EQ, value)
        with store.unit_of_work() as uow:
            total = service.list_documents(
                uow, scope=scope, query=Query(kinds=("offer",), where=where, limit=0, with_total=True)
            ).total
            listed = service.list_documents(uow, scope=scope, query=Query(kinds=("offer",), where=where))
        assert total == len(listed.items), (path, value)


def test_counts_follow_saves_deletions_and_bulk_loads(counted: SqliteStore) -> None:
    rng = random.Random(4)
    live: list[str] = []
    for round_ in range(6):
        with counted.unit_of_work(write=True) as uow:
            for i in range(15):
                doc = service.create(
                    uow, scope="s", kind="offer", id=f"d{round_}-{i}", body=_body(rng), actor=ACTOR
                )
                live.append(doc.id)
            for id in rng.sample(live, 8):
                service.patch(
                    uow, scope="s", kind="offer", id=id, change=lambda b: {**b, **_body(rng)}, actor=ACTOR
                )
            for id in rng.sample(live, 4):
                service.delete(uow, scope="s", kind="offer", id=id, actor=ACTOR)
                live.remove(id)
        _check(counted, 4)
    docs = [
        Document("s", "offer", f"b{i:03d}", 1, _body(rng), NOW, "u", None, NOW, "u", None) for i in range(60)
    ]
    counted.bulk_load(docs, batch=7)
    counted.bulk_load([Document("t", "offer", "t1", 1, {"tags": ["common"]}, NOW, "u", None, NOW, "u", None)])
    _check(counted, 4)
    _totals_match_the_lists(counted, "s")
    _totals_match_the_lists(counted, "t")


def test_declaring_paths_counts_their_values(counted: SqliteStore) -> None:
    rng = random.Random(5)
    with counted.unit_of_work(write=True) as uow:
        for i in range(40):
            service.create(uow, scope="s", kind="offer", id=f"d{i}", body=_body(rng), actor=ACTOR)
    counted.ensure_path_indexes([("ref", "id")])  # tags dropped: their counts go
    with sqlite3.connect(counted.path) as conn:
        assert {r[0] for r in conn.execute("SELECT DISTINCT path FROM path_counts")} == {"ref.id"}
    counted.ensure_path_indexes([("ref", "id"), ("tags",)])  # declared again: counted from the rows
    _check(counted, 4)
    _totals_match_the_lists(counted, "s")


def test_migration_counts_the_values_of_an_older_file(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = open_store(f"sqlite:///{path}")
    assert isinstance(store, SqliteStore)
    store.migrate()
    store.ensure_path_indexes([("tags",)])
    docs = [
        Document("s", "offer", f"o{i:03d}", 1, {"tags": ["all", f"t{i % 2}"]}, NOW, "u", None, NOW, "u", None)
        for i in range(450)
    ]
    store.bulk_load(docs)
    store.close()
    with sqlite3.connect(path) as conn:  # the file as the release before migration 0013 left it
        conn.execute("DROP INDEX documents_walk_6c617374557064617465")
        conn.execute("DROP TABLE path_counts")
        conn.execute("DELETE FROM schema_migrations WHERE version = 13")
    upgraded = open_store(f"sqlite:///{path}")
    assert upgraded.migrate() == [13]
    upgraded.close()
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT value, n FROM path_counts ORDER BY value").fetchall()
    assert rows == [("all", 450), ("t0", 225), ("t1", 225)]  # values held by 200 or more
