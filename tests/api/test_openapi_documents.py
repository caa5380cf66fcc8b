"""The generated OpenAPI documents: every served route documented, TMF620 as the official v4.0.0 says.

The documents are generated from the route declarations (offer_catalog.openapi); these tests compare
them with what the application really routes and with the official TMF620 v4.0.0 specification, and
validate real answers against the served schemas.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.http import ApiMount, ApiRoute
from offer_catalog.openapi import ApiDoc, ErrorDoc
from offer_catalog.openapi.generate import openapi_document
from offer_catalog.settings import load_settings
from offer_catalog.store.base import Store
from support.shared import shared_dir

STD = "/tmf-api/productCatalogManagement/v4/"
ORA = "/productCatalogManagement/v4/"
DOCUMENTS = (
    f"{STD}openapi.json",
    f"{ORA}openapi.json",
    "/tmf-api/productCatalogManagement/v5/openapi.json",
    "/productCatalogManagement/v5/openapi.json",
    "/data/core/xcore/openapi.json",
    "/data/core/ode/openapi.json",
)
METHODS = {"get", "put", "post", "patch", "delete"}
RESOURCES = ("catalog", "category", "productOffering", "productOfferingPrice", "productSpecification")
EVENTS = ("hub", "listener", "importJob", "exportJob")
"""The hub, listener and job paths: part of the TMF620 API and its document."""


@pytest.fixture
def app_client(sqlite_store: Store, tmp_path: Path) -> Iterator[TestClient]:
    values = {
        "database_url": "sqlite:///unused.db",
        "hub_allow_private_targets": True,
        "export_dir": str(tmp_path / "jobs"),
    }
    settings = load_settings(values, environ={})
    with TestClient(create_app(settings, store=sqlite_store), raise_server_exceptions=False) as client:
        yield client


def _template(path: str) -> str:
    return re.sub(r"{[^}]*}", "{}", path)


def _documents(client: TestClient) -> dict[str, dict[str, Any]]:
    out = {}
    for url in DOCUMENTS:
        response = client.get(url)
        assert response.status_code == 200, url
        out[url] = response.json()
    return out


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for step in node["$ref"].removeprefix("#/").split("/"):
            target = target[step]
        node = target
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_served_route_is_documented_and_nothing_else(app_client: TestClient) -> None:
    documents = _documents(app_client)
    mounts = [route for route in app_client.app.routes if isinstance(route, ApiMount)]  # type: ignore[attr-defined]
    assert len(mounts) == 6
    for mount in mounts:
        url = next(u for u in DOCUMENTS if any(u.startswith(p + "/") for p in mount.prefixes))
        document = documents[url]
        base = document.get("servers", [{"url": ""}])[0]["url"]
        assert all(isinstance(route, ApiRoute) for route in mount.routes)
        served = {
            (_template(route.path), method.lower())
            for route in mount.routes
            if isinstance(route, ApiRoute)
            for method in route.operations
        }
        documented = {
            (_template(base + path), method)
            for path, item in document["paths"].items()
            for method in set(item) & METHODS
        }
        assert served == documented, url
        assert len(served) > 5
        ids = [
            op["operationId"] for item in document["paths"].values() for m, op in item.items() if m in METHODS
        ]
        assert len(ids) == len(set(ids)), url
        undeclared = [
            f"{method.upper()} {route.path}"
            for route in mount.routes
            if isinstance(route, ApiRoute)
            for method, operation in route.operations.items()
            if operation.doc is None
        ]
        assert not undeclared, f"declare a Doc for {undeclared}"
        for target in _refs(document):
            assert _resolve(document, {"$ref": target}) is not None, target
        for path, item in document["paths"].items():
            declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
            assert set(re.findall(r"{(\w+)}", path)) == declared, path
            for method in set(item) & METHODS:
                responses = item[method]["responses"]
                assert any(s.startswith("2") for s in responses) and "500" in responses, (url, path)


def _kind(document: dict[str, Any], schema: Any) -> Any:
    """What a generated client makes of a schema: its type and, for arrays, its items' kind."""
    schema = _resolve(document, schema)
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:  # a member a write may also give as null (absent)
        schema = _resolve(document, options[0])
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "array":
        return ("array", _kind(document, schema["items"]))
    return kind


