"""Delivery you can rely on: receivers that go down, restarts, signatures, dead letters and replay, SSRF."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient
from test_events_tmf620 import subscribe
from test_transfer import url_of

from offer_catalog.app import create_app
from offer_catalog.errors import NotFound, ValidationFailed
from offer_catalog.events import subscriptions
from offer_catalog.events.delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER
from offer_catalog.store import Store
from offer_catalog.tmf620.resources import STANDARD_BASE
from support.receiver import Receiver, hub_settings, receiver_on, serving
from support.server import command, free_port

PO = f"{STANDARD_BASE}productOffering"


def app_client(store: Store, **settings: Any) -> TestClient:
    """A client whose app runs the relay and deliverer with test settings."""
    return TestClient(create_app(hub_settings(**settings), store=store), raise_server_exceptions=False)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on a free loopback port."""
    with receiver_on(free_port()) as running:
        yield running


def test_a_receiver_down_for_a_while_then_back_gets_every_event(store: Store) -> None:
    receiver = Receiver(free_port())
    subscribe(store, receiver.url)
    writes = 120
    with app_client(store, hub_max_attempts=10_000) as client:
        for n in range(writes // 2):
            assert client.post(PO, json={"id": f"po-{n}", "name": "v1"}).status_code == 201
            assert client.patch(f"{PO}/po-{n}", json={"name": "v2"}).status_code == 200
    # The service stopped while nothing listened: the deliveries wait in the store.
    with store.unit_of_work() as uow:
        sub = subscriptions.list_subscriptions(uow)[0]
        pending = subscriptions.deliveries(uow, id=sub.id, status="pending")
        delivered = subscriptions.deliveries(uow, id=sub.id, status="delivered")
    # (What the relay had not queued yet is still in the outbox: the next start relays it.)
    assert len(pending) <= writes and delivered == []
    with serving(receiver), app_client(store, hub_max_attempts=10_000):
        bodies = receiver.wait_for(lambda got: len({b["eventId"] for b in got}) >= writes)
    ids = {b["eventId"] for b in bodies}
    assert len(ids) == writes
    for item in receiver.got:
        assert item.headers["X-Offer-Catalog-Event-Id"] == item.body["eventId"]
    # Per resource, the events arrive in the order of the writes.
    by_offering: dict[str, list[str]] = {}
    for body in bodies:
        by_offering.setdefault(body["event"]["productOffering"]["id"], []).append(body["eventType"])
    assert all(
        types == ["ProductOfferingCreateEvent", "ProductOfferingAttributeValueChangeEvent"]
        for types in by_offering.values()
    )


def test_signatures_verify_with_the_subscription_secret(store: Store, receiver: Receiver) -> None:
    secret = "s3cret-s3cret-s3cret"
    subscribe(store, receiver.url, secret=secret)
    with app_client(store) as client:
        client.post(PO, json={"id": "signed", "name": "x"})
        receiver.wait_for(lambda got: len(got) >= 1)
    [item] = receiver.got
    timestamp = item.headers[TIMESTAMP_HEADER]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + item.raw, hashlib.sha256).hexdigest()
    assert item.headers[SIGNATURE_HEADER] == f"sha256={expected}"
    wrong = hmac.new(b"another secret!!", timestamp.encode() + b"." + item.raw, hashlib.sha256).hexdigest()
    assert item.headers[SIGNATURE_HEADER] != f"sha256={wrong}"


@pytest.mark.parametrize(
    ("callback", "code"),
    [
        ("http://127.0.0.1:9/x", "callback_not_allowed"),
        ("http://localhost:9/x", "callback_not_allowed"),
        ("http://10.1.2.3/x", "callback_not_allowed"),
        ("http://192.168.0.1/x", "callback_not_allowed"),
        ("http://169.254.169.254/latest/meta-data", "callback_not_allowed"),
        ("http://[::1]:9/x", "callback_not_allowed"),
        ("http://[::ffff:127.0.0.1]/x", "callback_not_allowed"),
        ("http://0.0.0.0/x", "callback_not_allowed"),
        ("ftp://93.184.216.34/x", "invalid_callback:scheme"),
        ("http://user:pw@93.184.216.34/x", "invalid_callback:credentials"),
        ("http:///x", "invalid_callback"),
        ("not a url", "invalid_callback"),
        (42, "invalid_callback"),
    ],
)
def test_unsafe_callbacks_are_refused_and_nothing_is_stored(store: Store, callback: Any, code: str) -> None:
    with pytest.raises(ValidationFailed) as caught, store.unit_of_work(write=True) as uow:
        subscriptions.create_subscription(uow, callback=callback)
    assert caught.value.code == code
    with store.unit_of_work() as uow:
        assert subscriptions.list_subscriptions(uow) == []


