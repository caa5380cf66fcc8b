"""SQLite order statistics (key_fences): range totals and deep pages against brute force, and the
bulk loader's counts against the triggers'."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor, Document
from offer_catalog.documents.query import AllOf, Cond, Op, Query, body
from offer_catalog.store import open_store, sqlite_fences
from offer_catalog.store.sqlite import SqliteStore
from support import reference_query

ACTOR = Actor("u")
STAMPS = [f"2025-0{m}-{d:02d}T10:00:00Z" for m in range(1, 4) for d in (1, 2, 15, 28)]


@pytest.fixture
def small_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Buckets of 3 keys: every test data set spreads over many of them."""
    monkeypatch.setattr(sqlite_fences, "FENCE_SIZE", 3)


@pytest.fixture
def fenced(tmp_path: Path, small_buckets: None) -> Iterator[SqliteStore]:
    store = open_store(f"sqlite:///{tmp_path / 'f.db'}")
    assert isinstance(store, SqliteStore)
    store.migrate()
    store.ensure_member_indexes(["name", "stamp"])
    yield store
    store.close()


def _body(rng: random.Random, odd: bool = True) -> dict[str, Any]:
    """A body whose members are strings, or (odd) now and then a number, an object or an array."""
    extra = [7, 2.5, True, {"a": 1}, ["x"]] if odd else []
    value: Any = rng.choice([*STAMPS, *STAMPS, "", "2025-02", None, *extra])
    result: dict[str, Any] = {"name": rng.choice(["a", "b", "b", "b", "c", "é", "z" * 3])}
    if rng.random() < 0.9:
        result["stamp"] = value
    return result


def _check_buckets(store: SqliteStore) -> None:
    """Every bucket's count equals the keys between its fence and the next, counted one by one."""
    with sqlite3.connect(store.path) as conn:
        rows = conn.execute(
            "SELECT scope, kind, member, fence, n FROM key_fences ORDER BY 1, 2, 3, 4"
        ).fetchall()
        docs = conn.execute("SELECT scope, kind, id, body FROM documents WHERE deleted = 0").fetchall()
        keys: dict[tuple[str, str, str], list[str]] = {}
        for scope, kind, id, text in docs:
            keys.setdefault((scope, kind, ""), []).append(id)
            for member in ("name", "stamp"):
                value = conn.execute("SELECT json_extract(?, ?)", (text, f'$."{member}"')).fetchone()[0]
                if isinstance(value, str):
                    keys.setdefault((scope, kind, member), []).append(value)
    groups: dict[tuple[str, str, str], list[tuple[str, int]]] = {}
    for scope, kind, member, fence, n in rows:
        groups.setdefault((scope, kind, member), []).append((fence, n))
    assert set(groups) >= set(keys)
    for group, fences in groups.items():
        values = keys.get(group, [])
        for i, (fence, n) in enumerate(fences):
            upper = fences[i + 1][0] if i + 1 < len(fences) else None
            assert n == sum(1 for v in values if v >= fence and (upper is None or v < upper)), (group, fence)


