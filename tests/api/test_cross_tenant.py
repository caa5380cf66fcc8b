"""Two organisations share a deployment: nothing one sends reaches the other's documents (OWASP API1).

Every read, list, filter, search, patch, put, delete, history, decision and diagnostics call made
by organisation B with A's identifiers answers 404 or 403, no body ever holds A's data, and A's
documents are unchanged afterwards. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.auth_support import AuthedHttp, bearer, jwt_settings, token
from api.decisioning.dec_support import build_catalog, decision_request, profile
from offer_catalog.app import create_app
from offer_catalog.store import Store
from support.offer_library import HAL, PATCH_HAL, RECEIPT, RESULTS, instance_type, make_container

SANDBOX = "prod"
MARKER = "alpha-secret"
XCORE = "/data/core/xcore"
TMF_BASES = ("/tmf-api/productCatalogManagement/v4", "/productCatalogManagement/v4")
DECISION_TYPE = (
    'application/vnd.adobe.xdm+json; schema="https://ns.adobe.com/experience/offer-management/'
    'decision-request;version=1.0"'
)


@dataclass
class Tenant:
    """One organisation's credentials and identifiers."""

    org: str
    headers: dict[str, str]
    container: str
    instances: list[str]
    activity: str
    placement: str
    offering: str
    cursor_href: str


def _tenant(client: TestClient, store: Store, org: str, marker: str) -> Tenant:
    headers = {**bearer(token(sub=f"user@{org}", org=org)), "x-gw-ims-org-id": org, "x-sandbox-name": SANDBOX}
    container = make_container(store, org, SANDBOX)
    catalog = build_catalog(AuthedHttp(client, headers), container)
    sent = {**headers, "Content-Type": instance_type("tag"), "Accept": RECEIPT}
    instances = [
        client.post(
            f"{XCORE}/{container}/instances", headers=sent, json={"xdm:name": f"{marker}-{i}"}
        ).json()["instanceId"]
        for i in range(3)
    ]
    page = client.get(
        f"{XCORE}/{container}/instances",
        params={"schema": "https://ns.adobe.com/experience/offer-management/tag;version=0.1", "limit": 1},
        headers={**headers, "Accept": f'{HAL}; schema="{RESULTS}"'},
    )
    assert page.status_code == 200, page.text
    cursor_href = page.json()["_links"]["next"]["href"]
    offering = client.post(
        f"{TMF_BASES[0]}/productOffering", headers=headers, json={"name": f"{marker}-offer"}
    )
    assert offering.status_code == 201, offering.text
    return Tenant(
        org,
        headers,
        container,
        instances,
        catalog["main"],
        catalog["web"],
        offering.json()["id"],
        cursor_href,
    )


@pytest.fixture
def pair(store: Store) -> Iterator[tuple[TestClient, Tenant, Tenant]]:
    with TestClient(create_app(jwt_settings(), store=store), raise_server_exceptions=False) as client:
        alpha = _tenant(client, store, "ALPHA@AdobeOrg", MARKER)
        beta = _tenant(client, store, "BETA@AdobeOrg", "beta-own")
        yield client, alpha, beta


