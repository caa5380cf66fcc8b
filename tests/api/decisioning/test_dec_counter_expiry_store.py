"""The store's conditional increment with expiry (SQLite and PostgreSQL): an expired counter restarts."""

from __future__ import annotations

from offer_catalog.store import Store

JAN = "2030-01-31T00:00:00.000000Z"
FEB = "2030-02-15T00:00:00.000000Z"


def _add(store: Store, amount: int, limit: int | None, expires: str | None, now: str) -> bool:
    with store.unit_of_work(write=True) as uow:
        return uow.increment_counter("k", limit, amount, expires=expires, now=now)


def _read(store: Store, now: str | None) -> int:
    with store.unit_of_work() as uow:
        return uow.read_counters(["k"], now).get("k", 0)


def test_an_expired_counter_reads_zero_and_restarts_within_the_limit(store: Store) -> None:
    assert _add(store, 2, 2, JAN, "2030-01-05T00:00:00.000000Z")
    assert not _add(store, 1, 2, JAN, "2030-01-06T00:00:00.000000Z")  # cap met
    assert _read(store, "2030-01-31T00:00:00.000000Z") == 2  # the end date is inclusive
    assert _read(store, "2030-02-01T00:00:00.000000Z") == 0
    assert _read(store, None) == 2  # without an instant: the stored value
    assert not _add(store, 3, 2, FEB, "2030-02-01T00:00:00.000000Z")  # amount alone over the limit
    assert _add(store, 2, 2, FEB, "2030-02-01T00:00:00.000000Z")  # restarted from 0
    assert not _add(store, 1, 2, FEB, "2030-02-02T00:00:00.000000Z")
    assert _read(store, "2030-02-10T00:00:00.000000Z") == 2


def test_a_counting_decision_renews_the_expiry(store: Store) -> None:
    assert _add(store, 1, 2, JAN, "2030-01-05T00:00:00.000000Z")
    assert _add(store, 1, 2, FEB, "2030-01-20T00:00:00.000000Z")  # after the end moved
    assert _read(store, "2030-02-01T00:00:00.000000Z") == 2
    assert not _add(store, 1, 2, FEB, "2030-02-01T00:00:00.000000Z")
    with store.unit_of_work(write=True) as uow:  # taking back keeps the expiry
        assert uow.increment_counter("k", None, -1)
    assert _read(store, "2030-02-01T00:00:00.000000Z") == 1
    assert _read(store, "2030-02-16T00:00:00.000000Z") == 0
