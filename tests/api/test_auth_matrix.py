"""The authorisation matrix, generated from the app's routes: only the right principal gets in.

For every (method, path template) the application serves (Mounts walked, the TMF620 dispatchers
expanded over the resources table) seven wrong callers are refused (401 or 403) without changing
one row of the store, then the right principal (exactly the route's scope, the right tenant) succeeds.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.auth_support import (
    ALL_SCOPES,
    AuthedHttp,
    bearer,
    dump,
    jwt_settings,
    make_key,
    token,
)
from api.decisioning.dec_support import build_catalog, decision_request, profile
from offer_catalog.app import create_app
from offer_catalog.auth.policy import (
    DISPATCHED,
    PUBLIC,
    ROUTE_SCOPES,
    TMF_BASES,
    Policy,
    check_declared,
    route_operations,
)
from offer_catalog.store import Store, open_store
from offer_catalog.tmf620.resources import RESOURCES, V5_RESOURCES, release_of
from support.offer_library import HAL, PATCH_HAL, RECEIPT, instance_type, make_container

ORG, OTHER, SANDBOX = "ACME@AdobeOrg", "EVIL@AdobeOrg", "prod"
TENANT = {"x-gw-ims-org-id": ORG, "x-sandbox-name": SANDBOX}
DECISION_TYPE = (
    'application/vnd.adobe.xdm+json; schema="https://ns.adobe.com/experience/offer-management/'
    'decision-request;version=1.0"'
)


@dataclass
class World:
    """One SQLite file, an app with JWT and API keys, a seeded catalog in both APIs."""

    path: str
    store: Store
    client: TestClient
    container: str
    activity: str
    placement: str
    revoked_key: str
    proposition: tuple[str, str] = ("", "")

    def seeder(self) -> dict[str, str]:
        return {**bearer(token(sub="seeder")), **TENANT}


POLICY = Policy()
HOOK = "http://127.0.0.1:9/hook"
IMPORT_FILE = "matrix.ndjson"
NEW_BODIES: dict[str, Any] = {
    "hub": {"callback": HOOK},
    "exportJob": {"url": ""},
    "importJob": {"url": IMPORT_FILE},
}
"""The bodies that create a hub subscription and TMF620 jobs."""


def _new_body(collection: str) -> Any:
    """NEW_BODIES' body for a collection URL; a v5 job create names its class (v5 requires `@type`)."""
    name = collection.rsplit("/", 1)[1]
    body = NEW_BODIES[name]
    if "/v5/" in collection and name.endswith("Job"):
        return {**body, "@type": name[0].upper() + name[1:]}
    return body


def _operations() -> list[tuple[str, str, str]]:
    """(method, concrete template, scope) for every operation of the app, TMF resources expanded."""
    app = create_app(jwt_settings())
    cases = []
    for method, path in route_operations(app.routes):
        if path in DISPATCHED:
            base = path.removesuffix("{rest:path}")
            for (m, template), scope in ROUTE_SCOPES.items():
                if template.startswith(base + "/"):
                    names = release_of(base).resources if "{resource}" in template else [""]
                    cases.extend((m, template.replace("{resource}", r), scope) for r in names)
        else:
            cases.append((method, path, ROUTE_SCOPES.get((method, path)) or POLICY.scope_for(method, path)))
    return sorted(set(cases))


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path = str(tmp_path_factory.mktemp("matrix") / "catalog.db")
    store = open_store(f"sqlite:///{path}")
    store.migrate()
    revoked = make_key(store, revoked=True)
    exports = tmp_path_factory.mktemp("exports")
    (exports / IMPORT_FILE).write_bytes(b"")  # what import jobs read
    # Hub callbacks on loopback (nothing listens there); TMF620 jobs' files in a directory of their own.
    settings = jwt_settings(hub_allow_private_targets=True, export_dir=str(exports))
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client:
        container = make_container(store, ORG, SANDBOX)
        seeder = {**bearer(token(sub="seeder")), **TENANT}
        catalog = build_catalog(AuthedHttp(client, seeder), container)
        yield World(path, store, client, container, catalog["main"], catalog["web"], revoked)
    store.close()


