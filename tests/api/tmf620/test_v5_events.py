"""The hub, listeners and jobs under the v5 base paths: v5 event types, members and status codes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.store import Store
from offer_catalog.tmf620.resources import STANDARD_BASE, V5_STANDARD_BASE
from support.receiver import Receiver, hub_settings, receiver_on
from support.server import free_port
from support.tmf620 import assert_error

V5 = V5_STANDARD_BASE


@pytest.fixture
def hub(store: Store, tmp_path: Any) -> Iterator[TestClient]:
    """An app whose lifespan runs the relay and the deliverer (loopback receivers allowed)."""
    settings = hub_settings(export_dir=str(tmp_path))
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on a free loopback port."""
    with receiver_on(free_port()) as running:
        yield running


def test_v5_hub_register_and_unregister(hub: TestClient, receiver: Receiver) -> None:
    made = hub.post(f"{V5}hub", json={"callback": receiver.url, "@type": "Hub"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["callback"] == receiver.url and body["@type"] == "Hub" and body["id"]
    assert made.headers["location"] == f"{V5}hub/{body['id']}"
    assert_error(hub.post(f"{V5}hub", json={"query": "x"}), 400, "required:callback")
    odd = {"callback": receiver.url, "@baseType": False}
    assert_error(hub.post(f"{V5}hub", json=odd), 400, "invalid_type:@baseType")
    # v5's Extensible types `@schemaLocation` as any string (v4.0.0's is a URI).
    free = hub.post(f"{V5}hub", json={"callback": receiver.url, "@type": "Hub", "@schemaLocation": ""})
    assert free.status_code == 201, free.text
    assert hub.delete(f"{V5}hub/{free.json()['id']}").status_code == 204
    assert hub.delete(f"{V5}hub/{body['id']}").status_code == 204
    assert_error(hub.delete(f"{V5}hub/{body['id']}"), 404)


def test_v5_subscribers_get_v5_events_v4_subscribers_v4_events(hub: TestClient, receiver: Receiver) -> None:
    v5_url, v4_url = receiver.url.replace("/listener", "/v5"), receiver.url.replace("/listener", "/v4")
    assert hub.post(f"{V5}hub", json={"callback": v5_url}).status_code == 201
    assert hub.post(f"{STANDARD_BASE}hub", json={"callback": v4_url}).status_code == 201
    made = hub.post(f"{STANDARD_BASE}catalog", json={"id": "c1", "name": "c"})
    assert made.status_code == 201
    receiver.wait_for(lambda got: len(got) >= 2)
    by_path = {item.path: item.body for item in receiver.got}
    v5, v4 = by_path["/v5"], by_path["/v4"]
    assert (v5["eventType"], v5["@type"]) == ("ProductCatalogCreateEvent", "ProductCatalogCreateEvent")
    assert v5["event"]["productCatalog"]["href"] == f"{V5}productCatalog/c1"
    assert v4["eventType"] == "CatalogCreateEvent" and "@type" not in v4
    assert v4["event"]["catalog"]["href"] == f"{STANDARD_BASE}catalog/c1"


def test_v5_hub_query_filters_the_v5_envelope(hub: TestClient, receiver: Receiver) -> None:
    query = "eventType=ProductCatalogCreateEvent"
    assert hub.post(f"{V5}hub", json={"callback": receiver.url, "query": query}).status_code == 201
    hub.post(f"{V5}category", json={"id": "k", "name": "k", "@type": "Category"})
    hub.post(f"{V5}productCatalog", json={"id": "c2", "name": "c", "@type": "ProductCatalog"})
    [body] = receiver.wait_for(lambda got: len(got) >= 1)
    assert body["event"]["productCatalog"]["id"] == "c2"


def test_v5_listener_applies_events_and_answers_204(hub: TestClient) -> None:
    event = {
        "eventId": "e1",
        "eventType": "ProductCatalogCreateEvent",
        "@type": "ProductCatalogCreateEvent",
        "event": {"productCatalog": {"id": "f1", "name": "followed", "@type": "ProductCatalog"}},
    }
    answer = hub.post(f"{V5}listener/productCatalogCreateEvent", json=event)
    assert answer.status_code == 204, answer.text
    assert hub.get(f"{V5}productCatalog/f1").json()["name"] == "followed"
    assert hub.get(f"{STANDARD_BASE}catalog/f1").json()["name"] == "followed"
    gone = {**event, "eventType": "ProductCatalogDeleteEvent", "event": {"productCatalog": {"id": "f1"}}}
    assert hub.post(f"{V5}listener/productCatalogDeleteEvent", json=gone).status_code == 204
    assert_error(hub.get(f"{V5}productCatalog/f1"), 404, "not_found")
    # v5 names the catalog's events its way; v4's names are not v5 listeners.
    assert hub.post(f"{V5}listener/catalogCreateEvent", json=event).status_code == 404


def test_v5_jobs_are_served(hub: TestClient) -> None:
    hub.post(f"{V5}productOffering", json={"id": "o1", "name": "o", "@type": "ProductOffering"})
    job = hub.post(f"{V5}exportJob", json={"path": "productOffering", "url": "x", "@type": "ExportJob"})
    assert job.status_code == 201, job.text
    assert hub.get(job.headers["location"]).status_code == 200
    assert hub.get(f"{V5}exportJob").status_code == 200


def test_v5_listener_reads_the_payload_in_any_case_and_merges_partial_changes(hub: TestClient) -> None:
    created = {
        "eventType": "CategoryCreateEvent",
        "event": {"Category": {"id": "k1", "name": "cloud", "@type": "Category", "description": "d"}},
    }
    assert hub.post(f"{V5}listener/categoryCreateEvent", json=created).status_code == 204
    assert hub.get(f"{V5}category/k1").json()["description"] == "d"
    change = {
        "eventType": "CategoryAttributeValueChangeEvent",
        "event": {"category": {"id": "k1", "description": "e"}},
    }
    assert hub.post(f"{V5}listener/categoryAttributeValueChangeEvent", json=change).status_code == 204
    got = hub.get(f"{V5}category/k1").json()
    assert (got["name"], got["description"]) == ("cloud", "e")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"@type": 5}, "invalid_type:@type"),
        ({"@schemaLocation": None}, "invalid_type:@schemaLocation"),
        ({"href": ["x"]}, "invalid_type:href"),
        ({"source": "leader"}, "invalid_type:source"),
        ({"source": {"name": "leader"}}, "required:source.id"),
        ({"reportingSystem": {"id": 7}}, "invalid_type:reportingSystem.id"),
        ({"relatedParty": {"role": "owner"}}, "invalid_type:relatedParty"),
        ({"analyticCharacteristic": [{"name": 1}]}, "invalid_type:analyticCharacteristic[0].name"),
        ({"timeOccurred": "yesterday"}, "invalid_value:timeOccurred"),
        ({"event": {"category": {"id": "k9", "name": "n", "href": 1}}}, "invalid_type:event.category.href"),
        (
            {"event": {"category": {"id": "k9", "name": "n", "parent": {}}}},
            "required:event.category.parent.id",
        ),
    ],
)
def test_v5_listener_refuses_an_event_its_schema_refuses(
    hub: TestClient, change: dict[str, Any], code: str
) -> None:
    event = {
        "@type": "CategoryCreateEvent",
        "eventType": "CategoryCreateEvent",
        "event": {"category": {"id": "k9", "name": "n", "@type": "Category"}},
        **change,
    }
    assert_error(hub.post(f"{V5}listener/categoryCreateEvent", json=event), 400, code)
    assert_error(hub.post(f"{V5}listener", json=event), 400, code)
    assert_error(hub.get(f"{V5}category/k9"), 404, "not_found")


