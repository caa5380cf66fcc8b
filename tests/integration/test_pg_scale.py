"""PostgreSQL at scale: totals from kept counts, sorts and deep pages from indexes, compact history."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from msgspec.structs import replace

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor, Document
from offer_catalog.documents.query import AllOf, AnyOf, Cond, Op, Query, SortKey, body, meta
from offer_catalog.store import Store, open_store, pg_counts, pg_fences, pg_ranges
from offer_catalog.store.base import migration_scripts
from offer_catalog.store.sqlcompile import postgres_value_index_name
from support import postgres

pytestmark = pytest.mark.postgres

ACTOR = Actor("t")
STATUS = ("Active", "Retired", "In design")


def offer(i: int) -> dict[str, Any]:
    return {
        "status": STATUS[i % 3],
        "stamp": f"2025-01-{i % 28 + 1:02d}T00:00:{i % 60:02d}Z",
        "tags": [{"id": f"t{i % 4}"}, {"id": "all"}],
    }


@pytest.fixture
def indexed(postgres_store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    postgres_store.ensure_member_indexes(["status", "stamp"])
    postgres_store.ensure_path_indexes([("tags", "id")])
    monkeypatch.setattr(pg_counts, "THRESHOLD", 3)  # promote a value as soon as 4 documents hold it
    return postgres_store


def offer_docs(numbers: Iterable[int], width: int) -> list[Document]:
    """Version 1 of offers `o<i>` (i zero-padded to `width`) for bulk loading into scope `s`."""
    return [
        Document("s", "offer", f"o{i:0{width}d}", 1, offer(i), "2025", "t", None, "2025", "t", None)
        for i in numbers
    ]


def status(value: str) -> Cond:
    return Cond(body("status", scalar=True), Op.EQ, value)


def tag(value: str) -> Cond:
    return Cond(body("tags", "id"), Op.EQ, value)


FILTERS: list[Any] = [
    None,
    status("Active"),
    AnyOf((status("Active"), status("In design"))),
    tag("t1"),
    tag("all"),
]


def total(store: Store, where: Any) -> int:
    with store.unit_of_work() as uow:
        page = uow.query("s", Query(kinds=("offer",), where=where, limit=0, with_total=True))
    assert page.total is not None
    return page.total


def matches(store: Store, where: Any) -> int:
    with store.unit_of_work() as uow:
        return len(uow.query("s", Query(kinds=("offer",), where=where, with_total=False)).items)


def from_counts(store: Store, where: Any) -> int | None:
    """The total from the kept counts: a declared member's buckets, or a promoted value."""
    query = Query(kinds=("offer",), where=where, limit=0)
    fenced = pg_ranges.bounds(query, {"status", "stamp"})
    count = pg_counts.counted(query, {"status", "stamp"}, {("tags", "id")})
    assert count is not None
    with store.unit_of_work() as uow:
        conn = getattr(uow, "conn")  # noqa: B009 (the unit's connection)
        if fenced is not None:
            assert pg_counts.read(conn, "s", count) is None  # a member's values are never promoted
            return pg_ranges.total(conn, "s", "offer", fenced)
        return pg_counts.read(conn, "s", count)


def assert_exact(store: Store, filters: list[Any], counted: Callable[[Store, Any], int | None]) -> None:
    """For every filter, the total a page reports and the count read by `counted` are the number of
    documents that match it."""
    for where in filters:
        expected = matches(store, where)
        assert counted(store, where) == expected, where
        assert total(store, where) == expected, where


def change(uow: Any, ids: list[str], **members: Any) -> None:
    """Set members of these offers (a patch each)."""
    for id in ids:
        service.patch(uow, scope="s", kind="offer", id=id, change=lambda b: {**b, **members}, actor=ACTOR)


