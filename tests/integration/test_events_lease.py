"""One relay per database: an exclusive lease, a dead holder replaced, two workers never both deliver."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from test_events_tmf620 import subscribe

from offer_catalog.events.relay import relay_once, take_lease
from offer_catalog.events.runner import run_events
from offer_catalog.store import Store, open_store
from offer_catalog.tmf620 import service
from offer_catalog.tmf620.resources import RESOURCES, SCOPE
from support.receiver import hub_settings, receiver_on
from support.server import free_port

OFFERING = RESOURCES["productOffering"]


@contextmanager
def running_events(store: Store, holder: str) -> Iterator[None]:
    """run_events for one holder in its own thread and event loop, until the block ends."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        await run_events(store, hub_settings(hub_lease_ms=5000), stop, holder=holder)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()


def write_offerings(store: Store, prefix: str, count: int) -> None:
    """Create offerings through the TMF620 service, one unit of work each."""
    for n in range(count):
        with store.unit_of_work(write=True) as uow:
            service.create(uow, scope=SCOPE, resource=OFFERING, body={"id": f"{prefix}-{n}", "name": "x"})


def test_the_lease_is_exclusive_until_it_expires(store: Store) -> None:
    assert take_lease(store, holder="a", ttl=0.3)
    assert not take_lease(store, holder="b", ttl=0.3)
    assert relay_once(store, holder="b", ttl=0.3) is None
    assert take_lease(store, holder="a", ttl=0.3)  # renewal
    deadline = time.monotonic() + 10
    while not take_lease(store, holder="b", ttl=30):
        assert time.monotonic() < deadline, "the expired lease was never taken over"
        time.sleep(0.05)
    assert not take_lease(store, holder="a", ttl=0.3)
    assert relay_once(store, holder="b", ttl=30) == 0


def test_a_new_holder_takes_over_from_a_dead_one_and_delivers_everything(store: Store) -> None:
    with receiver_on(free_port()) as receiver:
        subscribe(store, receiver.url)
        assert take_lease(store, holder="died-holding-it", ttl=1.0)
        write_offerings(store, "po", 20)
        with running_events(store, "successor"):
            bodies = receiver.wait_for(lambda got: len(got) >= 20)
            assert not take_lease(store, holder="died-holding-it", ttl=1.0)
    assert len({b["eventId"] for b in bodies}) == 20 == len(bodies)
    # A holder that stops gives the lease up: the next one starts at once.
    assert take_lease(store, holder="next", ttl=1.0)


@pytest.mark.postgres
def test_two_workers_on_one_postgres_database_never_both_deliver(postgres_store: Store) -> None:
    url = getattr(postgres_store, "url")  # noqa: B009 - the PostgreSQL store keeps its URL
    first, second = open_store(url, pool_size=3), open_store(url, pool_size=3)
    try:
        with receiver_on(free_port()) as receiver:
            subscribe(postgres_store, receiver.url)
            with running_events(first, "worker-1"), running_events(second, "worker-2"):
                writers = [
                    threading.Thread(target=write_offerings, args=(postgres_store, f"w{i}", 100))
                    for i in range(3)
                ]
                for writer in writers:
                    writer.start()
                for writer in writers:
                    writer.join()
                bodies = receiver.wait_for(lambda got: len(got) >= 300, timeout=60)
                time.sleep(0.5)  # a duplicate would arrive now; none may
        ids = [b["eventId"] for b in receiver.bodies()]
        assert len(ids) == 300 == len(set(ids)) == len(bodies)
    finally:
        first.close()
        second.close()
