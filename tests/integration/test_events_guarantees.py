"""Delivery guarantees under failure: a receiver down during 1,000 writes, `kill -9` of the service while
it delivers, two worker processes on one PostgreSQL database.

A receiver is down for 30 s while 1,000 writes happen, at the production first retry (1 s, doubling);
the longest wait between attempts is cut from the production 300 s to 10 s so the test ends within
seconds of the receiver's return.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_events_delivery import app_client
from test_events_tmf620 import subscribe
from test_transfer import url_of

from offer_catalog.store import Store
from offer_catalog.tmf620.resources import STANDARD_BASE
from support.receiver import Received, Receiver, serving
from support.server import free_port, running_server

PO = f"{STANDARD_BASE}productOffering"
KILLED, WORKED = 150, 200
SERVER_ENV = {
    "OFFER_CATALOG_HUB_ALLOW_PRIVATE_TARGETS": "true",
    "OFFER_CATALOG_HUB_POLL_MS": "20",
    "OFFER_CATALOG_HUB_BACKOFF_MS": "50",
    "OFFER_CATALOG_HUB_BACKOFF_MAX_MS": "500",
    "OFFER_CATALOG_HUB_MAX_ATTEMPTS": "10000",
    "OFFER_CATALOG_HUB_TIMEOUT_MS": "2000",
    "OFFER_CATALOG_HUB_LEASE_MS": "1000",
}


def distinct(receiver: Receiver) -> set[str]:
    """The eventIds received (answered 2xx) so far."""
    return {body["eventId"] for body in receiver.bodies()}


def test_a_receiver_down_during_1000_writes_gets_all_of_them_when_back(sqlite_store: Store) -> None:
    # One store: the delivery path is the same SQL on both (the PostgreSQL tests below cover that side).
    store = sqlite_store
    receiver = Receiver(free_port())  # not serving: connections are refused
    subscribe(store, receiver.url)
    down_since = time.monotonic()
    with app_client(store, hub_max_attempts=10_000, hub_backoff_ms=1000, hub_backoff_max_ms=10_000) as client:
        for n in range(500):
            assert client.post(PO, json={"id": f"d-{n}", "name": "v1"}).status_code == 201
            assert client.patch(f"{PO}/d-{n}", json={"name": "v2"}).status_code == 200
        time.sleep(max(0.0, down_since + 30 - time.monotonic()))
        with serving(receiver):
            bodies = receiver.wait_for(lambda got: len({b["eventId"] for b in got}) >= 1000, timeout=90)
    assert len({b["eventId"] for b in bodies}) == 1000
    by_offering: dict[str, list[str]] = {}
    for body in bodies:
        by_offering.setdefault(body["event"]["productOffering"]["id"], []).append(body["eventType"])
    for types in by_offering.values():  # in write order per resource (a retry may repeat one)
        assert types[0] == "ProductOfferingCreateEvent" and types[-1].endswith("AttributeValueChangeEvent")


@pytest.fixture
def slow_receiver() -> Iterator[Receiver]:
    """A receiver taking 10 ms per request: deliveries are in flight most of the time."""
    receiver = Receiver(free_port(), delay=0.01)
    with serving(receiver):
        yield receiver


def test_kill_9_during_delivery_loses_no_event(store: Store, slow_receiver: Receiver, tmp_path: Path) -> None:
    subscribe(store, slow_receiver.url)
    url = url_of(store)
    port = free_port()
    with running_server(url, port=port, env=SERVER_ENV) as (base, proc), httpx.Client(timeout=10) as http:
        for n in range(KILLED):
            assert http.post(f"{base}{PO}", json={"id": f"k-{n}", "name": "x"}).status_code == 201
        slow_receiver.wait_for(lambda got: len(got) >= 20, timeout=60)
        proc.kill()  # SIGKILL: no shutdown, no lease released, a delivery batch claimed mid-way
        proc.wait()
    assert len(distinct(slow_receiver)) < KILLED, "everything was delivered before the kill: no test"
    with running_server(url, port=port, env=SERVER_ENV):
        slow_receiver.wait_for(lambda got: len({b["eventId"] for b in got}) >= KILLED, timeout=60)
    assert len(distinct(slow_receiver)) == KILLED


def overlapping(got: list[Received]) -> list[str]:
    """eventIds delivered twice with the two requests in flight at the same time."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for item in got:
        spans.setdefault(item.body["eventId"], []).append((item.started, item.ended))
    found = []
    for event_id, times in spans.items():
        times.sort()
        if any(later[0] < earlier[1] for earlier, later in itertools.pairwise(times)):
            found.append(event_id)
    return found


@pytest.mark.postgres
def test_two_workers_on_postgres_never_deliver_one_event_concurrently(
    postgres_store: Store, slow_receiver: Receiver
) -> None:
    subscribe(postgres_store, slow_receiver.url)
    url = url_of(postgres_store)
    with (
        running_server(url, env=SERVER_ENV) as (first, first_proc),
        running_server(url, env=SERVER_ENV) as (second, _),
        httpx.Client(timeout=10) as http,
    ):
        for n in range(WORKED):
            base = first if n % 2 else second
            assert http.post(f"{base}{PO}", json={"id": f"w-{n}", "name": "x"}).status_code == 201
            if n == WORKED // 2:
                first_proc.kill()  # whichever holds the lease, the other one carries on
                first_proc.wait()
                first = second
        slow_receiver.wait_for(lambda got: len({b["eventId"] for b in got}) >= WORKED, timeout=60)
    with slow_receiver.lock:
        got = list(slow_receiver.got)
    assert overlapping(got) == []
    assert len({item.body["eventId"] for item in got}) == WORKED