def _target(world: World, template: str) -> str:
    """The template with fresh identifiers of the right tenant (a write may delete its target)."""
    url = (
        template.replace("{container_id}", world.container)
        .replace("{version}", "1")
        .replace("{api}", "tmf620")
        .replace("{kind}", "tag")
    )
    if url.endswith("/offers"):
        url += f"?activityId={world.activity}"
    seeder = world.seeder()
    if "{instance_id}" in url:
        headers = {**seeder, "Content-Type": instance_type("tag"), "Accept": RECEIPT}
        created = world.client.post(
            f"/data/core/xcore/{world.container}/instances", headers=headers, json={"xdm:name": "target"}
        )
        url = url.replace("{instance_id}", created.json()["instanceId"])
    if url.endswith("/events") and not world.proposition[0]:
        world.proposition = _proposition(world)
    if "{job_id}" in url:
        jobs = url.split("/{job_id}")[0]
        started = _send(world, "POST", jobs, seeder)
        assert started.status_code == 202, started.text
        url = url.replace("{job_id}", started.json()["id"])
    if "{id}" in url:
        collection = url.split("/{id}")[0]
        if collection.endswith("/eventSubscription"):  # the hub's subscriptions, read beside it
            collection = collection.removesuffix("eventSubscription") + "hub"
        # v5 creates name their class (a subclass of the resource's here).
        typed = {"@type": "Target"} if "/v5/" in collection else {}
        made = (
            _new_body(collection)
            if collection.rsplit("/", 1)[1] in NEW_BODIES
            else {"name": "target", **typed}
        )
        created = world.client.post(collection, headers=seeder, json=made)
        assert created.status_code == 201, created.text
        url = url.replace("{id}", created.json()["id"])
        if collection.endswith("Job"):
            _settle(world)
    return url


def _settle(world: World) -> None:
    """Wait for the TMF620 jobs to finish: they write their state in the background, and the wrong
    callers' requests are compared against a store that no longer changes on its own."""
    deadline = time.monotonic() + 20
    for kind in ("exportJob", "importJob"):
        url = f"{TMF_BASES[0]}/{kind}"
        while any(job["status"] in ("Not Started", "Running") for job in _jobs(world, url)):
            assert time.monotonic() < deadline, "jobs did not finish"
            time.sleep(0.05)


def _jobs(world: World, url: str) -> list[Any]:
    listed = world.client.get(url, headers=world.seeder())
    assert listed.status_code == 200, listed.text
    return list(listed.json())


