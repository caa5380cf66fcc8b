"""TMF620 notifications end to end: writes through the API, the app's relay and deliverer, a real receiver.

Every write of every resource produces exactly the specified event, with a body that conforms to the
specification's event schema (v4.1.0 swagger, which defines all twenty events).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.events import subscriptions
from offer_catalog.store import Store
from offer_catalog.tmf620.resources import ORACLE_BASE, STANDARD_BASE
from support.receiver import Receiver, hub_settings, receiver_on
from support.server import free_port
from support.tmf620 import RESOURCES

JSON_TYPES: dict[str, Any] = {
    "string": str,
    "object": dict,
    "array": list,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
}


@pytest.fixture
def hub(store: Store) -> Iterator[TestClient]:
    """An app on the store whose lifespan runs the relay and the deliverer."""
    with TestClient(create_app(hub_settings(), store=store), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on a free loopback port."""
    with receiver_on(free_port()) as running:
        yield running


@pytest.fixture(scope="module")
def swagger(shared_dir: Path) -> dict[str, Any]:
    """The v4.1.0 specification's definitions."""
    document = json.loads((shared_dir / "tmf620" / "TMF620-ProductCatalog-v4.1.0.swagger.json").read_text())
    definitions: dict[str, Any] = document["definitions"]
    return definitions


def subscribe(store: Store, url: str, **options: Any) -> str:
    """Register a listener through the hub service; its id."""
    with store.unit_of_work(write=True) as uow:
        sub = subscriptions.create_subscription(uow, callback=url, allow_private=True, **options)
    return sub.id


def conform(value: Any, schema: dict[str, Any], definitions: dict[str, Any], where: str) -> None:
    """Assert value conforms to a swagger 2 schema: $ref, type, required, properties, items."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        conform(value, definitions[name], definitions, f"{where}<{name}>")
        return
    expected = schema.get("type")
    if expected is not None:
        assert isinstance(value, JSON_TYPES[expected]), f"{where}: {value!r} is not {expected}"
        assert not (expected in ("integer", "number") and isinstance(value, bool)), where
    for member in schema.get("required", []):
        assert member in value, f"{where}: required member {member} missing"
    if isinstance(value, dict):
        for member, sub in schema.get("properties", {}).items():
            if member in value:
                conform(value[member], sub, definitions, f"{where}.{member}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            conform(item, schema["items"], definitions, f"{where}[{index}]")


def conform_event(body: dict[str, Any], definitions: dict[str, Any]) -> None:
    """The envelope has only the event's members, each of the right type, the resource included."""
    definition = definitions[body["eventType"]]
    assert set(body) <= set(definition["properties"]), set(body) - set(definition["properties"])
    assert {"eventId", "eventTime", "eventType", "event"} <= set(body)
    conform(body, definition, definitions, body["eventType"])


def test_every_write_of_every_resource_produces_its_event(
    hub: TestClient, store: Store, receiver: Receiver, swagger: dict[str, Any]
) -> None:
    subscribe(store, receiver.url)
    expected: list[tuple[str, str]] = []
    for path, cls in RESOURCES.items():
        body = hub.post(f"{STANDARD_BASE}{path}", json={"id": f"{path}-1", "name": "first"}).json()
        assert hub.patch(body["href"], json={"name": "second", "description": "d"}).status_code == 200
        assert hub.patch(body["href"], json={"lifecycleStatus": "In design"}).status_code == 200
        assert hub.delete(body["href"]).status_code == 204
        expected += [
            (f"{path}-1", f"{cls}CreateEvent"),
            (f"{path}-1", f"{cls}AttributeValueChangeEvent"),
            (f"{path}-1", f"{cls}StateChangeEvent"),
            (f"{path}-1", f"{cls}DeleteEvent"),
        ]
    bodies = receiver.wait_for(lambda got: len(got) >= len(expected))
    seen = [(next(iter(b["event"].values()))["id"], b["eventType"]) for b in bodies]
    assert seen == expected
    assert len({b["eventId"] for b in bodies}) == len(bodies)
    for body in bodies:
        conform_event(body, swagger)
        member, resource = next(iter(body["event"].items()))
        assert RESOURCES[member] + body["eventType"].removeprefix(RESOURCES[member]) == body["eventType"]
        assert resource["href"] == f"{STANDARD_BASE}{member}/{resource['id']}"
    changes = [b for b in bodies if b["eventType"].endswith("AttributeValueChangeEvent")]
    for change in changes:
        assert set(change["fieldPath"].split(",")) >= {"/name", "/description"}
        assert next(iter(change["event"].values()))["name"] == "second"
    states = [b for b in bodies if b["eventType"].endswith("StateChangeEvent")]
    assert {next(iter(b["event"].values()))["lifecycleStatus"] for b in states} == {"In Design"}


def test_oracle_subscribers_get_at_names_and_oracle_hrefs(
    hub: TestClient, store: Store, receiver: Receiver
) -> None:
    subscribe(store, receiver.url, base_path=ORACLE_BASE, name_style="oracle")
    hub.post(f"{STANDARD_BASE}productOffering", json={"id": "po", "name": "x", "@type": "ProductOffering"})
    [body] = receiver.wait_for(lambda got: len(got) >= 1)
    offering = body["event"]["productOffering"]
    assert offering["atType"] == "ProductOffering" and "@type" not in offering
    assert offering["href"] == f"{ORACLE_BASE}productOffering/po"


def test_query_filters_by_event_type_and_resource_fields(
    hub: TestClient, store: Store, receiver: Receiver
) -> None:
    query = "eventType=ProductOfferingCreateEvent&event.productOffering.lifecycleStatus=Active"
    subscribe(store, receiver.url, query=query)
    other = subscribe(store, receiver.url.replace("/listener", "/all"))
    hub.post(f"{STANDARD_BASE}productOffering", json={"id": "a", "name": "x", "lifecycleStatus": "Active"})
    hub.post(f"{STANDARD_BASE}productOffering", json={"id": "b", "name": "x", "lifecycleStatus": "In design"})
    hub.post(f"{STANDARD_BASE}catalog", json={"id": "c", "name": "x"})
    hub.patch(f"{STANDARD_BASE}productOffering/a", json={"name": "y"})
    got = receiver.wait_for(lambda got: len(got) >= 5)
    by_path: dict[str, list[Any]] = {}
    for item in receiver.got:
        by_path.setdefault(item.path, []).append(item.body)
    assert [b["event"]["productOffering"]["id"] for b in by_path["/listener"]] == ["a"]
    assert len(by_path["/all"]) == 4 and len(got) == 5
    with store.unit_of_work() as uow:
        assert subscriptions.get_subscription(uow, id=other).callback.endswith("/all")


def test_a_subscription_gets_only_writes_made_after_it(
    hub: TestClient, store: Store, receiver: Receiver
) -> None:
    hub.post(f"{STANDARD_BASE}catalog", json={"id": "before", "name": "x"})
    subscribe(store, receiver.url)
    hub.post(f"{STANDARD_BASE}catalog", json={"id": "after", "name": "x"})
    bodies = receiver.wait_for(lambda got: len(got) >= 1)
    hub.post(f"{STANDARD_BASE}catalog", json={"id": "last", "name": "x"})
    bodies = receiver.wait_for(lambda got: len(got) >= 2)
    assert [b["event"]["catalog"]["id"] for b in bodies] == ["after", "last"]
