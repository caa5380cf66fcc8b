"""SQLite writes: group commit (units share commits, all-or-none, on disk when acknowledged), bulk load."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import orjson
import pytest

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor, Document
from offer_catalog.documents.query import Cond, Op, Query, body
from offer_catalog.errors import AlreadyExists
from offer_catalog.store.sqlite import SqliteStore

ACTOR = Actor("writer")
WRITERS = 12


class Refused(Exception):
    """A unit of work that gives up after writing."""


@pytest.fixture()
def sqlite_store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(str(tmp_path / "group.db"))
    store.migrate()
    return store


def _committed_ids(path: str) -> set[str]:
    # A connection of its own: it sees only what was committed.
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM documents WHERE scope = 'g'")}


def _wait_for_queue(store: SqliteStore, count: int) -> None:
    deadline = time.monotonic() + 10
    while store._commits.queued() < count and time.monotonic() < deadline:
        time.sleep(0.001)


def test_a_failed_unit_in_a_batch_does_not_fail_the_others(sqlite_store: SqliteStore) -> None:
    results: dict[int, str] = {}

    def write(i: int) -> None:
        try:
            with sqlite_store.unit_of_work(write=True) as uow:
                service.create(uow, scope="g", kind="offer", id=f"o{i}", body={"i": i}, actor=ACTOR)
                if i % 3 == 1:
                    raise Refused
            results[i] = "ok"
        except Refused:
            results[i] = "refused"

    threads = [threading.Thread(target=write, args=(i,)) for i in range(1, WRITERS)]
    # The first unit holds the write lock until every other writer queues behind it: one batch.
    with sqlite_store.unit_of_work(write=True) as uow:
        service.create(uow, scope="g", kind="offer", id="o0", body={"i": 0}, actor=ACTOR)
        for thread in threads:
            thread.start()
        _wait_for_queue(sqlite_store, WRITERS - 1)
    for thread in threads:
        thread.join(timeout=30)
    assert all(results[i] == ("refused" if i % 3 == 1 else "ok") for i in range(1, WRITERS))
    expected = {f"o{i}" for i in range(WRITERS) if i % 3 != 1}
    assert _committed_ids(sqlite_store.path) == expected
    with sqlite_store.unit_of_work() as uow:
        events = uow.events_after(0, 100)
    assert sorted(e.id for e in events) == sorted(expected)


def test_every_acknowledged_write_is_committed_when_its_unit_returns(sqlite_store: SqliteStore) -> None:
    missing: list[str] = []

    def write(worker: int) -> None:
        for n in range(15):
            doc_id = f"w{worker}-{n}"
            with sqlite_store.unit_of_work(write=True) as uow:
                service.create(uow, scope="g", kind="offer", id=doc_id, body={"n": n}, actor=ACTOR)
            if doc_id not in _committed_ids(sqlite_store.path):
                missing.append(doc_id)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert missing == []
    assert len(_committed_ids(sqlite_store.path)) == 8 * 15


def test_concurrent_patches_on_one_document_all_apply(sqlite_store: SqliteStore) -> None:
    with sqlite_store.unit_of_work(write=True) as uow:
        service.create(uow, scope="g", kind="offer", id="one", body={"seen": []}, actor=ACTOR)

    def add(i: int) -> None:
        with sqlite_store.unit_of_work(write=True) as uow:
            service.patch(
                uow,
                scope="g",
                kind="offer",
                id="one",
                change=lambda body: {"seen": [*body["seen"], i]},
                actor=ACTOR,
            )

    threads = [threading.Thread(target=add, args=(i,)) for i in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with sqlite_store.unit_of_work() as uow:
        doc = service.get(uow, scope="g", kind="offer", id="one")
        history = service.history(uow, scope="g", kind="offer", id="one")
    assert sorted(doc.body["seen"]) == list(range(32))
    assert doc.version == 33
    assert [d.version for d in history] == list(range(1, 34))


def test_bulk_load_writes_documents_history_events_and_path_values(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "bulk.db"))
    store.migrate()
    store.ensure_path_indexes([("category", "id")])
    docs = [
        Document(
            "b", "offer", f"b{i}", 1, {"category": [{"id": f"c{i % 3}"}]}, "t", "u", None, "t", "u", None
        )
        for i in range(25)
    ]
    assert store.bulk_load(docs, batch=10) == 25
    with pytest.raises(AlreadyExists):
        store.bulk_load([docs[0]])
    query = Query(kinds=("offer",), where=Cond(body("category", "id"), Op.EQ, "c1"))
    with store.unit_of_work() as uow:
        assert service.get(uow, scope="b", kind="offer", id="b7").body == docs[7].body
        assert [d.version for d in service.history(uow, scope="b", kind="offer", id="b7")] == [1]
        assert len(uow.events_after(0, 100)) == 25
        found = service.list_documents(uow, scope="b", query=query)
    assert sorted(d.id for d in found.items) == sorted(f"b{i}" for i in range(25) if i % 3 == 1)


def test_history_is_stored_compressed_and_every_version_reads_back(sqlite_store: SqliteStore) -> None:
    bodies = [{"name": f"v{n}", "text": "a long repeated description " * 20} for n in range(3)]
    with sqlite_store.unit_of_work(write=True) as uow:
        service.create(uow, scope="g", kind="offer", id="h", body=bodies[0], actor=ACTOR)
    for body_ in bodies[1:]:
        with sqlite_store.unit_of_work(write=True) as uow:
            service.replace_body(uow, scope="g", kind="offer", id="h", body=body_, actor=ACTOR)
    with sqlite3.connect(sqlite_store.path) as conn:
        stored = conn.execute("SELECT body FROM document_versions WHERE id = 'h' ORDER BY version").fetchall()
        assert all(type(b) is bytes and len(b) < len(orjson.dumps(bodies[0])) for (b,) in stored)
        # A row written before compact history (JSON text) stays readable.
        conn.execute(
            "UPDATE document_versions SET body = ? WHERE id = 'h' AND version = 1",
            (orjson.dumps(bodies[0]).decode(),),
        )
    with sqlite_store.unit_of_work() as uow:
        history = service.history(uow, scope="g", kind="offer", id="h")
        second = service.get_version(uow, scope="g", kind="offer", id="h", version=2)
    assert [d.body for d in history] == bodies
    assert second.body == bodies[1]
