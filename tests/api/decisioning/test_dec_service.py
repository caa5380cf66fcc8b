"""The decision service below HTTP: snapshot cache refresh, all-or-none counters, group commit, retries."""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from dec_support import Catalog, build_catalog, decide, decision_request, make_container, profile
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.decisioning.capping import CounterIncrement, counter_key, lifetime_of
from offer_catalog.decisioning.commits import CounterWrite
from offer_catalog.decisioning.decision_log import DecisionLog
from offer_catalog.decisioning.service import (
    MAX_ATTEMPTS,
    Caches,
    CappingContention,
    CounterWriter,
    apply_increments,
    decide_for,
)
from offer_catalog.settings import load_settings
from offer_catalog.store import Store
from offer_catalog.store.base import UnitOfWork
from offer_catalog.store.decision_log import DecisionItem

NOW = datetime(2030, 5, 1, 12, tzinfo=UTC)
# The catalog's offers start on 2020-01-01: their never-resetting caps count in the 2-year block
# holding NOW (capping counters restart 2 years after the offer's start date).
LIFETIME = lifetime_of("2020-01-01", NOW.date())


def _decide(store: Store, cat: Catalog, body: dict[str, Any], caches: Caches, **kw: Any) -> Any:
    return decide_for(
        store,
        container_id=cat.container,
        request_body=body,
        now=NOW,
        rng=random.Random(1),
        caches=caches,
        **kw,
    )


def _read(store: Store, *keys: str) -> dict[str, int]:
    with store.unit_of_work() as uow:
        return uow.read_counters(list(keys))


def test_increments_apply_all_or_none(store: Store) -> None:
    with store.unit_of_work(write=True) as uow:
        assert apply_increments(uow, [CounterIncrement("b", 1, 1, "o")]) is None
        refused = apply_increments(uow, [CounterIncrement("a", 2, 5, "o"), CounterIncrement("b", 1, 1, "o")])
    assert refused == {"a": 0, "b": 1}
    assert _read(store, "a", "b") == {"a": 0, "b": 1}


def test_the_writer_never_passes_a_limit_under_threads(store: Store) -> None:
    writer = CounterWriter()
    store.ping()  # opens a PostgreSQL pool before the threads share it
    increments = [CounterIncrement("hot", 1, 10, "o"), CounterIncrement("cold", 1, 1000, "o")]
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: writer.apply(store, CounterWrite(increments)), range(60)))
    assert sum(r is None for r in results) == 10
    assert all(r["hot"] == 10 for r in results if r is not None)
    assert _read(store, "hot", "cold") == {"hot": 10, "cold": 10}


def test_queued_log_rows_are_durable_once_a_counter_commit_is_acknowledged(store: Store) -> None:
    """Rows of decisions that drew no counter ride in the next counter commit (no wait for the flush)."""
    log = DecisionLog(secret="k")
    queued = [_item("p-queued", rank) for rank in (1, 0)]
    log.deferred.add(store, queued)
    capped = [_item("p-capped", 1)]
    assert (
        CounterWriter().apply(
            store, CounterWrite([CounterIncrement("k1", 1, 5, "o")], capped, None, log.deferred)
        )
        is None
    )
    with store.unit_of_work() as uow:
        rows = uow.decision_items(["p-queued", "p-capped"])
    assert sorted((r.proposition_id, r.rank) for r in rows) == [
        ("p-capped", 1),
        ("p-queued", 0),
        ("p-queued", 1),
    ]
    assert _read(store, "k1") == {"k1": 1}


def test_a_refused_set_logs_nothing_but_the_queued_rows_still_land(store: Store) -> None:
    writer, log = CounterWriter(), DecisionLog(secret="k")
    assert writer.apply(store, CounterWrite([CounterIncrement("k2", 2, 2, "o")])) is None
    log.deferred.add(store, [_item("p-queued", 1)])
    refused = writer.apply(
        store, CounterWrite([CounterIncrement("k2", 1, 2, "o")], [_item("p-refused", 1)], None, log.deferred)
    )
    assert refused == {"k2": 2}
    with store.unit_of_work() as uow:
        assert [r.proposition_id for r in uow.decision_items(["p-queued", "p-refused"])] == ["p-queued"]


def _item(proposition: str, rank: int) -> DecisionItem:
    return DecisionItem(
        proposition, "scope-1", "2030-05-01T12:00:00.000000Z", "pk", 1, "act", "pl", "offer", rank, None
    )


