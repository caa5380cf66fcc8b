"""The document repository on both stores: CRUD, versions, history, conflicts, atomicity, outbox."""

from __future__ import annotations

import pytest

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor
from offer_catalog.errors import AlreadyExists, NotFound, VersionConflict
from offer_catalog.store import Store

ALICE = Actor(user="alice", client="app-1")
BOB = Actor(user="bob", client="app-2")


def create(store: Store, body: object, id: str | None = None, kind: str = "offer") -> service.Document:
    with store.unit_of_work(write=True) as uow:
        return service.create(uow, scope="t1", kind=kind, body=body, actor=ALICE, id=id)


def test_create_get_roundtrip_with_audit(store: Store) -> None:
    doc = create(store, {"name": "a", "n": 1, "nested": {"x": [1, 2.5, True, None]}})
    assert doc.version == 1
    assert doc.created_at == doc.modified_at and doc.created_at.endswith("Z") and len(doc.created_at) == 27
    with store.unit_of_work() as uow:
        got = service.get(uow, scope="t1", kind="offer", id=doc.id)
    assert got == doc
    assert (got.created_by, got.created_by_client) == ("alice", "app-1")


def test_given_id_kept_and_duplicate_refused(store: Store) -> None:
    create(store, {"a": 1}, id="OnetimeOffer1210")
    with pytest.raises(AlreadyExists):
        create(store, {"a": 2}, id="OnetimeOffer1210")
    with store.unit_of_work() as uow:
        assert service.get(uow, scope="t1", kind="offer", id="OnetimeOffer1210").body == {"a": 1}


def test_same_id_in_other_kind_or_scope_is_separate(store: Store) -> None:
    create(store, {"a": 1}, id="x")
    create(store, {"a": 2}, id="x", kind="price")
    with store.unit_of_work(write=True) as uow:
        service.create(uow, scope="t2", kind="offer", body={"a": 3}, actor=ALICE, id="x")
    with store.unit_of_work() as uow:
        assert service.get(uow, scope="t1", kind="price", id="x").body == {"a": 2}
        assert service.get(uow, scope="t2", kind="offer", id="x").body == {"a": 3}
        with pytest.raises(NotFound):
            service.get(uow, scope="t3", kind="offer", id="x")


def test_patch_replace_bump_version_and_keep_history(store: Store) -> None:
    doc = create(store, {"status": "draft"})
    with store.unit_of_work(write=True) as uow:
        patched = service.patch(
            uow, scope="t1", kind="offer", id=doc.id, change=lambda b: {**b, "status": "approved"}, actor=BOB
        )
    assert patched.version == 2 and patched.modified_by == "bob" and patched.created_by == "alice"
    assert patched.modified_at > doc.modified_at
    with store.unit_of_work(write=True) as uow:
        replaced = service.replace_body(
            uow,
            scope="t1",
            kind="offer",
            id=doc.id,
            body={"status": "archived"},
            actor=ALICE,
            expected_version=2,
        )
    assert replaced.version == 3
    with store.unit_of_work() as uow:
        versions = service.history(uow, scope="t1", kind="offer", id=doc.id)
        old = service.get_version(uow, scope="t1", kind="offer", id=doc.id, version=1)
        with pytest.raises(NotFound):
            service.get_version(uow, scope="t1", kind="offer", id=doc.id, version=9)
    assert [v.version for v in versions] == [1, 2, 3]
    assert [v.body["status"] for v in versions] == ["draft", "approved", "archived"]
    assert old.body == {"status": "draft"}


