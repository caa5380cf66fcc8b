"""Live catalog updates: edits made over the Offer Library API reach every worker's snapshot incrementally.

Each `Caches` stands for one worker process (its own snapshot cache); they share the store, as
workers do. After each edit, every cache catches up from the container's outbox (no full rebuild)
and decides exactly like a snapshot built from scratch.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from dec_support import Catalog, build_catalog, decide, decision_request, make_container, offer, profile
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.decisioning.request import DecisionRequestError
from offer_catalog.decisioning.service import Caches, decide_for
from offer_catalog.decisioning.snapshots import SnapshotCache
from offer_catalog.settings import load_settings
from offer_catalog.store import Store
from offer_catalog.store.sqlite import SqliteStore

NOW = datetime(2030, 5, 1, 12, tzinfo=UTC)
PROFILES = [
    profile("g@x.y", tier="gold"),
    profile("v@x.y", tier="gold", segments=("vip",)),
    profile("kid@x.y", age=12),
]


def _decisions(store: Store, cat: Catalog, caches: Caches) -> list[Any]:
    out = []
    for prof in PROFILES:
        body = decision_request(cat["main"], cat["web"], prof, items=3, dry_run=True)
        result = decide_for(
            store, container_id=cat.container, request_body=body, now=NOW, rng=random.Random(3), caches=caches
        ).result
        out.append(
            [[o["xdm:id"] for o in p.get("xdm:options", [])] for p in result.response["xdm:propositions"]]
        )
    return out


def test_edits_reach_every_worker_incrementally(client: TestClient, store: Store, catalog: Catalog) -> None:
    workers = [Caches(), Caches()]
    before = [_decisions(store, catalog, w) for w in workers]
    assert before[0] == before[1] == _decisions(store, catalog, Caches())
    xc = catalog.xc
    xc.patch_id(catalog["gold"], [{"op": "replace", "path": "/_instance/xdm:rank/xdm:priority", "value": 90}])
    assert xc.delete(xc.instance_ids[catalog["adult"]]).status_code == 200
    both = [catalog["web"], catalog["mail"]]
    new = xc.make_id("personalized-offer", offer("new", both, priority=95, tags=[catalog["t_all"]]))
    for worker in workers:
        after = _decisions(store, catalog, worker)
        assert after == _decisions(store, catalog, Caches())  # a full build decides the same
        assert after[0] == [[new, catalog["gold"]]]  # gold member: the new offer, gold moved up, no adult
        assert after[2] == [[new]]  # a child: only the new offer (adult deleted)
        assert (worker.snapshots.builds, worker.snapshots.updates) == (1, 1)
        entry = worker.snapshots.peek(catalog.container)
        assert entry is not None and entry.updates == 1 and catalog["adult"] not in entry.snapshot.offers


def test_collection_and_activity_edits_are_applied(
    client: TestClient, store: Store, catalog: Catalog
) -> None:
    worker = Caches()
    _decisions(store, catalog, worker)
    xc = catalog.xc
    # The collection now reads the flash tag: the activity proposes `flash` only.
    xc.patch_id(
        catalog["all"], [{"op": "replace", "path": "/_instance/xdm:ids", "value": [catalog["t_flash"]]}]
    )
    assert _decisions(store, catalog, worker) == [[[catalog["flash"]]]] * 3
    assert (
        decide(
            client, catalog.container, decision_request(catalog["main"], catalog["web"], PROFILES[0])
        ).json()["xdm:propositions"][0]["xdm:options"][0]["xdm:id"]
        == catalog["flash"]
    )  # the app's own cache too
    xc.patch_id(catalog["main"], [{"op": "replace", "path": "/_instance/xdm:status", "value": "draft"}])
    with pytest.raises(DecisionRequestError) as caught:
        _decisions(store, catalog, worker)
    assert caught.value.code == "activity_not_live"
    assert (worker.snapshots.builds, worker.snapshots.updates) == (1, 2)


def test_too_many_changes_at_once_fall_back_to_a_full_rebuild(
    client: TestClient, store: Store, catalog: Catalog
) -> None:
    worker = Caches(snapshots=SnapshotCache(max_changes=2))
    _decisions(store, catalog, worker)
    for priority in (1, 2, 3):
        path = "/_instance/xdm:rank/xdm:priority"
        catalog.xc.patch_id(catalog["gold"], [{"op": "replace", "path": path, "value": priority}])
    assert _decisions(store, catalog, worker) == _decisions(store, catalog, Caches())
    assert (worker.snapshots.builds, worker.snapshots.updates) == (2, 0)


def test_concurrent_writers_never_leave_a_snapshot_behind(
    client: TestClient, store: Store, catalog: Catalog
) -> None:
    """Writers in the same container commit in any order; the catching-up cache misses none of them."""
    worker = Caches()
    _decisions(store, catalog, worker)
    names = ["gold", "vip", "adult", "flash"]
    stop = threading.Event()

    def write(name: str) -> None:
        for n in range(6):
            catalog.xc.patch_id(
                catalog[name], [{"op": "replace", "path": "/_instance/xdm:name", "value": f"{name}{n}"}]
            )

    def read() -> None:
        while not stop.is_set():
            worker.snapshots.get(store, catalog.container)

    with ThreadPoolExecutor(6) as pool:
        readers = [pool.submit(read) for _ in range(2)]
        list(pool.map(write, names))
        stop.set()
        for reader in readers:
            reader.result()
    entry = worker.snapshots.get(store, catalog.container)
    for name in names:
        assert entry.snapshot.offers[catalog[name]].body["xdm:name"] == f"{name}5"
    assert worker.snapshots.updates >= 1
    if store.dialect == "sqlite":  # writers are serialised: every update applied incrementally
        assert worker.snapshots.builds == 1
    # PostgreSQL: a write numbered before the cursor but committed after it is caught by the
    # count check and answered with a full rebuild (never a stale snapshot, as checked above).


def test_a_write_committed_behind_the_cursor_is_not_missed(sqlite_store: SqliteStore) -> None:
    """PostgreSQL numbers outbox events at insert, so one can commit after a later-numbered one.

    Reproduced on SQLite by renumbering: the "late" edit of `gold` gets a number below the
    worker's cursor, as if its transaction had taken the number first and committed last.
    """
    store = sqlite_store
    app = create_app(load_settings({"database_url": "sqlite:///unused.db"}, environ={}), store=store)
    with TestClient(app) as client:
        _late_write(client, store)


def _late_write(client: TestClient, store: SqliteStore) -> None:
    catalog = build_catalog(client, make_container(store))
    worker = Caches()
    _decisions(store, catalog, worker)
    make_container(store)  # an event of another scope: the number the late write will take
    with sqlite3.connect(store.path) as conn:
        (gap,) = conn.execute("SELECT max(seq) FROM events").fetchone()
    xc, rank = catalog.xc, "/_instance/xdm:rank/xdm:priority"
    xc.patch_id(catalog["adult"], [{"op": "replace", "path": rank, "value": 41}])
    _decisions(store, catalog, worker)  # the worker's cursor passes the gap
    xc.patch_id(catalog["gold"], [{"op": "replace", "path": "/_instance/xdm:name", "value": "late"}])
    with sqlite3.connect(store.path) as conn:
        (late,) = conn.execute("SELECT max(seq) FROM events").fetchone()
        conn.execute("DELETE FROM events WHERE seq = ?", (gap,))
        conn.execute("UPDATE events SET seq = ? WHERE seq = ?", (gap, late))
    xc.patch_id(catalog["vip"], [{"op": "replace", "path": rank, "value": 61}])  # the version moves on
    entry = worker.snapshots.get(store, catalog.container)
    assert entry.snapshot.offers[catalog["gold"]].body["xdm:name"] == "late"
    assert (worker.snapshots.builds, worker.snapshots.updates) == (2, 1)