def test_concurrent_first_decisions_build_the_snapshot_once(store: Store, catalog: Catalog) -> None:
    caches = Caches()
    body = decision_request(catalog["main"], catalog["web"], profile("a@x.y", tier="gold"))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: _decide(store, catalog, body, caches), range(16)))
    assert caches.snapshots.builds == 1
    entry = caches.snapshots.peek(catalog.container)
    assert entry is not None and entry.seq > 0
    _decide(store, catalog, body, caches)
    assert caches.snapshots.builds == 1
    catalog.xc.patch_id(catalog["gold"], [{"op": "replace", "path": "/_instance/xdm:name", "value": "Gold"}])
    _decide(store, catalog, body, caches)
    _decide(store, catalog, body, caches)
    # The edit reached the snapshot as one incremental update, not a second full build.
    assert (caches.snapshots.builds, caches.snapshots.updates) == (1, 1)
    updated = caches.snapshots.peek(catalog.container)
    assert updated is not None and updated.seq > entry.seq and updated.updates == 1
    assert updated.snapshot.offers[catalog["gold"]].body["xdm:name"] == "Gold"


def test_a_stale_lower_bound_is_corrected_by_the_write(store: Store, catalog: Catalog) -> None:
    """Another process (own caches) drew the global cap down: the refused write re-reads, decides again."""
    key = counter_key(catalog["flash"], "global", None, LIFETIME)
    body = decision_request(catalog["flash_activity"], catalog["web"], profile("a@x.y"))
    elsewhere = Caches()
    for _ in range(10):
        _decide(store, catalog, body, elsewhere)
    here = Caches()
    decision = _decide(store, catalog, body, here)
    assert decision.attempts == 2
    assert "xdm:fallback" in decision.result.response["xdm:propositions"][0]
    assert here.counters.get(key) == 10
    assert _decide(store, catalog, body, here).attempts == 1  # now known exhausted: no write at all


def test_two_profiles_of_one_identity_share_a_cap(store: Store, catalog: Catalog) -> None:
    caches = Caches()
    one = decision_request(catalog["flash_activity"], catalog["web"], profile("a@x.y"))
    for _ in range(8):
        _decide(store, catalog, one, Caches())  # 8 of 10 taken elsewhere
    both = decision_request(catalog["flash_activity"], catalog["web"], profile("b@x.y"))
    both["xdm:profiles"] += [profile("c@x.y"), profile("d@x.y")]
    decision = _decide(store, catalog, both, caches)  # wants 3, 2 left: refused once, then 2 + fallback
    kinds = ["xdm:options" in r["xdm:propositions"][0] for r in decision.result.responses]
    assert kinds == [True, True, False] and decision.attempts == 2
    assert _read(store, counter_key(catalog["flash"], "global", None, LIFETIME)) == {
        counter_key(catalog["flash"], "global", None, LIFETIME): 10
    }


class _RefusingUnit:
    """A unit whose conditional increments always find the cap taken (a stand-in for endless contention)."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def increment_counter(self, key: str, limit: int | None, amount: int = 1) -> bool:
        return False if limit is not None else self._uow.increment_counter(key, limit, amount)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)


class _RefusingStore:
    def __init__(self, store: Store):
        self._store = store
        self.dialect = store.dialect

    @contextmanager
    def unit_of_work(self, *, write: bool = False) -> Iterator[Any]:
        with self._store.unit_of_work(write=write) as uow:
            yield _RefusingUnit(uow) if write else uow

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_endless_contention_fails_without_counting(store: Store, catalog: Catalog) -> None:
    body = decision_request(catalog["flash_activity"], catalog["web"], profile("a@x.y"))
    with pytest.raises(CappingContention) as caught:
        _decide(_RefusingStore(store), catalog, body, Caches())  # type: ignore[arg-type]
    assert caught.value.code == "capping_contention" and caught.value.details["attempts"] == MAX_ATTEMPTS
    assert _read(store, counter_key(catalog["flash"], "global", None, LIFETIME)) == {}


def test_endless_contention_is_a_503_over_http(store: Store) -> None:
    settings = load_settings({"database_url": "sqlite:///unused.db"}, environ={})
    app = create_app(settings, store=_RefusingStore(store))  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as client:
        catalog = build_catalog(client, make_container(store))
        body = decision_request(catalog["flash_activity"], catalog["web"], profile("a@x.y"))
        response = decide(client, catalog.container, body)
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.json()["code"] == "capping_contention"


def test_a_dry_run_reads_the_true_counts(store: Store, catalog: Catalog) -> None:
    kid = decision_request(catalog["main"], catalog["web"], profile("kid@x.y", age=10, segments=("vip",)))
    for _ in range(2):
        _decide(store, catalog, kid, Caches())
    dry = Caches()
    decision = _decide(store, catalog, {**kid, "xdm:dryRun": True}, dry)
    assert "xdm:fallback" in decision.result.response["xdm:propositions"][0]
    assert decision.result.increments == () and decision.result.dry_run