def _write(store: SqliteStore, scope: str, count: int, seed: int, odd: bool = True) -> list[Document]:
    rng = random.Random(seed)
    docs: dict[str, Document] = {}
    with store.unit_of_work(write=True) as uow:
        for i in range(count):
            doc = service.create(
                uow,
                scope=scope,
                kind="offer",
                id=f"o{rng.randrange(10**6):06d}-{i}",
                body=_body(rng, odd),
                actor=ACTOR,
            )
            docs[doc.id] = doc
        for id in rng.sample(sorted(docs), count // 4):
            docs[id] = service.delete(uow, scope=scope, kind="offer", id=id, actor=ACTOR)
        for id in rng.sample(sorted(d.id for d in docs.values() if not d.deleted), count // 4):
            docs[id] = service.patch(
                uow, scope=scope, kind="offer", id=id, change=lambda b: _body(rng, odd), actor=ACTOR
            )
    return list(docs.values())


def _ranges() -> Iterator[Any]:
    stamp = body("stamp", scalar=True)
    for value in [*STAMPS, "", "2025-02", "2025-02-15T10:00:00Z0", "2026", "0", "2025-01-01T10:00:00Z"]:
        for op in (Op.GT, Op.GE, Op.LT, Op.LE):
            yield Cond(stamp, op, value)
    for low, high in (
        ("2025-01-15", "2025-03-01"),
        (STAMPS[2], STAMPS[2]),
        (STAMPS[5], STAMPS[1]),
        ("", "2025-02"),
    ):
        for lop in (Op.GT, Op.GE):
            for hop in (Op.LT, Op.LE):
                yield AllOf((Cond(stamp, lop, low), Cond(stamp, hop, high)))
    yield Cond(body("name", scalar=True), Op.GT, "b")
    yield Cond(body("name", scalar=True), Op.LE, "b")


@pytest.mark.parametrize("odd", [False, True])
def test_range_totals_match_a_brute_force_count(fenced: SqliteStore, odd: bool) -> None:
    docs = _write(fenced, "s1", 300, seed=1, odd=odd)
    _write(fenced, "s2", 40, seed=2)  # another scope's keys share no bucket with these
    with fenced.unit_of_work(write=True) as uow:
        assert sqlite_fences.split_fences(uow.conn) > 0  # type: ignore[attr-defined]
    _check_buckets(fenced)
    for where in _ranges():
        query = Query(kinds=("offer",), where=where, limit=0)
        with fenced.unit_of_work() as uow:
            total = service.list_documents(uow, scope="s1", query=query).total
            # The page's own predicate, row by row (no count read): the total must agree with it.
            listed = service.list_documents(uow, scope="s1", query=Query(kinds=("offer",), where=where))
            # A short page (read from the index when few match, else in id order) is a slice of it.
            short = service.list_documents(
                uow, scope="s1", query=Query(kinds=("offer",), where=where, offset=2, limit=3)
            )
        assert total == len(listed.items), where
        assert [d.id for d in short.items] == [d.id for d in listed.items[2:5]], where
        if not odd:
            # Strings only: the reference model agrees too (it knows nothing of SQLite's JSON text).
            assert total == reference_query.run(docs, query)[1], where


def test_deep_pages_are_the_pages_of_the_full_order(
    fenced: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offer_catalog.store import sqlite_unit

    monkeypatch.setattr(sqlite_unit, "_DEEP_OFFSET", 0)
    docs = _write(fenced, "s1", 400, seed=3)
    live = sorted(d.id for d in docs if not d.deleted)
    with fenced.unit_of_work(write=True) as uow:
        assert sqlite_fences.split_fences(uow.conn) > 0  # type: ignore[attr-defined]
    _check_buckets(fenced)
    for offset in (1, 2, 3, 5, 17, 100, len(live) - 3, len(live) - 1, len(live), len(live) + 5):
        for limit in (1, 7, None):
            query = Query(kinds=("offer",), offset=offset, limit=limit, with_total=True)
            with fenced.unit_of_work() as uow:
                page = service.list_documents(uow, scope="s1", query=query)
            end = None if limit is None else offset + limit
            assert [d.id for d in page.items] == live[offset:end]
            assert page.total == len(live)


def test_buckets_stay_exact_through_writes_and_splits(fenced: SqliteStore) -> None:
    for seed in range(3):
        _write(fenced, f"s{seed}", 150, seed=seed)
        with fenced.unit_of_work(write=True) as uow:
            sqlite_fences.split_fences(uow.conn)  # type: ignore[attr-defined]
        _check_buckets(fenced)


def test_one_heavy_value_keeps_its_own_bucket(fenced: SqliteStore) -> None:
    with fenced.unit_of_work(write=True) as uow:
        for i in range(60):
            service.create(
                uow,
                scope="h",
                kind="offer",
                id=f"h{i:03d}",
                body={"name": "b" if i % 10 else f"a{i}"},
                actor=ACTOR,
            )
    with fenced.unit_of_work(write=True) as uow:
        sqlite_fences.split_fences(uow.conn)  # type: ignore[attr-defined]
        fences = uow.conn.execute(  # type: ignore[attr-defined]
            "SELECT fence, n FROM key_fences WHERE scope = 'h' AND member = 'name' ORDER BY fence"
        ).fetchall()
    assert ("b", 54) in fences
    _check_buckets(fenced)


def _bulk_docs(scope: str, count: int, seed: int) -> list[Document]:
    rng = random.Random(seed)
    when = "2026-01-01T00:00:00.000000Z"
    return [
        Document(
            scope,
            "offer",
            f"b{rng.randrange(10**6):06d}-{i}",
            1,
            _body(rng),
            when,
            "u",
            None,
            when,
            "u",
            None,
            i % 9 == 0,
        )
        for i in range(count)
    ]


def test_bulk_load_counts_as_the_triggers_do(tmp_path: Path, small_buckets: None) -> None:
    stores = []
    for name in ("bulk", "units"):
        store = open_store(f"sqlite:///{tmp_path / name}.db")
        assert isinstance(store, SqliteStore)
        store.migrate()
        store.ensure_member_indexes(["name", "stamp"])
        stores.append(store)
    bulk, units = stores
    docs = _bulk_docs("s", 500, seed=4)
    assert bulk.bulk_load(docs, batch=120) == 500
    with units.unit_of_work(write=True) as uow:
        for doc in docs:
            uow.save(doc, expected_version=None, change="created")
    _check_buckets(bulk)
    tables = []
    for store in stores:
        with sqlite3.connect(store.path) as conn:
            counts = conn.execute("SELECT * FROM member_counts ORDER BY 1, 2, 3, 4").fetchall()
            sums = conn.execute(
                "SELECT scope, kind, member, sum(n) FROM key_fences GROUP BY 1, 2, 3"
            ).fetchall()
            triggers = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY 1"
            ).fetchall()
            tables.append((counts, sums, triggers))
    assert tables[0] == tables[1]
    assert any(name.startswith("documents_fence_") for name, _ in tables[0][2])
    # The loaded file answers as the other one, and keeps counting writes after the load.
    with bulk.unit_of_work(write=True) as uow:
        service.create(
            uow, scope="s", kind="offer", id="zz-late", body={"stamp": STAMPS[0], "name": "b"}, actor=ACTOR
        )
    _check_buckets(bulk)
    for store in stores:
        store.close()


def test_history_holds_past_versions_and_paths_follow_the_body(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'h.db'}")
    store.migrate()
    store.ensure_path_indexes([("tags",)])
    when = "2026-01-01T00:00:00.000000Z"
    first = Document("h", "offer", "x1", 1, {"tags": ["a", "b"]}, when, "u", None, when, "u", None)
    store.bulk_load([first])
    with store.unit_of_work(write=True) as uow:
        second = service.patch(
            uow, scope="h", kind="offer", id="x1", change=lambda b: {"tags": ["b", "c"]}, actor=ACTOR
        )
        gone = service.delete(uow, scope="h", kind="offer", id="x1", actor=ACTOR)
    with store.unit_of_work() as uow:
        history = uow.fetch_history("h", "offer", "x1")
        assert [(d.version, d.deleted, d.body) for d in history] == [
            (1, False, {"tags": ["a", "b"]}),
            (2, False, {"tags": ["b", "c"]}),
            (3, True, gone.body),
        ]
        assert uow.fetch_version("h", "offer", "x1", 2) == second
        assert uow.fetch_version("h", "offer", "x1", 4) is None
    with store.unit_of_work(write=True) as uow:
        third = service.create(uow, scope="h", kind="offer", id="x1", body={"tags": ["c"]}, actor=ACTOR)
    for tag, expected in (("a", []), ("b", []), ("c", [third.id])):
        with store.unit_of_work() as uow:
            page = service.list_documents(
                uow, scope="h", query=Query(kinds=("offer",), where=Cond(body("tags"), Op.EQ, tag))
            )
        assert [d.id for d in page.items] == expected
        assert page.total == len(expected)
    store.close()


@pytest.mark.parametrize("first", [0, 250])
def test_a_wide_range_page_walks_then_reads_the_index(fenced: SqliteStore, first: int) -> None:
    # Matches spread from the start of the id order (the walk finds them), or only at its far end.
    with fenced.unit_of_work(write=True) as uow:
        for i in range(400):
            stamp = STAMPS[-1] if i >= first else STAMPS[0]
            service.create(uow, scope="w", kind="offer", id=f"w{i:04d}", body={"stamp": stamp}, actor=ACTOR)
    where = Cond(body("stamp", scalar=True), Op.GT, STAMPS[1])
    for offset, limit in ((0, 1), (3, 2), (140, 20)):
        with fenced.unit_of_work() as uow:
            page = service.list_documents(
                uow, scope="w", query=Query(kinds=("offer",), where=where, offset=offset, limit=limit)
            )
        expected = [f"w{i:04d}" for i in range(first, 400)][offset : offset + limit]
        assert [d.id for d in page.items] == expected


def test_history_written_before_keeps_one_row_per_version(tmp_path: Path) -> None:
    # Files written before past-only history also hold the current version in document_versions.
    store = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    store.migrate()
    with store.unit_of_work(write=True) as uow:
        first = service.create(uow, scope="o", kind="offer", id="x", body={"n": 1}, actor=ACTOR)
    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.execute(
            "INSERT INTO document_versions SELECT scope, kind, id, version, deleted, created_at, created_by, "
            "created_by_client, modified_at, modified_by, modified_by_client, body FROM documents"
        )
    with store.unit_of_work(write=True) as uow:
        second = service.patch(uow, scope="o", kind="offer", id="x", change=lambda b: {"n": 2}, actor=ACTOR)
    with store.unit_of_work() as uow:
        assert uow.fetch_history("o", "offer", "x") == [first, second]
        assert uow.fetch_version("o", "offer", "x", 1) == first
    store.close()


def test_a_failed_split_keeps_the_write_and_the_counts(
    fenced: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offer_catalog.store import sqlite as sqlite_module

    def broken(conn: sqlite3.Connection, size: int | None = None) -> int:
        conn.execute("UPDATE key_fences SET n = n + 100")  # half done, then the split fails
        raise sqlite3.OperationalError("interrupted")

    monkeypatch.setattr(sqlite_module, "_SPLIT_EVERY", 1)
    monkeypatch.setattr(sqlite_module, "split_fences", broken)
    with fenced.unit_of_work(write=True) as uow:
        service.create(uow, scope="b", kind="offer", id="kept", body={"name": "b"}, actor=ACTOR)
    with fenced.unit_of_work() as uow:
        assert uow.fetch("b", "offer", "kept") is not None
    _check_buckets(fenced)