def test_a_public_address_is_accepted(store: Store) -> None:
    with store.unit_of_work(write=True) as uow:
        sub = subscriptions.create_subscription(uow, callback="https://93.184.216.34/hook?x=1")
    assert sub.callback == "https://93.184.216.34/hook?x=1"


def test_delivery_rechecks_the_address_and_refuses_private_targets(store: Store, receiver: Receiver) -> None:
    sub = subscribe(store, receiver.url)  # allowed when it was made; the running service forbids it
    with app_client(store, hub_allow_private_targets=False, hub_max_attempts=2) as client:
        client.post(PO, json={"id": "ssrf", "name": "x"})
        dead = _wait_dead(store, sub, 1)
    assert receiver.got == []
    assert dead[0].last_error is not None and dead[0].last_error.startswith("callback_not_allowed")


def _wait_dead(store: Store, sub: str, count: int) -> list[Any]:
    holder = Receiver(0)
    result: list[Any] = []

    def check(_: list[Any]) -> bool:
        with store.unit_of_work() as uow:
            result[:] = subscriptions.dead_letters(uow, id=sub)
        return len(result) >= count

    holder.wait_for(check)
    return result


def test_dead_letters_after_the_attempts_then_replay_through_the_cli(
    store: Store, receiver: Receiver
) -> None:
    sub = subscribe(store, receiver.url)
    receiver.status = 500
    with app_client(store, hub_max_attempts=3) as client:
        for n in range(3):
            client.post(PO, json={"id": f"dl-{n}", "name": "x"})
        dead = _wait_dead(store, sub, 3)
    assert [d.attempts for d in dead] == [3, 3, 3] and all(d.last_error == "HTTP 500" for d in dead)
    listed = subprocess.run(
        [*command(), "hub", "dead-letters", sub, "--database-url", url_of(store)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    rows = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert [r["payload"]["event"]["productOffering"]["id"] for r in rows] == ["dl-0", "dl-1", "dl-2"]
    assert {r["eventId"] for r in rows} == {d.event_id for d in dead}
    receiver.status = 200
    replayed = subprocess.run(
        [*command(), "hub", "replay", sub, "--database-url", url_of(store)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert replayed.returncode == 0 and "queued 3" in replayed.stdout
    with app_client(store):
        bodies = receiver.wait_for(lambda got: len(got) >= 3)
    assert [b["eventId"] for b in bodies] == [d.event_id for d in dead]
    missing = subprocess.run(
        [*command(), "hub", "replay", "nope", "--database-url", url_of(store)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1 and "not_found" in missing.stderr


def test_deleting_a_subscription_stops_its_deliveries(store: Store, receiver: Receiver) -> None:
    sub = subscribe(store, receiver.url)
    with store.unit_of_work(write=True) as uow:
        subscriptions.delete_subscription(uow, id=sub)
    with app_client(store) as client:
        client.post(PO, json={"id": "after-delete", "name": "x"})
        kept = subscribe(store, receiver.url.replace("/listener", "/kept"))
        client.post(PO, json={"id": "second", "name": "x"})
        receiver.wait_for(lambda got: len(got) >= 1)
    assert [r.path for r in receiver.got] == ["/kept"]
    with pytest.raises(NotFound) as caught, store.unit_of_work(write=True) as uow:
        subscriptions.delete_subscription(uow, id=sub)
    assert caught.value.code == "not_found"
    with store.unit_of_work() as uow:
        assert [s.id for s in subscriptions.list_subscriptions(uow)] == [kept]