def test_v5_listener_takes_the_event_members_of_the_schema(hub: TestClient) -> None:
    """The v5 Event's members (EntityRefs, parties, characteristics) are taken; `@type` may be absent on the
    event and on what it carries, as in the specification's examples."""
    event = {
        "eventType": "CategoryCreateEvent",
        "timeOccurred": "2026-01-01T00:00:00Z",
        "source": {"id": "372", "name": "APP-317", "@type": "ReportingResource"},
        "reportingSystem": {"id": "868"},
        "relatedParty": [{"role": "owner", "partyOrPartyRole": {"id": "p1"}}],
        "analyticCharacteristic": [{"name": "n", "valueType": "string"}],
        "event": {"category": {"id": "k8", "name": "followed"}},
    }
    assert hub.post(f"{V5}listener/categoryCreateEvent", json=event).status_code == 204
    assert hub.get(f"{V5}category/k8").json()["name"] == "followed"


def test_v5_job_listeners_check_the_job_event(hub: TestClient) -> None:
    done = {"event": {"exportJob": {"id": "5435", "status": "Succeeded", "url": "https://x.example/f"}}}
    assert hub.post(f"{V5}listener/exportJobStateChangeEvent", json=done).status_code == 204
    odd = {"event": {"exportJob": {"id": "5435", "status": "Done"}}}
    assert_error(
        hub.post(f"{V5}listener/exportJobStateChangeEvent", json=odd),
        400,
        "invalid_value:event.exportJob.status",
    )
    relative = {"event": {"importJob": {"url": "file.ndjson"}}}
    assert_error(
        hub.post(f"{V5}listener/importJobCreateEvent", json=relative),
        400,
        "invalid_value:event.importJob.url",
    )
    assert_error(
        hub.post(f"{V5}listener/importJobCreateEvent", json={"@type": False}), 400, "invalid_type:@type"
    )
    # The envelope's members as every listener reads them (the served document declares them).
    fields = hub.post(f"{V5}listener/importJobCreateEvent", json={"fieldPath": {}})
    assert_error(fields, 400, "invalid_type:fieldPath")


def test_v5_job_schema_location_is_any_string_v4_a_uri(hub: TestClient) -> None:
    body = {"url": "x", "@type": "ExportJob", "@schemaLocation": ""}
    assert hub.post(f"{V5}exportJob", json=body).status_code == 201
    # v5's ExportJob_FVO and ImportJob_FVO require @type and type the id (the service's) a string.
    assert_error(hub.post(f"{V5}exportJob", json={"url": "x"}), 400, "required:@type")
    assert_error(hub.post(f"{V5}importJob", json={**body, "id": {}}), 400, "invalid_type:id")
    assert hub.post(f"{STANDARD_BASE}exportJob", json={"url": "x", "id": {}}).status_code == 201
    assert hub.post(f"{V5}importJob", json={**body, "@type": "ImportJob"}).status_code == 201
    assert_error(hub.post(f"{STANDARD_BASE}exportJob", json=body), 400, "invalid_value:@schemaLocation")