def test_totals_are_read_from_counts_that_writes_keep_exact(indexed: Store) -> None:
    with indexed.unit_of_work(write=True) as uow:
        for i in range(30):
            service.create(uow, scope="s", kind="offer", id=f"o{i:02d}", body=offer(i), actor=ACTOR)
    assert from_counts(indexed, tag("t1")) is None  # not counted before a total passed the threshold
    for where in FILTERS:
        assert total(indexed, where) == matches(indexed, where)
    for where in FILTERS:  # every total passed the threshold: now each is one read of the counts
        assert from_counts(indexed, where) == matches(indexed, where), where
    with indexed.unit_of_work(write=True) as uow:
        change(uow, [f"o{i:02d}" for i in range(0, 30, 4)], status="Active")
        change(uow, [f"o{i:02d}" for i in range(1, 30, 5)], tags=[])
        for i in range(2, 30, 7):
            service.delete(uow, scope="s", kind="offer", id=f"o{i:02d}", actor=ACTOR)
        for i in range(30, 40):
            service.create(uow, scope="s", kind="offer", id=f"o{i:02d}", body=offer(i), actor=ACTOR)
    with pytest.raises(psycopg.errors.DivisionByZero), indexed.unit_of_work(write=True) as uow:
        service.delete(uow, scope="s", kind="offer", id="o03", actor=ACTOR)
        uow.conn.execute("SELECT 1/0")  # type: ignore[attr-defined]  # rolled back: no count changes
    assert_exact(indexed, FILTERS, from_counts)


def test_a_page_of_few_matches_is_counted_without_promoting_its_value(indexed: Store) -> None:
    with indexed.unit_of_work(write=True) as uow:
        for i in range(6):
            service.create(uow, scope="s", kind="offer", id=f"o{i}", body=offer(i), actor=ACTOR)
    assert total(indexed, tag("t1")) == 2
    assert from_counts(indexed, tag("t1")) is None


def test_writers_of_one_kind_do_not_wait_for_each_other_on_its_count(indexed: Store) -> None:
    with indexed.unit_of_work(write=True) as uow:  # the kind's count (and scope's change number) exist
        service.create(uow, scope="s", kind="offer", id="z", body=offer(2), actor=ACTOR)
    first_wrote, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with indexed.unit_of_work(write=True) as uow:
                service.create(uow, scope="s", kind="offer", id="a", body=offer(0), actor=ACTOR)
                first_wrote.set()
                second_done.wait(10)  # hold the count's stripe until the second writer committed
        except BaseException as exc:  # pragma: no cover (reported below)
            errors.append(exc)

    runner = threading.Thread(target=first)
    runner.start()
    assert first_wrote.wait(10)
    with indexed.unit_of_work(write=True) as uow:
        uow.conn.execute("SET LOCAL lock_timeout = '2s'")  # type: ignore[attr-defined]
        service.create(uow, scope="s", kind="offer", id="b", body=offer(1), actor=ACTOR)
    second_done.set()
    runner.join(10)
    assert not errors
    assert total(indexed, None) == 3


def test_a_sort_page_is_read_backwards_from_the_member_index(indexed: Store) -> None:
    docs = offer_docs(range(300), width=3)
    indexed.bulk_load(docs)
    query = Query(kinds=("offer",), sort=(SortKey(body("stamp"), descending=True),), limit=20)
    with indexed.unit_of_work() as uow:
        compiler = uow._compiler()  # type: ignore[attr-defined]
        where, order = compiler.where("s", query), compiler.order_by(query)
        sql = f"EXPLAIN SELECT id FROM documents WHERE {where} ORDER BY {order} LIMIT 20"
        conn: Any = getattr(uow, "conn")  # noqa: B009
        with conn.transaction():
            conn.execute("SET LOCAL enable_seqscan = off")  # a table this small would be scanned
            conn.execute("SET LOCAL enable_bitmapscan = off")
            plan = " ".join(row[0] for row in conn.execute(sql.encode(), compiler.params))
        page = [d.id for d in uow.query("s", query).items]
    assert f"Index Scan Backward using {postgres_value_index_name('stamp')}" in plan
    assert plan.startswith("Limit")
    expected = sorted(docs, key=lambda d: d.body["stamp"], reverse=True)  # stable: ids ascending within
    assert page == [d.id for d in expected[:20]]