def _proposition(world: World) -> tuple[str, str]:
    """(proposition id, offer id) of a real decision made by the seeder, for interaction events."""
    body = decision_request(world.activity, world.placement, profile("events-p"))
    headers = {**world.seeder(), "Content-Type": DECISION_TYPE}
    made = world.client.post(f"/data/core/ode/{world.container}/decisions", headers=headers, json=body)
    assert made.status_code == 200, made.text
    proposition = made.json()["xdm:propositions"][0]
    chosen = (proposition.get("xdm:options") or [proposition.get("xdm:fallback")])[0]
    ident = made.json()["xdm:propositionId"]
    # The decision log writes in short batches: wait for this decision's rows, so that the wrong
    # callers' requests are compared against a store that no longer changes on its own.
    deadline = time.monotonic() + 10
    with sqlite3.connect(world.path) as conn:
        query = "SELECT count(*) FROM decision_items WHERE proposition_id = ?"
        while conn.execute(query, (ident,)).fetchone()[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
    return ident, chosen["xdm:id"]


def _received_event(url: str) -> dict[str, Any]:
    """A TMF620 event for a listener URL (`.../listener/<resource><Event>`, or `.../listener`: a create)."""
    name = url.rsplit("/listener", 1)[1].lstrip("/") or "productOfferingCreateEvent"
    names = sorted({*RESOURCES, *V5_RESOURCES}, key=len, reverse=True)
    kind = next((r for r in names if name.startswith(r)), "job")  # v5's job listeners: any payload
    event_type = name[0].upper() + name[1:]
    heard = {"id": f"heard-{uuid.uuid4().hex}", "name": "heard"}
    if "/v5/" in url:
        heard["@type"] = "Target"  # v5 resources name their class
    return {"eventType": event_type, "event": {kind: heard}}


def _send(world: World, method: str, url: str, headers: dict[str, str]) -> Any:
    body: Any = None
    sent = dict(headers)
    if url.endswith("/events"):
        proposition, offer = world.proposition
        event = {"propositionId": proposition, "offerId": offer, "type": "display"}
        body, sent["Content-Type"] = {**event, "eventId": uuid.uuid4().hex}, "application/json"
    elif url.endswith("/batch-jobs"):  # one NDJSON profile for the catalog's activity
        scopes = {"activityId": world.activity, "placementId": world.placement}
        sent["Content-Type"] = "application/x-ndjson"
        return world.client.post(
            url, params=scopes, headers=sent, content=b'{"xdm:identityMap": {"E": [{"xdm:id": "b"}]}}\n'
        )
    elif "/decisions" in url:
        body = decision_request(world.activity, world.placement, profile("p1"), dry_run=True)
        sent |= {"Content-Type": DECISION_TYPE}
    elif method == "POST" and "/data/core/xcore/" in url:
        body, sent["Content-Type"], sent["Accept"] = {"xdm:name": "new"}, instance_type("tag"), RECEIPT
    elif method == "PUT":
        body, sent["Content-Type"], sent["Accept"] = {"_instance": {"xdm:name": "put"}}, HAL, RECEIPT
    elif method == "PATCH" and "/data/core/xcore/" in url:
        body = [{"op": "replace", "path": "/_instance/xdm:name", "value": "patched"}]
        sent["Content-Type"], sent["Accept"] = PATCH_HAL, RECEIPT
    elif method == "PATCH":
        body, sent["Content-Type"] = {"description": "patched"}, "application/merge-patch+json"
    elif method == "POST" and url.rsplit("/", 1)[1] in NEW_BODIES:
        body = _new_body(url)
    elif "/listener" in url:
        body = _received_event(url)
    elif method == "POST":
        body = {"name": "created", **({"@type": "Target"} if "/v5/" in url else {})}
    content = None if body is None else json.dumps(body)
    return world.client.request(method, url, headers=sent, content=content)


def _wrong_callers(world: World, scope: str) -> dict[str, tuple[dict[str, str], int]]:
    without = tuple(s for s in ALL_SCOPES if s != scope)
    return {
        "no credentials": ({}, 401),
        "bad signature": (bearer(token(key="intruder")), 401),
        "expired token": (bearer(token(ttl=-3600)), 401),
        "wrong audience": (bearer(token(aud="another-service")), 401),
        "revoked key": ({"x-api-key": world.revoked_key}, 401),
        "without the scope": (bearer(token(scopes=without)), 403),
        "another tenant": (bearer(token(org=OTHER)), 403),
    }


@pytest.mark.parametrize(("method", "template", "scope"), [op for op in OPERATIONS if op[2] != PUBLIC])
def test_only_the_right_principal_gets_in(world: World, method: str, template: str, scope: str) -> None:
    url = _target(world, template)
    for case, (credentials, status) in _wrong_callers(world, scope).items():
        before = dump(world.path)
        response = _send(world, method, url, {**TENANT, **credentials})
        assert response.status_code == status, (case, response.text)
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")
        assert dump(world.path) == before, case
    right = bearer(token(sub="right", scopes=(scope,)))
    response = _send(world, method, url, {**TENANT, **right})
    assert response.status_code < 400, response.text
    if "Job" in template:
        _settle(world)


def test_health_and_ready_need_no_credentials(world: World) -> None:
    public = [(m, t) for m, t, s in OPERATIONS if s == PUBLIC]
    assert sorted(public) == [("GET", "/health"), ("GET", "/ready")]
    for method, path in public:
        assert world.client.request(method, path).status_code == 200


def test_every_api_answers_in_its_own_error_body(world: World) -> None:
    tmf = world.client.get("/tmf-api/productCatalogManagement/v4/productOffering")
    assert (tmf.status_code, tmf.json()["code"], tmf.json()["@type"]) == (401, "missing_credentials", "Error")
    xcore = world.client.get(f"/data/core/xcore/{world.container}/instances", headers=TENANT)
    assert xcore.headers["content-type"] == "application/problem+json"
    assert (xcore.json()["error_code"], xcore.json()["status"]) == ("401013", 401)
    denied = world.client.get(
        f"/data/core/xcore/{world.container}/instances", headers={**TENANT, **bearer(token(org=OTHER))}
    )
    assert (denied.status_code, denied.json()["error_code"]) == (403, "403025")
    scoped = world.client.post(
        "/data/core/ods/decisions", headers={**TENANT, **bearer(token(scopes=("catalog:read",)))}
    )
    assert scoped.status_code == 403
    assert 'error="insufficient_scope", scope="decisions"' in scoped.headers["www-authenticate"]


def test_a_credential_or_tenant_header_sent_twice_with_different_values_is_refused(world: World) -> None:
    """Which of two tokens (or two organisations) would authorise the request? Neither: 400, nothing done."""
    good, other = bearer(token())["Authorization"], bearer(token(org=OTHER))["Authorization"]
    tmf = "/tmf-api/productCatalogManagement/v4/productOffering"
    xcore = f"/data/core/xcore/{world.container}/instances"
    sandbox = ("x-sandbox-name", TENANT["x-sandbox-name"])
    cases = [
        (tmf, [("Authorization", good), ("Authorization", other)]),
        (tmf, [("Authorization", other), ("Authorization", good)]),
        (xcore, [*TENANT.items(), ("Authorization", good), ("Authorization", other)]),
        (xcore, [("Authorization", good), ("x-gw-ims-org-id", OTHER), *TENANT.items()]),
        (xcore, [("Authorization", good), *TENANT.items(), ("x-sandbox-name", "another-sandbox")]),
        (
            xcore,
            [
                ("Authorization", good),
                ("x-gw-ims-org-id", ORG),
                sandbox,
                ("x-api-key", "a"),
                ("x-api-key", "b"),
            ],
        ),
    ]
    for path, headers in cases:
        before = dump(world.path)
        response = world.client.post(path, headers=headers, content=b"{}")
        assert response.status_code == 400, (headers, response.text)
        body = response.json()
        assert body["code"] == "ambiguous_header", body
        assert "sent more than once with different values" in (body.get("message") or body["detail"])
        assert dump(world.path) == before
    same = world.client.get(tmf, headers=[("Authorization", good), ("Authorization", good)])
    assert same.status_code == 200, same.text


def test_a_route_without_a_declared_scope_stops_the_app() -> None:
    from starlette.routing import Mount, Route

    async def endpoint(request: Any) -> Any:  # pragma: no cover - never called
        return None

    check_declared([Route("/health", endpoint)])
    with pytest.raises(RuntimeError, match="GET /admin/secret"):
        check_declared([Mount("/admin", routes=[Route("/secret", endpoint)])])


def test_writes_are_recorded_under_the_verified_principal(world: World) -> None:
    """A token's subject and client id are recorded, whatever unverified header comes along."""
    headers = {
        **TENANT,
        **bearer(token(sub="carol@acme.example", azp="crm-sync")),
        "x-api-key": "someone-else",
        "Content-Type": instance_type("tag"),
        "Accept": RECEIPT,
    }
    receipt = world.client.post(
        f"/data/core/xcore/{world.container}/instances", headers=headers, json={"xdm:name": "audited"}
    ).json()
    assert (receipt["repo:createdBy"], receipt["repo:createdByClientId"]) == (
        "carol@acme.example",
        "crm-sync",
    )
    key = make_key(world.store, scopes=("catalog:write",))
    keyed = {**TENANT, "x-api-key": key, "Content-Type": instance_type("tag"), "Accept": RECEIPT}
    receipt = world.client.post(
        f"/data/core/xcore/{world.container}/instances", headers=keyed, json={"xdm:name": "by key"}
    ).json()
    assert (receipt["repo:createdBy"], receipt["repo:createdByClientId"]) == ("tests", key.split("_")[1])


def test_tmf620_writes_are_recorded_under_the_verified_principal(world: World) -> None:
    """TMF620 create, patch and delete record the token's subject and client, never a header."""
    headers = {**bearer(token(sub="dave@acme.example", azp="cpq")), "x-api-key": "someone-else"}
    po = "/tmf-api/productCatalogManagement/v4/productOffering"
    created = world.client.post(po, headers=headers, json={"name": "audited"})
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    assert world.client.patch(f"{po}/{ident}", headers=headers, json={"name": "audited 2"}).status_code == 200
    assert world.client.delete(f"{po}/{ident}", headers=headers).status_code == 204
    # History holds the past versions; the current one (here the deletion) is the documents row.
    rows = sqlite3.connect(world.path).execute(
        "SELECT version, created_by, modified_by, modified_by_client FROM document_versions WHERE id = ?"
        " UNION ALL SELECT version, created_by, modified_by, modified_by_client FROM documents WHERE id = ?"
        " ORDER BY version",
        (ident, ident),
    )
    assert [tuple(r) for r in rows] == [
        (1, "dave@acme.example", "dave@acme.example", "cpq"),
        (2, "dave@acme.example", "dave@acme.example", "cpq"),
        (3, "dave@acme.example", "dave@acme.example", "cpq"),
    ]


def test_an_unconfigured_service_refuses_remote_callers(tmp_path: Path) -> None:
    """No authentication configured: loopback callers only (unless insecure)."""
    from offer_catalog.settings import load_settings

    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    store.migrate()
    settings = load_settings({"database_url": "sqlite:///unused.db"}, environ={})
    for client_address, status in ((("203.0.113.9", 5000), 403), (("127.0.0.1", 5000), 200)):
        with TestClient(create_app(settings, store=store), client=client_address) as client:
            assert client.get("/tmf-api/productCatalogManagement/v4/catalog").status_code == status
    insecure = load_settings({"database_url": "sqlite:///unused.db", "insecure": True}, environ={})
    with TestClient(create_app(insecure, store=store), client=("203.0.113.9", 5000)) as client:
        assert client.get("/tmf-api/productCatalogManagement/v4/catalog").status_code == 200
    store.close()