def test_stale_expected_version_conflicts_and_changes_nothing(store: Store) -> None:
    doc = create(store, {"n": 1})
    with store.unit_of_work(write=True) as uow:
        service.patch(uow, scope="t1", kind="offer", id=doc.id, change=lambda b: {"n": 2}, actor=ALICE)
    with pytest.raises(VersionConflict) as info, store.unit_of_work(write=True) as uow:
        service.patch(
            uow,
            scope="t1",
            kind="offer",
            id=doc.id,
            change=lambda b: {"n": 3},
            actor=ALICE,
            expected_version=1,
        )
    assert info.value.code == "version_conflict"
    for op in ("replace", "delete"):
        with pytest.raises(VersionConflict), store.unit_of_work(write=True) as uow:
            if op == "replace":
                service.replace_body(
                    uow, scope="t1", kind="offer", id=doc.id, body={}, actor=ALICE, expected_version=1
                )
            else:
                service.delete(uow, scope="t1", kind="offer", id=doc.id, actor=ALICE, expected_version=1)
    with store.unit_of_work() as uow:
        now = service.get(uow, scope="t1", kind="offer", id=doc.id)
        assert (now.version, now.body) == (2, {"n": 2})
        assert len(service.history(uow, scope="t1", kind="offer", id=doc.id)) == 2
        assert len(uow.events_after(0, 100)) == 2


def test_failing_patch_function_changes_nothing(store: Store) -> None:
    doc = create(store, {"n": 1})

    def boom(body: object) -> object:
        raise ValueError("bad patch")

    with pytest.raises(ValueError), store.unit_of_work(write=True) as uow:
        service.patch(uow, scope="t1", kind="offer", id=doc.id, change=boom, actor=ALICE)
    with store.unit_of_work() as uow:
        assert service.get(uow, scope="t1", kind="offer", id=doc.id) == doc
        assert len(uow.events_after(0, 100)) == 1


def test_error_after_write_in_same_unit_rolls_back(store: Store) -> None:
    doc = create(store, {"n": 1})
    with pytest.raises(RuntimeError), store.unit_of_work(write=True) as uow:
        service.patch(uow, scope="t1", kind="offer", id=doc.id, change=lambda b: {"n": 2}, actor=ALICE)
        raise RuntimeError("validation failed later in the request")
    with store.unit_of_work() as uow:
        assert service.get(uow, scope="t1", kind="offer", id=doc.id).version == 1
        assert [e.version for e in uow.events_after(0, 100)] == [1]


def test_delete_leaves_tombstone_history_and_allows_recreate(store: Store) -> None:
    doc = create(store, {"n": 1}, id="d1")
    with store.unit_of_work(write=True) as uow:
        tomb = service.delete(uow, scope="t1", kind="offer", id="d1", actor=BOB)
    assert tomb.deleted and tomb.version == 2
    with store.unit_of_work() as uow:
        with pytest.raises(NotFound):
            service.get(uow, scope="t1", kind="offer", id="d1")
        versions = service.history(uow, scope="t1", kind="offer", id="d1")
    assert [(v.version, v.deleted) for v in versions] == [(1, False), (2, True)]
    with pytest.raises(NotFound), store.unit_of_work(write=True) as uow:
        service.delete(uow, scope="t1", kind="offer", id="d1", actor=BOB)
    again = create(store, {"n": 5}, id="d1")
    assert again.version == 3 and not again.deleted
    assert doc.id == again.id


def test_outbox_records_every_write_in_order(store: Store) -> None:
    doc = create(store, {"n": 1})
    with store.unit_of_work(write=True) as uow:
        service.patch(uow, scope="t1", kind="offer", id=doc.id, change=lambda b: {"n": 2}, actor=ALICE)
        service.delete(uow, scope="t1", kind="offer", id=doc.id, actor=ALICE)
    with store.unit_of_work() as uow:
        events = uow.events_after(0, 10)
        later = uow.events_after(events[0].seq, 10)
    assert [(e.id, e.version, e.change) for e in events] == [
        (doc.id, 1, "created"),
        (doc.id, 2, "updated"),
        (doc.id, 3, "deleted"),
    ]
    assert [e.version for e in later] == [2, 3]


