"""PostgreSQL write path: writers of one scope run in parallel; the scope's change number misses no write."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor
from offer_catalog.errors import AlreadyExists, VersionConflict
from offer_catalog.store import Store, open_store

pytestmark = pytest.mark.postgres

ACTOR = Actor("writer")


def create(store: Store, id: str, scope: str = "s") -> None:
    with store.unit_of_work(write=True) as uow:
        service.create(uow, scope=scope, kind="offer", id=id, body={"n": 0}, actor=ACTOR)


def seq(store: Store, scope: str = "s") -> int:
    with store.unit_of_work() as uow:
        return uow.last_event_seq(scope)


def test_a_writer_of_a_scope_does_not_wait_for_another_open_writer(
    postgres_store: Store, postgres_db: str
) -> None:
    store = open_store(postgres_db, pool_size=3)  # its own connections: one stays in a transaction
    try:
        create(store, "a")
        before = seq(store)
        holding = threading.Event()
        release = threading.Event()

        def slow_writer() -> None:
            with store.unit_of_work(write=True) as uow:
                service.patch(uow, scope="s", kind="offer", id="a", change=lambda b: {"n": 1}, actor=ACTOR)
                holding.set()
                assert release.wait(30)

        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(slow_writer)
            assert holding.wait(10)
            try:
                # With the slow writer's transaction open, another document of the scope is written
                # and committed at once; the change number shows it, and not the uncommitted one.
                done = threading.Thread(target=create, args=(store, "b"))
                done.start()
                done.join(10)
                assert not done.is_alive(), "a writer of the scope waited for another one"
                assert seq(store) == before + 1
            finally:
                release.set()
            slow.result(30)
        assert seq(store) == before + 2
    finally:
        store.close()


def test_the_change_number_counts_every_committed_write_of_parallel_writers(postgres_store: Store) -> None:
    writers, each = 8, 10
    for w in range(writers):
        create(postgres_store, f"d{w}")
    create(postgres_store, "other", scope="elsewhere")
    before = seq(postgres_store)

    def write(w: int) -> None:
        for n in range(1, each + 1):
            with postgres_store.unit_of_work(write=True) as uow:
                service.replace_body(uow, scope="s", kind="offer", id=f"d{w}", body={"n": n}, actor=ACTOR)

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(writers)))
    assert seq(postgres_store) == before + writers * each
    assert seq(postgres_store, "elsewhere") == 1
    with postgres_store.unit_of_work() as uow:
        assert [uow.fetch("s", "offer", f"d{w}").body for w in range(writers)] == [{"n": each}] * writers  # type: ignore[union-attr]
        events = uow.events_after(0, 1000)
    assert len([e for e in events if e.scope == "s"]) == writers * (each + 1)


def test_a_refused_write_changes_nothing(postgres_store: Store) -> None:
    create(postgres_store, "a")
    before = seq(postgres_store)
    with pytest.raises(AlreadyExists), postgres_store.unit_of_work(write=True) as uow:
        service.create(uow, scope="s", kind="offer", id="b", body={}, actor=ACTOR)
        uow.save(service.get(uow, scope="s", kind="offer", id="a"), expected_version=None, change="created")
    with pytest.raises(VersionConflict), postgres_store.unit_of_work(write=True) as uow:
        service.patch(
            uow, scope="s", kind="offer", id="a", change=lambda b: {"n": 9}, actor=ACTOR, expected_version=7
        )
    assert seq(postgres_store) == before
    with postgres_store.unit_of_work() as uow:
        assert uow.fetch("s", "offer", "b") is None
        assert [d.version for d in uow.fetch_history("s", "offer", "a")] == [1]
        assert len(uow.events_after(0, 100)) == 1


def test_one_unit_writes_several_documents_atomically(postgres_store: Store) -> None:
    with postgres_store.unit_of_work(write=True) as uow:
        for i in range(3):
            service.create(uow, scope="s", kind="offer", id=f"m{i}", body={"i": i}, actor=ACTOR)
        service.patch(uow, scope="s", kind="offer", id="m0", change=lambda b: {"i": 10}, actor=ACTOR)
    assert seq(postgres_store) == 4
    with postgres_store.unit_of_work() as uow:
        assert uow.fetch("s", "offer", "m0").version == 2  # type: ignore[union-attr]
        assert [e.id for e in uow.events_after(0, 100)] == ["m0", "m1", "m2", "m0"]