@pytest.mark.parametrize(
    ("where", "sort"),
    [
        (None, ()),
        (status("Active"), ()),
        (None, (SortKey(body("stamp"), descending=True),)),
        (tag("all"), (SortKey(meta("id"), descending=True),)),
    ],
)
def test_a_deep_page_is_the_same_slice_as_in_the_full_order(indexed: Store, where: Any, sort: Any) -> None:
    docs = offer_docs(range(3300), width=4)
    indexed.bulk_load(docs)
    with indexed.unit_of_work(write=True) as uow:  # tombstones are skipped by the deep page too
        for i in range(0, 3300, 97):
            service.delete(uow, scope="s", kind="offer", id=f"o{i:04d}", actor=ACTOR)
    with indexed.unit_of_work() as uow:
        every = [d.id for d in uow.query("s", Query(kinds=("offer",), where=where, sort=sort)).items]
        page = uow.query(
            "s", Query(kinds=("offer",), where=where, sort=sort, offset=1010, limit=25, with_total=True)
        )
    assert len(every) > 1035
    assert [d.id for d in page.items] == every[1010:1035]
    assert page.total == len(every)


def history_rows(store: Store, id: str) -> list[tuple[Any, ...]]:
    with store.unit_of_work() as uow:
        conn: Any = getattr(uow, "conn")  # noqa: B009
        return conn.execute(
            "SELECT version, body IS NULL, packed IS NULL FROM document_versions WHERE id = %s "
            "ORDER BY version",
            (id,),
        ).fetchall()


def test_history_keeps_past_versions_only_compressed_and_every_version_readable(
    postgres_store: Store,
) -> None:
    bodies = [{"n": n, "text": "é \U0001f600 " * n} for n in range(4)]
    with postgres_store.unit_of_work(write=True) as uow:
        service.create(uow, scope="s", kind="offer", id="h", body=bodies[0], actor=ACTOR)
    for n in (1, 2):
        with postgres_store.unit_of_work(write=True) as uow:
            service.replace_body(uow, scope="s", kind="offer", id="h", body=bodies[n], actor=ACTOR)
    with postgres_store.unit_of_work(write=True) as uow:  # a save of a version this unit did not read
        current = uow.fetch_version("s", "offer", "h", 3)
        assert current is not None
        uow.save(replace(current, version=4, body=bodies[3]), expected_version=3, change="updated")
    # Read-modify-write packs the replaced version; a blind save lets the server copy it as JSONB.
    assert history_rows(postgres_store, "h") == [(1, True, False), (2, True, False), (3, False, True)]
    with postgres_store.unit_of_work() as uow:
        history = service.history(uow, scope="s", kind="offer", id="h")
        assert [d.body for d in history] == bodies
        assert [d.version for d in history] == [1, 2, 3, 4]
        for n in range(4):
            assert service.get_version(uow, scope="s", kind="offer", id="h", version=n + 1).body == bodies[n]
        assert uow.fetch_version("s", "offer", "h", 5) is None


def test_migration_keeps_every_version_of_existing_documents_readable() -> None:
    admin = postgres.admin_url()
    if admin is None:
        postgres.unavailable("no server answered")
        return
    url = postgres.create_database(admin)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            for version, sql in migration_scripts("postgres"):
                if version < 13:
                    conn.execute(sql.encode())
                    conn.execute("INSERT INTO schema_migrations VALUES (%s, 'then')", (version,))
            # As written before compact history: every version in history, the current one also in documents.
            columns = "scope, kind, id, version, created_at, modified_at, body"
            for table, version in (("document_versions", 1), ("document_versions", 2), ("documents", 2)):
                conn.execute(
                    f"INSERT INTO {table} ({columns}) VALUES ('s', 'offer', 'old', %s, 't', 't', %s)",
                    (version, f'{{"v": {version}}}'),
                )
        store = open_store(url, pool_size=1)
        try:
            assert 13 in store.migrate()
            with store.unit_of_work() as uow:
                assert [d.body for d in service.history(uow, scope="s", kind="offer", id="old")] == [
                    {"v": 1},
                    {"v": 2},
                ]
                page = uow.query("s", Query(kinds=("offer",), limit=0, with_total=True))
            assert page.total == 1
            assert history_rows(store, "old") == [(1, False, True)]
        finally:
            store.close()
    finally:
        postgres.drop_database(admin, url)