def test_tmf620_document_matches_the_official_specification(app_client: TestClient) -> None:
    official = json.loads((shared_dir() / "tmf620" / "TMF620-ProductCatalog-v4.0.0.swagger.json").read_text())
    ours = app_client.get(f"{STD}openapi.json").json()
    oracle = app_client.get(f"{ORA}openapi.json").json()
    served = [p for p in official["paths"] if p.strip("/").split("/")[0] in RESOURCES]
    assert len(served) == 10
    events = [p for p in official["paths"] if p.strip("/").split("/")[0] in EVENTS]
    assert len(events) == 21
    served += events
    for path in served:
        for method, theirs in official["paths"][path].items():
            for document in (ours, oracle):
                mine = document["paths"][path][method]
                assert mine["operationId"] == theirs["operationId"]
                assert set(theirs["responses"]) <= set(mine["responses"]), (path, method)
                names = {
                    (p["name"], p["in"])
                    for p in [*document["paths"][path].get("parameters", []), *mine.get("parameters", [])]
                }
                expected = {(p["name"], p["in"]) for p in theirs["parameters"] if p["in"] != "body"}
                assert expected <= names, (path, method)
                if any(p["in"] == "body" for p in theirs["parameters"]):
                    assert "application/json" in mine["requestBody"]["content"]
            for status, answer in theirs["responses"].items():
                mine = ours["paths"][path][method]["responses"][status]
                mine = _resolve(ours, mine)
                if "schema" not in answer:
                    assert "content" not in mine, (path, method, status)
                    continue
                content = mine["content"]["application/json"]["schema"]
                assert _kind(ours, content) == _kind(official, answer["schema"]), (path, method, status)
                assert set(answer.get("headers", {})) <= set(mine.get("headers", {}))
    definitions = official["definitions"]
    schemas = ours["components"]["schemas"]
    for name in ("Catalog", "Category", "ProductOffering", "ProductOfferingPrice", "ProductSpecification"):
        for suffix in ("", "_Create", "_Update"):
            theirs, mine = definitions[name + suffix], schemas[name + suffix]
            assert set(mine.get("required", [])) <= set(theirs.get("required", [])), name + suffix
            for member, schema in theirs["properties"].items():
                if member in mine["properties"]:
                    got = _kind(ours, mine["properties"][member])
                    assert got == _kind(official, schema), (name + suffix, member)
                else:
                    assert member in ("id", "href"), (name + suffix, member)
    events = ["EventSubscription", "ImportJob", "ExportJob"]
    events += [n for n in definitions if n.endswith("Event") or n.endswith("EventPayload")]
    for name in events:
        theirs, mine = definitions[name], schemas[name]
        assert set(mine.get("required", [])) == set(theirs.get("required", [])), name
        for member, schema in theirs["properties"].items():
            assert _kind(ours, mine["properties"][member]) == _kind(official, schema), (name, member)
    # What a write takes: the members the client gives (the server sets id, href, dates, status, log).
    server_set = {"completionDate", "creationDate", "errorLog", "status"}
    for name in ("EventSubscriptionInput", "ImportJob_Create", "ExportJob_Create"):
        theirs, mine = definitions[name], schemas[name]
        assert set(mine.get("required", [])) <= set(theirs.get("required", [])), name
        for member, schema in theirs["properties"].items():
            if member not in server_set:
                assert _kind(ours, mine["properties"][member]) == _kind(official, schema), (name, member)
    error = schemas["Error"]
    assert set(definitions["Error"]["properties"]) <= set(error["properties"])
    assert error["required"] == definitions["Error"]["required"]


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


def _check(document: dict[str, Any], path: str, method: str, response: Any) -> None:
    operation = document["paths"][path][method]
    answer = _resolve(document, operation["responses"][str(response.status_code)])
    if "content" not in answer:
        assert not response.content
        return
    media = response.headers["content-type"].split(";")[0]
    content = answer["content"]
    assert media in content, (path, method, media)
    _validator(document, content[media]["schema"]).validate(response.json())
    for header, declared in answer.get("headers", {}).items():
        if declared["schema"]["type"] == "integer" and header in response.headers:
            assert response.headers[header].isdigit()


@pytest.mark.parametrize("base", [STD, ORA])
def test_tmf620_answers_validate_against_the_served_document(app_client: TestClient, base: str) -> None:
    document = app_client.get(f"{base}openapi.json").json()
    client = app_client
    body = {
        "name": "gold",
        "validFor": {"startDateTime": "2026-01-01T00:00:00Z"},
        "category": [{"id": "c1", "name": "c"}],
        "productSpecification": {"id": "s1"},
    }
    created = client.post(f"{base}productOffering", json=body)
    assert created.status_code == 201
    _check(document, "/productOffering", "post", created)
    id = created.json()["id"]
    listed = client.get(f"{base}productOffering?fields=description")
    _check(document, "/productOffering", "get", listed)
    assert {"x-total-count", "x-result-count"} <= set(listed.headers)
    _check(document, "/productOffering/{id}", "get", client.get(f"{base}productOffering/{id}"))
    merge = client.patch(
        f"{base}productOffering/{id}",
        json={"description": "d"},
        headers={"content-type": "application/merge-patch+json"},
    )
    _check(document, "/productOffering/{id}", "patch", merge)
    patched = client.patch(
        f"{base}productOffering/{id}",
        json=[{"op": "add", "path": "/isSellable", "value": True}],
        headers={"content-type": "application/json-patch+json"},
    )
    _check(document, "/productOffering/{id}", "patch", patched)
    _check(
        document, "/productOffering/{id}/history", "get", client.get(f"{base}productOffering/{id}/history")
    )
    _check(
        document,
        "/productOffering/{id}/history/{version}",
        "get",
        client.get(f"{base}productOffering/{id}/history/1"),
    )
    _check(document, "/productOffering/{id}", "get", client.get(f"{base}productOffering/missing"))
    _check(document, "/productOffering", "post", client.post(f"{base}productOffering", json={"x": 1}))
    _check(document, "/productOffering/{id}", "delete", client.delete(f"{base}productOffering/{id}"))
    _check(document, "/openapi.json", "get", client.get(f"{base}openapi.json"))
    party = {"id": "p1", "@referredType": "Organization"}
    catalog = client.post(f"{base}catalog", json={"name": "c", "relatedParty": [party]})
    _check(document, "/catalog", "post", catalog)
    _check(document, "/catalog/{id}", "get", client.get(catalog.json()["href"]))


