"""The TMF620 hub and listeners over HTTP: subscribe, read, unsubscribe, dead letters and replay, follow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from test_events_delivery import app_client

from api.auth_support import bearer, jwt_settings, token
from offer_catalog.app import create_app
from offer_catalog.events import filters, subscriptions
from offer_catalog.events.delivery import RESOURCE_VERSION_HEADER
from offer_catalog.http import etag
from offer_catalog.store import Store
from offer_catalog.tmf620.resources import BASE_PATHS, STANDARD_BASE
from support.receiver import Receiver, receiver_on
from support.server import free_port

HUB = f"{STANDARD_BASE}hub"
SUBS = f"{STANDARD_BASE}eventSubscription"
PO = f"{STANDARD_BASE}productOffering"
LISTENER = f"{STANDARD_BASE}listener"


@pytest.fixture(name="receiver")
def running_receiver() -> Iterator[Receiver]:
    """A webhook receiver on a free loopback port (answers 200 unless told otherwise)."""
    with receiver_on(free_port()) as running:
        yield running


def tmf_error(response: Any, status: int, code: str) -> None:
    """The response is a TMF Error body with this status and code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["status"] == str(status) and body["reason"]


@pytest.mark.parametrize("base", BASE_PATHS)
def test_subscribe_read_and_unsubscribe_on_both_base_paths(store: Store, base: str) -> None:
    with app_client(store) as client:
        made = client.post(f"{base}hub", json={"callback": "http://127.0.0.1:9/in", "query": "eventType=X"})
        assert made.status_code == 201, made.text
        sub = made.json()
        assert set(sub) == {"id", "callback", "query"}
        assert sub["callback"] == "http://127.0.0.1:9/in" and sub["query"] == "eventType=X"
        assert made.headers["Location"] == f"{base}hub/{sub['id']}"
        got = client.get(f"{base}eventSubscription/{sub['id']}")
        assert got.status_code == 200 and got.json() == sub
        assert client.get(f"{base}eventSubscription").json() == [sub]
        # The specification's /hub and /hub/{id} have no GET: Allow lists exactly its methods.
        assert client.options(f"{base}hub").headers["Allow"] == "POST"
        assert client.options(f"{base}hub/{sub['id']}").headers["Allow"] == "DELETE"
        assert client.delete(f"{base}hub/{sub['id']}").status_code == 204
        tmf_error(client.get(f"{base}eventSubscription/{sub['id']}"), 404, "not_found")
        tmf_error(client.delete(f"{base}hub/{sub['id']}"), 404, "not_found")
    with store.unit_of_work() as uow:
        assert subscriptions.list_subscriptions(uow) == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "required:callback"),
        ([], "invalid_body"),
        ({"callback": 5}, "invalid_callback"),
        ({"callback": "ftp://example.com/x"}, "invalid_callback:scheme"),
        ({"callback": "http://u:p@example.com/x"}, "invalid_callback:credentials"),
        ({"callback": "http://127.0.0.1:9/x", "query": 5}, "invalid_type:query"),
        ({"callback": "http://127.0.0.1:9/x", "query": None}, "invalid_type:query"),
        ({"callback": "http://127.0.0.1:9/x", "secret": "short"}, "invalid_value:secret"),
        # v4.0.0 types `@schemaLocation` `format: uri`: an empty or relative one is refused.
        ({"callback": "http://127.0.0.1:9/x", "@schemaLocation": ""}, "invalid_value:@schemaLocation"),
        ({"callback": "http://127.0.0.1:9/x", "@schemaLocation": "a b"}, "invalid_value:@schemaLocation"),
    ],
)
def test_a_bad_subscription_is_refused_and_stores_nothing(store: Store, body: Any, code: str) -> None:
    with app_client(store) as client:
        response = client.post(HUB, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code
    with store.unit_of_work() as uow:
        assert subscriptions.list_subscriptions(uow) == []


def test_a_query_that_is_no_filter_is_kept_and_selects_no_event(store: Store) -> None:
    # The specification's `query` is any string: one that is no TMF630 filter is stored as given and
    # the subscription gets no event (never more than it asked for).
    with app_client(store) as client:
        made = client.post(HUB, json={"callback": "http://127.0.0.1:9/x", "query": "no equals sign"})
    assert made.status_code == 201, made.text
    assert made.json()["query"] == "no equals sign"
    assert filters.subscription_filter("no equals sign") == filters.NOTHING
    assert not filters.matches(filters.NOTHING, {"eventType": "ProductOfferingCreateEvent"})
    assert filters.matches(filters.subscription_filter("eventType=X"), {"eventType": "X"})


def test_private_callbacks_are_refused_unless_allowed(store: Store) -> None:
    with app_client(store, hub_allow_private_targets=False) as client:
        tmf_error(client.post(HUB, json={"callback": "http://127.0.0.1:9/x"}), 400, "callback_not_allowed")
        tmf_error(
            client.post(HUB, json={"callback": "http://169.254.169.254/x"}), 400, "callback_not_allowed"
        )


def test_a_subscription_made_over_http_receives_the_events(store: Store, receiver: Receiver) -> None:
    with app_client(store) as client:
        sub = client.post(
            HUB, json={"callback": receiver.url, "query": "eventType=ProductOfferingCreateEvent"}
        )
        assert sub.status_code == 201
        assert client.post(PO, json={"id": "po-1", "name": "one"}).status_code == 201
        assert client.patch(f"{PO}/po-1", json={"name": "two"}).status_code == 200
        assert client.post(PO, json={"id": "po-2", "name": "two"}).status_code == 201
        bodies = receiver.wait_for(lambda got: len(got) >= 2)
    assert [b["event"]["productOffering"]["id"] for b in bodies] == ["po-1", "po-2"]
    assert {b["eventType"] for b in bodies} == {"ProductOfferingCreateEvent"}
    assert [item.headers[RESOURCE_VERSION_HEADER] for item in receiver.got] == ["1", "1"]


def test_dead_letters_are_readable_and_replayable_over_http(store: Store, receiver: Receiver) -> None:
    receiver.status = 500
    with app_client(store, hub_max_attempts=2) as client:
        sub = client.post(HUB, json={"callback": receiver.url}).json()
        client.post(PO, json={"id": "po-dead", "name": "x"})
        deadline = time.monotonic() + 20
        while not (dead := client.get(f"{HUB}/{sub['id']}/deadLetter").json()):
            assert time.monotonic() < deadline, "no dead letter"
            time.sleep(0.05)
        assert receiver.got == []
        [letter] = dead
        assert letter["eventType"] == "ProductOfferingCreateEvent" and letter["attempts"] == 2
        assert "500" in letter["lastError"] and letter["event"]["eventId"] == letter["eventId"]
        receiver.status = 200
        replay = client.post(f"{HUB}/{sub['id']}/deadLetter/replay")
        assert replay.status_code == 200 and replay.json() == {"replayed": 1}
        receiver.wait_for(lambda got: len(got) >= 1)
        assert client.get(f"{HUB}/{sub['id']}/deadLetter").json() == []
        tmf_error(client.get(f"{HUB}/{sub['id']}/deadLetter?limit=0"), 400, "invalid_value:limit")
        tmf_error(client.get(f"{HUB}/unknown/deadLetter"), 404, "not_found")
        tmf_error(client.post(f"{HUB}/unknown/deadLetter/replay"), 404, "not_found")


def test_subscriptions_of_another_organisation_are_not_found(store: Store) -> None:
    with store.unit_of_work(write=True) as uow:
        theirs = subscriptions.create_subscription(
            uow, callback="http://127.0.0.1:9/x", allow_private=True, scope="tmf620:other"
        )
    with app_client(store) as client:
        tmf_error(client.get(f"{SUBS}/{theirs.id}"), 404, "not_found")
        tmf_error(client.delete(f"{HUB}/{theirs.id}"), 404, "not_found")
        tmf_error(client.get(f"{HUB}/{theirs.id}/deadLetter"), 404, "not_found")
        assert client.get(SUBS).json() == []


def envelope(event_type: str, **resource: Any) -> dict[str, Any]:
    """A received notification carrying a product offering."""
    return {
        "eventId": f"e-{event_type}",
        "eventType": event_type,
        "event": {"productOffering": {"href": "/elsewhere", **resource}},
    }


def at(version: int) -> dict[str, str]:
    """The header carrying the sender's resource version."""
    return {RESOURCE_VERSION_HEADER: str(version)}


def test_a_listener_applies_events_once_by_resource_version(store: Store) -> None:
    with app_client(store) as client:
        create = envelope("ProductOfferingCreateEvent", id="po-f", name="one")
        made = client.post(f"{LISTENER}/productOfferingCreateEvent", json=create, headers=at(1))
        assert made.status_code == 201 and made.json()["id"] == create["eventId"]
        assert (
            client.post(f"{LISTENER}/productOfferingCreateEvent", json=create, headers=at(1)).status_code
            == 201
        )
        got = client.get(f"{PO}/po-f")
        assert got.json()["name"] == "one" and got.headers["ETag"] == etag(1)
        change = envelope("ProductOfferingAttributeValueChangeEvent", id="po-f", name="three")
        path = f"{LISTENER}/productOfferingAttributeValueChangeEvent"
        assert client.post(path, json=change, headers=at(3)).status_code == 201
        stale = envelope("ProductOfferingAttributeValueChangeEvent", id="po-f", name="two")
        assert client.post(LISTENER, json=stale, headers=at(2)).status_code == 201  # older than the local one
        got = client.get(f"{PO}/po-f")
        assert got.json()["name"] == "three" and got.headers["ETag"] == etag(3)
        history = client.get(f"{PO}/po-f/history").json()
        assert [entry["version"] for entry in history] == [1, 3]
        delete = envelope("ProductOfferingDeleteEvent", id="po-f", name="three")
        assert (
            client.post(f"{LISTENER}/productOfferingDeleteEvent", json=delete, headers=at(4)).status_code
            == 201
        )
        assert client.get(f"{PO}/po-f").status_code == 404
        # The route's event type decides (eventType is a free string in the specification).
        other = client.post(f"{LISTENER}/productOfferingDeleteEvent", json={**create, "eventType": "Nope"})
        assert other.status_code == 201, other.text
        tmf_error(client.post(LISTENER, json={"eventType": "Nope"}), 400, "invalid_value:eventType")
        bad_version = client.post(LISTENER, json=create, headers={RESOURCE_VERSION_HEADER: "x"})
        tmf_error(bad_version, 400, "invalid_header:resource_version")
        bad = envelope("ProductOfferingCreateEvent", id="po-bad")  # no name
        assert (
            client.post(f"{LISTENER}/productOfferingCreateEvent", json=bad, headers=at(1)).status_code == 400
        )
        assert client.get(f"{PO}/po-bad").status_code == 404
        tmf_error(client.get(f"{LISTENER}/productOfferingCreateEvent"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("carried", "code"),
    [
        ({"id": "po-n", "name": "n", "validFor": None}, "invalid_type:event.productOffering.validFor"),
        ({"name": "n", "category": [{"id": None}]}, "invalid_type:event.productOffering.category[0].id"),
        ({"name": "n", "category": ["c1"]}, "invalid_type:event.productOffering.category[0]"),
        (
            {"name": "n", "@schemaLocation": "not a uri"},
            "invalid_value:event.productOffering.@schemaLocation",
        ),
    ],
)
def test_a_listener_checks_the_carried_resource_against_the_specification(
    store: Store, carried: dict[str, Any], code: str
) -> None:
    with app_client(store) as client:
        body = {"eventId": "e", "event": {"productOffering": carried}}
        tmf_error(client.post(f"{LISTENER}/productOfferingCreateEvent", json=body), 400, code)
        assert client.get(PO).json() == []


def test_a_listener_takes_what_the_specification_allows(store: Store) -> None:
    with app_client(store) as client:
        offering = {"id": "po-ok", "name": "n", "x-free": [[None, 1]], "x-null": None}
        body = {"eventId": "e", "event": {"productOffering": offering}}
        assert client.post(f"{LISTENER}/productOfferingCreateEvent", json=body).status_code == 201
        assert "x-null" not in client.get(f"{PO}/po-ok").json()
        # A price's @schemaLocation is any string in the v4.0.0 definition (an offering's is a URI).
        price = {"id": "pop-ok", "name": "p", "@schemaLocation": "any text"}
        body = {"eventId": "e2", "event": {"productOfferingPrice": price}}
        made = client.post(f"{LISTENER}/productOfferingPriceCreateEvent", json=body)
        assert made.status_code == 201, made.text
        tmf_error(
            client.post(f"{LISTENER}/productOfferingCreateEvent", json={"eventId": None}),
            400,
            "invalid_type:eventId",
        )


def test_each_organisation_hears_only_its_own_writes(store: Store) -> None:
    settings = jwt_settings(
        hub_allow_private_targets=True, hub_poll_ms=20, hub_backoff_ms=50, access_log=False
    )
    acme, evil = bearer(token(org="ACME@AdobeOrg")), bearer(token(org="EVIL@AdobeOrg"))
    with (
        receiver_on(free_port()) as heard_by_acme,
        receiver_on(free_port()) as heard_by_evil,
        TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client,
    ):
        mine = client.post(HUB, json={"callback": heard_by_acme.url}, headers=acme)
        assert mine.status_code == 201, mine.text
        assert client.post(HUB, json={"callback": heard_by_evil.url}, headers=evil).status_code == 201
        assert client.post(PO, json={"id": "same-id", "name": "acme's"}, headers=acme).status_code == 201
        assert client.post(PO, json={"id": "same-id", "name": "evil's"}, headers=evil).status_code == 201
        heard_by_acme.wait_for(lambda got: len(got) >= 1)
        heard_by_evil.wait_for(lambda got: len(got) >= 1)
        time.sleep(0.3)  # anything misrouted would have arrived by now
        assert [b["event"]["productOffering"]["name"] for b in heard_by_acme.bodies()] == ["acme's"]
        assert [b["event"]["productOffering"]["name"] for b in heard_by_evil.bodies()] == ["evil's"]
        sub = mine.json()["id"]
        for response in (
            client.get(f"{SUBS}/{sub}", headers=evil),
            client.get(f"{HUB}/{sub}/deadLetter", headers=evil),
            client.post(f"{HUB}/{sub}/deadLetter/replay", headers=evil),
            client.delete(f"{HUB}/{sub}", headers=evil),
        ):
            tmf_error(response, 404, "not_found")
        assert sub not in [s["id"] for s in client.get(SUBS, headers=evil).json()]
        assert client.get(f"{SUBS}/{sub}", headers=acme).status_code == 200