def fences(store: Store) -> list[tuple[str, bool]]:
    with store.unit_of_work() as uow:
        conn: Any = getattr(uow, "conn")  # noqa: B009
        return conn.execute(
            "SELECT value, bool_or(stripe = -1) FROM document_counts WHERE key = '#' "
            "GROUP BY value ORDER BY value"
        ).fetchall()


def test_deep_pages_in_id_order_jump_by_fences_that_writes_keep_exact(
    indexed: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg_fences, "SPLIT_AT", 50)
    monkeypatch.setattr(pg_fences, "BUCKET", 100)
    docs = offer_docs(range(0, 6600, 2), width=5)
    indexed.bulk_load(docs)

    def check(offsets: range) -> None:
        with indexed.unit_of_work() as uow:
            every = [d.id for d in uow.query("s", Query(kinds=("offer",), with_total=False)).items]
            for offset in offsets:
                page = uow.query("s", Query(kinds=("offer",), offset=offset, limit=30, with_total=False))
                assert [d.id for d in page.items] == every[offset : offset + 30], offset

    # The load split the one bucket it filled into buckets of 100: the first deep page is as quick.
    assert len(fences(indexed)) == 33
    assert all(complete for value, complete in fences(indexed) if value)
    check(range(1001, 3400, 333))
    with indexed.unit_of_work(write=True) as uow:  # creates between fences, tombstones, a re-creation
        for i in range(1, 6600, 14):
            service.create(uow, scope="s", kind="offer", id=f"o{i:05d}", body=offer(i), actor=ACTOR)
        for i in range(0, 6600, 22):
            service.delete(uow, scope="s", kind="offer", id=f"o{i:05d}", actor=ACTOR)
        service.create(uow, scope="s", kind="offer", id="a-first", body=offer(1), actor=ACTOR)
    check(range(1001, 4000, 271))
    with indexed.unit_of_work() as uow:
        assert uow.query("s", Query(kinds=("offer",), offset=5000, limit=5, with_total=True)).total == len(
            uow.query("s", Query(kinds=("offer",), with_total=False)).items
        )


@contextmanager
def uncommitted_create(store: Store, id: str) -> Iterator[None]:
    """Offer `id` created in a transaction that another thread holds open until the block ends."""
    wrote, finish = threading.Event(), threading.Event()

    def writer() -> None:
        with store.unit_of_work(write=True) as uow:
            service.create(uow, scope="s", kind="offer", id=id, body=offer(0), actor=ACTOR)
            wrote.set()
            finish.wait(10)

    runner = threading.Thread(target=writer)
    runner.start()
    assert wrote.wait(10)
    try:
        yield
    finally:
        finish.set()
        runner.join(10)


def test_a_split_that_cannot_wait_for_a_writer_leaves_pages_exact(
    indexed: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg_fences, "SPLIT_AT", 50)
    monkeypatch.setattr(pg_fences, "BUCKET", 100)
    monkeypatch.setattr(pg_fences, "split_large", lambda conn: 0)  # left to the first deep page
    indexed.bulk_load(offer_docs(range(2500), width=5))
    with (
        uncommitted_create(indexed, "o01500x"),
        indexed.unit_of_work() as uow,  # the split marks its fences, then cannot wait for the writer
    ):
        page = [
            d.id
            for d in uow.query("s", Query(kinds=("offer",), offset=1400, limit=3, with_total=False)).items
        ]
    assert page == ["o01400", "o01401", "o01402"]
    assert fences(indexed)[1:] and not any(complete for value, complete in fences(indexed) if value)
    with indexed.unit_of_work() as uow:
        every = [d.id for d in uow.query("s", Query(kinds=("offer",), with_total=False)).items]
        for offset in (1001, 1499, 1500, 1501, 2400):
            page = [
                d.id
                for d in uow.query(
                    "s", Query(kinds=("offer",), offset=offset, limit=3, with_total=False)
                ).items
            ]
            assert page == every[offset : offset + 3]
    assert all(complete for value, complete in fences(indexed) if value)  # a later split completed them