def _calls(a: Tenant, b: Tenant) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation B can aim at A's identifiers: (method, url, request options)."""
    instance = a.instances[0]
    patch = [{"op": "replace", "path": "/_instance/xdm:name", "value": "stolen"}]
    decision = json.dumps(decision_request(a.activity, a.placement, profile("p1")))
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"{XCORE}/containers/{a.container}", {}),
        ("GET", f"{XCORE}/{a.container}/instances", {}),
        ("GET", f"{XCORE}/{a.container}/instances", {"params": {"property": f"xdm:name=={MARKER}-0"}}),
        ("GET", f"{XCORE}/{a.container}/queries/core/search", {"params": {"q": MARKER}}),
        ("GET", f"{XCORE}/{a.container}/instances/{instance}", {}),
        ("GET", f"{XCORE}/{b.container}/instances/{instance}", {}),
        ("GET", a.cursor_href, {}),
        ("PATCH", f"{XCORE}/{a.container}/instances/{instance}", {"json": patch, "ct": PATCH_HAL}),
        ("PATCH", f"{XCORE}/{b.container}/instances/{instance}", {"json": patch, "ct": PATCH_HAL}),
        (
            "PUT",
            f"{XCORE}/{a.container}/instances/{instance}",
            {"json": {"_instance": {"xdm:name": "x"}}, "ct": HAL},
        ),
        (
            "PUT",
            f"{XCORE}/{b.container}/instances/{instance}",
            {"json": {"_instance": {"xdm:name": "x"}}, "ct": HAL},
        ),
        ("DELETE", f"{XCORE}/{a.container}/instances/{instance}", {}),
        ("DELETE", f"{XCORE}/{b.container}/instances/{instance}", {}),
        ("POST", f"/data/core/ode/{a.container}/decisions", {"content": decision, "ct": DECISION_TYPE}),
        ("POST", f"/data/core/ode/{b.container}/decisions", {"content": decision, "ct": DECISION_TYPE}),
        ("POST", "/data/core/ods/decisions", {"content": decision, "ct": DECISION_TYPE}),
        ("GET", f"/data/core/ode/{a.container}/diagnostics", {}),
    ]
    for base in TMF_BASES:
        resource = f"{base}/productOffering/{a.offering}"
        calls += [
            ("GET", resource, {}),
            ("GET", f"{resource}/history", {}),
            ("GET", f"{resource}/history/1", {}),
            ("PATCH", resource, {"json": {"name": "stolen"}, "ct": "application/merge-patch+json"}),
            ("DELETE", resource, {}),
        ]
    return calls


def _send(client: TestClient, method: str, url: str, headers: dict[str, str], options: dict[str, Any]) -> Any:
    options = dict(options)
    sent = dict(headers)
    if "ct" in options:
        sent["Content-Type"] = options.pop("ct")
    if "json" in options:
        options["content"] = json.dumps(options.pop("json"))
    return client.request(method, url, headers=sent, **options)


def _alpha_state(client: TestClient, a: Tenant) -> list[str]:
    urls = [f"{XCORE}/{a.container}/instances/{i}" for i in a.instances]
    urls.append(f"{TMF_BASES[0]}/productOffering/{a.offering}")
    return [client.get(url, headers=a.headers).text for url in urls]


def test_one_organisation_never_reaches_another(pair: tuple[TestClient, Tenant, Tenant]) -> None:
    client, alpha, beta = pair
    before = _alpha_state(client, alpha)
    assert all(MARKER in text for text in before)
    for method, url, options in _calls(alpha, beta):
        own = _send(client, method, url, beta.headers, options)
        assert own.status_code in (403, 404, 422), (method, url, own.status_code, own.text)
        assert MARKER not in own.text, (method, url)
        claimed = {**beta.headers, "x-gw-ims-org-id": alpha.org}
        forged = _send(client, method, url, claimed, options)
        assert forged.status_code == 403, (method, url, forged.text)
        assert MARKER not in forged.text
    assert _alpha_state(client, alpha) == before


def test_lists_filters_and_searches_show_only_the_callers_documents(
    pair: tuple[TestClient, Tenant, Tenant],
) -> None:
    client, alpha, beta = pair
    accept = {"Accept": f'{HAL}; schema="{RESULTS}"'}
    responses = [
        client.get(f"{XCORE}/", headers=beta.headers),
        client.get(f"{XCORE}/{beta.container}/instances", headers={**beta.headers, **accept}),
        client.get(
            f"{XCORE}/{beta.container}/queries/core/search", params={"q": "secret"}, headers=beta.headers
        ),
    ]
    for base in TMF_BASES:
        responses += [
            client.get(f"{base}/productOffering", headers=beta.headers),
            client.get(f"{base}/productOffering", params={"name": f"{MARKER}-offer"}, headers=beta.headers),
            client.get(f"{base}/productOffering", params={"id": alpha.offering}, headers=beta.headers),
        ]
    for response in responses:
        assert response.status_code == 200, response.text
        assert MARKER not in response.text and alpha.offering not in response.text
        assert alpha.container not in response.text
    own = client.get(f"{TMF_BASES[0]}/productOffering", headers=beta.headers).json()
    assert [o["name"] for o in own] == ["beta-own-offer"]
