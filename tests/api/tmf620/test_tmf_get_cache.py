"""GET one resource with the representation cache: the same answers as without it, a write seen at once.

Over HTTP on SQLite (a real file) and PostgreSQL: a repeated GET answers the same bytes and headers;
after a PATCH, a new entity version or a DELETE the GET answers the change; base paths, releases,
member-name styles, `fields` selections and tenants never share an answer; the cache switched off
(`get_cache_entries` 0) answers the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.auth_support import bearer, jwt_settings, token
from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store
from support.tmf620 import ORA, STD, Make

V5 = "/tmf-api/productCatalogManagement/v5/"
V5_ORA = "/productCatalogManagement/v5/"
BASES = (STD, ORA, V5, V5_ORA)


def _answer(response: Any) -> tuple[int, bytes, list[tuple[str, str]]]:
    """What a client sees, but for the request id (a new one per request)."""
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "x-request-id"]
    return response.status_code, response.content, headers


def _offering(make: Make) -> dict[str, Any]:
    return make(
        description="first",
        version="1.0",
        productOfferingPrice=[{"id": "p1", "name": "monthly"}],
        validFor={"startDateTime": "2026-01-01T00:00:00Z"},
    )


def test_repeated_get_answers_the_same_bytes(client: TestClient, make: Make) -> None:
    id = _offering(make)["id"]
    for base in BASES:
        for query in ("", "?fields=name", "?fields=name,description", "?fields=productOfferingPrice.name"):
            url = f"{base}productOffering/{id}{query}"
            first = _answer(client.get(url))
            assert first[0] == 200
            assert [_answer(client.get(url)) for _ in range(3)] == [first] * 3


def test_variants_never_share_an_answer(client: TestClient, oracle_client: TestClient, make: Make) -> None:
    id = _offering(make)["id"]
    seen: dict[bytes, str] = {}
    for base in BASES:
        for query in ("", "?fields=name", "?fields=description"):
            url = f"{base}productOffering/{id}{query}"
            body = client.get(url).content
            assert body not in seen, (url, seen.get(body))
            seen[body] = url
            assert f'"href":"{base}productOffering/'.encode() in body
    names = client.get(f"{STD}productOffering/{id}").json()
    assert names["@type"] == "ProductOffering" and "atType" not in names
    oracle = oracle_client.get(f"{STD}productOffering/{id}").json()
    assert oracle["atType"] == "ProductOffering" and "@type" not in oracle
    fields = client.get(f"{STD}productOffering/{id}?fields=description").json()
    assert set(fields) == {"id", "href", "description"}


def test_a_patch_is_seen_at_once(client: TestClient, make: Make) -> None:
    id = _offering(make)["id"]
    for round in range(3):
        for base in BASES:
            for query in ("", "?fields=description"):
                assert client.get(f"{base}productOffering/{id}{query}").status_code == 200
        described = f"changed {round}"
        patched = client.patch(f"{STD}productOffering/{id}", json={"description": described})
        assert patched.status_code == 200, patched.text
        for base in BASES:
            for query in ("", "?fields=description"):
                got = client.get(f"{base}productOffering/{id}{query}")
                assert got.json()["description"] == described
                assert got.headers["etag"] == patched.headers["etag"]
                assert _answer(client.get(f"{base}productOffering/{id}{query}")) == _answer(got)


def test_a_new_entity_version_and_the_old_one(client: TestClient, make: Make) -> None:
    id = _offering(make)["id"]
    assert client.get(f"{STD}productOffering/{id}").json()["version"] == "1.0"
    again = client.post(f"{STD}productOffering", json={"id": id, "name": "second", "version": "2.0"})
    assert again.status_code == 201, again.text
    now = client.get(f"{STD}productOffering/{id}").json()
    assert (now["version"], now["name"]) == ("2.0", "second")
    old = client.get(f"{STD}productOffering/{id}?version=1.0")
    assert old.status_code == 200 and old.json()["name"] == "an offering"
    assert old.json()["href"].endswith("?version=1.0")
    assert client.get(f"{STD}productOffering/{id}?version=1.0").content == old.content


def test_a_delete_is_seen_at_once(client: TestClient, make: Make) -> None:
    id = _offering(make)["id"]
    for base in BASES:
        assert client.get(f"{base}productOffering/{id}").status_code == 200
    assert client.delete(f"{STD}productOffering/{id}").status_code == 204
    for base in BASES:
        assert client.get(f"{base}productOffering/{id}").status_code == 404
    made = client.post(f"{STD}productOffering", json={"id": id, "name": "made again"})
    assert made.status_code == 201, made.text
    for base in BASES:
        got = client.get(f"{base}productOffering/{id}")
        assert got.status_code == 200 and got.json()["name"] == "made again"


def test_a_not_modified_answer_is_unchanged(client: TestClient, make: Make) -> None:
    id = _offering(make)["id"]
    first = client.get(f"{STD}productOffering/{id}")
    again = client.get(f"{STD}productOffering/{id}", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]


def test_tenants_never_share_an_answer(store: Store) -> None:
    with TestClient(create_app(jwt_settings(), store=store), raise_server_exceptions=False) as client:
        orgs = ("ALPHA@AdobeOrg", "BETA@AdobeOrg")
        headers = {org: {**bearer(token(sub=f"user@{org}", org=org)), "x-gw-ims-org-id": org} for org in orgs}
        for org in orgs:
            made = client.post(
                f"{STD}productOffering", headers=headers[org], json={"id": "shared-id", "name": f"of {org}"}
            )
            assert made.status_code == 201, made.text
        for _ in range(3):
            for org in orgs:
                got = client.get(f"{STD}productOffering/shared-id", headers=headers[org])
                assert got.status_code == 200 and got.json()["name"] == f"of {org}"
        assert client.delete(f"{STD}productOffering/shared-id", headers=headers[orgs[0]]).status_code == 204
        assert client.get(f"{STD}productOffering/shared-id", headers=headers[orgs[0]]).status_code == 404
        got = client.get(f"{STD}productOffering/shared-id", headers=headers[orgs[1]])
        assert got.status_code == 200 and got.json()["name"] == f"of {orgs[1]}"


@pytest.fixture
def uncached_client(store: Store) -> Iterator[TestClient]:
    """A client on an app with the representation cache switched off."""
    settings = load_settings({"database_url": "sqlite:///unused.db", "get_cache_entries": 0}, environ={})
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as test_client:
        yield test_client


def test_the_cache_switched_off_answers_the_same(
    client: TestClient, uncached_client: TestClient, make: Make
) -> None:
    id = _offering(make)["id"]
    for base in BASES:
        for query in ("", "?fields=name"):
            url = f"{base}productOffering/{id}{query}"
            cached = [_answer(client.get(url)) for _ in range(2)]
            assert [_answer(uncached_client.get(url)) for _ in range(2)] == cached
    patched = uncached_client.patch(f"{STD}productOffering/{id}", json={"description": "by the other app"})
    assert patched.status_code == 200
    # The other app (another process or worker) wrote: this one's cached answer is not served.
    got = client.get(f"{STD}productOffering/{id}")
    assert got.json()["description"] == "by the other app"
    assert got.headers["etag"] == patched.headers["etag"]