def test_a_promotion_that_cannot_wait_for_a_writer_counts_the_total_in_full(indexed: Store) -> None:
    with indexed.unit_of_work(write=True) as uow:
        for i in range(12):
            service.create(uow, scope="s", kind="offer", id=f"o{i:02d}", body=offer(i), actor=ACTOR)
    with uncommitted_create(indexed, "late"):
        assert total(indexed, tag("all")) == 12  # the uncommitted write is not seen
        assert from_counts(indexed, tag("all")) is None  # marked, not complete: the lock was not had
    assert total(indexed, tag("all")) == 13
    assert from_counts(indexed, tag("all")) == 13


def stamp(op: Op, value: str) -> Cond:
    return Cond(body("stamp", scalar=True), op, value)


RANGES: list[Any] = [
    stamp(Op.GT, "2025-01-10T00:00:30Z"),
    stamp(Op.GE, "2025-01-10T00:00:30Z"),
    stamp(Op.LT, "2025-01-20T00:00:00Z"),
    stamp(Op.LE, "2025-01-03T00:00:03Z"),
    stamp(Op.GT, ""),
    stamp(Op.GE, "2026"),
    AllOf((stamp(Op.GE, "2025-01-05"), stamp(Op.LT, "2025-01-15"))),
    AllOf((stamp(Op.GT, "2025-01-15"), stamp(Op.LE, "2025-01-05"))),  # empty
    stamp(Op.EQ, "2025-01-07T00:00:06Z"),
    AnyOf((status("Active"), status("Retired"))),
]


def fenced_total(store: Store, where: Any) -> int | None:
    query = Query(kinds=("offer",), where=where, limit=0)
    found = pg_ranges.bounds(query, {"status", "stamp"})
    assert found is not None, where
    with store.unit_of_work() as uow:
        return pg_ranges.total(getattr(uow, "conn"), "s", "offer", found)  # noqa: B009


def test_range_totals_come_from_value_buckets_that_writes_keep_exact(
    indexed: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg_fences, "SPLIT_AT", 50)
    monkeypatch.setattr(pg_fences, "BUCKET", 40)
    docs = offer_docs(range(1500), width=5)
    docs.append(
        Document(
            "s", "offer", "odd", 1, {"stamp": 7, "status": ["Active"]}, "2025", "t", None, "2025", "t", None
        )
    )
    indexed.bulk_load(docs)
    with indexed.unit_of_work() as uow:  # the load split the member's one bucket by its values
        conn: Any = getattr(uow, "conn")  # noqa: B009
        buckets = conn.execute(
            "SELECT value, sum(n), bool_or(stripe = -1) FROM document_counts WHERE key = '<stamp' "
            "GROUP BY value ORDER BY value"
        ).fetchall()
    assert len(buckets) > 20 and all(complete for _, _, complete in buckets)
    assert max(n for _, n, _ in buckets) <= 2 * 40 + 60  # a value (of about 54 documents) is never split
    assert_exact(indexed, RANGES, fenced_total)
    with indexed.unit_of_work(write=True) as uow:  # values move between buckets, tombstones, new ones
        change(uow, [f"o{i:05d}" for i in range(0, 1500, 7)], stamp="2025-01-12T00:00:00Z")
        change(uow, ["o00001"], stamp=None)
        for i in range(3, 1500, 11):
            service.delete(uow, scope="s", kind="offer", id=f"o{i:05d}", actor=ACTOR)
        for i in range(1500, 1600):
            service.create(uow, scope="s", kind="offer", id=f"o{i:05d}", body=offer(i), actor=ACTOR)
    assert_exact(indexed, RANGES, fenced_total)


def test_a_member_fenced_over_existing_documents_counts_them(postgres_store: Store) -> None:
    with postgres_store.unit_of_work(write=True) as uow:
        for i in range(40):
            service.create(uow, scope="s", kind="offer", id=f"o{i:02d}", body=offer(i), actor=ACTOR)
        service.create(uow, scope="t", kind="offer", id="x", body=offer(1), actor=ACTOR)
    postgres_store.ensure_member_indexes(["status", "stamp"])
    for where in RANGES:
        assert fenced_total(postgres_store, where) == matches(postgres_store, where), where
    with postgres_store.unit_of_work() as uow:
        page = uow.query("t", Query(kinds=("offer",), where=stamp(Op.GT, ""), limit=0, with_total=True))
    assert page.total == 1