def test_get_without_kind_finds_any_kind(store: Store) -> None:
    doc = create(store, {"n": 1}, kind="fallback-offer")
    with store.unit_of_work() as uow:
        assert service.get(uow, scope="t1", kind=None, id=doc.id).kind == "fallback-offer"


def test_counters_never_pass_their_limit(store: Store) -> None:
    with store.unit_of_work(write=True) as uow:
        results = [uow.increment_counter("cap:o1", 3) for _ in range(5)]
        assert uow.increment_counter("free", None)
        assert not uow.increment_counter("zero", 0)
        assert uow.increment_counter("by-two", 5, amount=2)
        assert uow.increment_counter("by-two", 5, amount=3)
        assert not uow.increment_counter("by-two", 5, amount=1)
        assert not uow.increment_counter("too-big", 2, amount=3)
    assert results == [True, True, True, False, False]
    with store.unit_of_work() as uow:
        assert uow.read_counters(["cap:o1", "free", "missing", "by-two"]) == {
            "cap:o1": 3,
            "free": 1,
            "by-two": 5,
        }
        assert uow.read_counters([]) == {}


def test_last_event_seq_grows_with_each_write_of_its_scope(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.last_event_seq("t1") == 0
    doc = create(store, {"n": 1})
    with store.unit_of_work() as uow:
        first = uow.last_event_seq("t1")
    with store.unit_of_work(write=True) as uow:
        service.create(uow, scope="other", kind="offer", body={}, actor=ALICE)
    with store.unit_of_work() as uow:
        assert first > 0 and uow.last_event_seq("t1") == first and uow.last_event_seq("other") > 0
    with store.unit_of_work(write=True) as uow:
        service.delete(uow, scope="t1", kind="offer", id=doc.id, actor=ALICE)
    with store.unit_of_work() as uow:
        after_delete = uow.last_event_seq("t1")
        assert after_delete > first
    with pytest.raises(NotFound), store.unit_of_work(write=True) as uow:
        service.create(uow, scope="t1", kind="offer", body={}, actor=ALICE)
        service.patch(uow, scope="t1", kind="offer", id=doc.id, change=dict, actor=ALICE)
    with store.unit_of_work() as uow:
        assert uow.last_event_seq("t1") == after_delete, "a rolled-back write does not count"


@pytest.mark.postgres
def test_first_use_from_many_threads_opens_one_pool(postgres_db: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from offer_catalog.store import open_store

    fresh = open_store(postgres_db, pool_size=4)
    try:

        def read(_: int) -> int:
            with fresh.unit_of_work() as uow:
                return uow.last_event_seq("nowhere")

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(read, range(16))) == [0] * 16
    finally:
        fresh.close()


def test_a_locked_read_holds_off_a_writer_until_commit(store: Store) -> None:
    import threading
    import time

    from offer_catalog.documents.query import Cond, Op, Query, meta

    target = create(store, {"@id": "xcore:tag:1"}, id="referenced")
    order: list[str] = []
    reading = threading.Event()

    def referencing_write() -> None:
        with store.unit_of_work(write=True) as uow:
            query = Query(where=Cond(meta("at_id"), Op.IN, ["xcore:tag:1"]), with_total=False, lock=True)
            assert [d.id for d in service.list_documents(uow, scope="t1", query=query).items] == [target.id]
            reading.set()
            time.sleep(0.3)
            service.create(
                uow, scope="t1", kind="offer", body={"tag": "xcore:tag:1"}, actor=ALICE, id="referrer"
            )
            order.append("referrer committed")

    writer = threading.Thread(target=referencing_write)
    writer.start()
    assert reading.wait(10)
    with store.unit_of_work(write=True) as uow:
        uow.lock("t1", "offer", target.id)
        order.append("delete locked")
        referrer_seen = uow.fetch("t1", "offer", "referrer") is not None
    writer.join(10)
    assert order == ["referrer committed", "delete locked"]
    assert referrer_seen