@pytest.mark.parametrize("base", [STD, ORA])
def test_event_and_job_answers_validate_against_the_served_document(
    app_client: TestClient, base: str
) -> None:
    document = app_client.get(f"{base}openapi.json").json()
    client = app_client
    made = client.post(f"{base}hub", json={"callback": "http://127.0.0.1:9/in", "query": "eventType=X"})
    assert made.status_code == 201
    _check(document, "/hub", "post", made)
    id = made.json()["id"]
    _check(document, "/eventSubscription", "get", client.get(f"{base}eventSubscription"))
    _check(document, "/eventSubscription/{id}", "get", client.get(f"{base}eventSubscription/{id}"))
    _check(document, "/hub/{id}/deadLetter", "get", client.get(f"{base}hub/{id}/deadLetter"))
    _check(document, "/hub/{id}/deadLetter/replay", "post", client.post(f"{base}hub/{id}/deadLetter/replay"))
    _check(document, "/hub", "post", client.post(f"{base}hub", json={"colour": "red"}))
    _check(document, "/hub/{id}", "delete", client.delete(f"{base}hub/{id}"))
    _check(document, "/eventSubscription/{id}", "get", client.get(f"{base}eventSubscription/{id}"))
    event = {
        "eventId": "e1",
        "eventType": "CatalogCreateEvent",
        "event": {"catalog": {"id": "fed1", "name": "followed", "lifecycleStatus": "In study"}},
    }
    heard = client.post(f"{base}listener/catalogCreateEvent", json=event)
    assert heard.status_code == 201
    _check(document, "/listener/catalogCreateEvent", "post", heard)
    _check(document, "/listener", "post", client.post(f"{base}listener", json={**event, "eventId": "e2"}))
    job = client.post(f"{base}exportJob", json={"url": "", "path": "catalog"})
    assert job.status_code == 201
    _check(document, "/exportJob", "post", job)
    _check(document, "/exportJob", "get", client.get(f"{base}exportJob"))
    _check(document, "/exportJob/{id}", "get", client.get(job.json()["href"]))
    imported = client.post(f"{base}importJob", json={"url": "missing.ndjson"})
    _check(document, "/importJob", "post", imported)
    _check(document, "/importJob", "get", client.get(f"{base}importJob"))
    _check(document, "/exportJob/{id}", "delete", client.delete(job.json()["href"]))


def test_the_documents_are_served_to_swagger_ui(app_client: TestClient) -> None:
    page = app_client.get("/docs/tmf620")
    assert page.status_code == 200 and "swagger-ui" in page.text
    for url in DOCUMENTS:
        assert url in app_client.get("/docs").text


def test_tmf620_document_follows_the_deployment_settings(sqlite_store: Store) -> None:
    settings = load_settings(
        {
            "database_url": "sqlite:///unused.db",
            "tmf_extra_states": "In review",
            "tmf_partial_content": True,
            "tmf_names": "oracle",
        },
        environ={},
    )
    with TestClient(create_app(settings, store=sqlite_store)) as client:
        document = client.get(f"{STD}openapi.json").json()
        party = {"id": "p1", "@referredType": "Organization"}
        catalog = client.post(f"{ORA}catalog", json={"name": "c", "relatedParty": [party]})
        assert catalog.json()["relatedParty"] == [{"id": "p1", "atReferredType": "Organization"}]
        _check(document, "/catalog", "post", catalog)
    states = document["components"]["schemas"]["Catalog_Create"]["properties"]["lifecycleStatus"]["enum"]
    assert states[-1] == "In review" and len(states) == 9, states
    assert "206" in document["paths"]["/catalog"]["get"]["responses"]


def test_an_operation_without_its_declaration_is_still_documented() -> None:
    async def endpoint(request: Any) -> Any:
        """Answer something."""

    routes = [ApiRoute("/things/{thing_id}", {"GET": endpoint})]
    spec = ApiDoc("t", "1", "d", "/openapi.json", ErrorDoc({}, "application/json", {}), dict)
    document = openapi_document(routes, spec)
    operation = document["paths"]["/things/{thing_id}"]["get"]
    assert operation["operationId"] == "get_things_thing_id" and operation["summary"] == "Answer something."
    assert operation["tags"] == ["undeclared"] and "200" in operation["responses"]
