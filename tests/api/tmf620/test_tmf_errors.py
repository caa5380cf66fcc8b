"""Every error status is a TMF Error body: 400, 401, 403, 404, 405, 409, 412, 415, 500."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from offer_catalog.tmf620 import service
from offer_catalog.tmf620.errors import TmfError
from support.tmf620 import ORA, STD, assert_error


def test_400_bad_body_and_query(client: TestClient) -> None:
    assert_error(client.post(f"{STD}productOffering", content=b"[1,2"), 400, "invalid_json")
    assert_error(client.post(f"{STD}productOffering", json=[{"name": "x"}]), 400, "invalid_body")
    assert_error(client.get(f"{STD}productOffering?limit=ten"), 400, "invalid_query:limit")


def test_401_for_a_malformed_authorization_header(client: TestClient) -> None:
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "token", "Bearer a b"):
        response = client.get(f"{STD}productOffering", headers={"Authorization": header})
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")
    ok = client.get(f"{STD}productOffering", headers={"Authorization": "Bearer 1321321"})
    assert ok.status_code == 200


def test_403_is_reserved_and_renders_as_a_tmf_error() -> None:
    body = TmfError(403, "forbidden", "no access").body()
    assert body == {
        "code": "forbidden",
        "reason": "Forbidden",
        "message": "no access",
        "status": "403",
        "@type": "Error",
    }


@pytest.mark.parametrize(
    "path",
    [
        "",
        "nothing",
        "importJob/x/y",
        "hub/x/y",
        "productOffering/x/y",
        "productOffering/x/history/1/z",
        "productOffering//history",
    ],
)
def test_404_for_unknown_paths_under_both_bases(client: TestClient, path: str) -> None:
    for base in (STD, ORA):
        assert_error(client.get(base + path), 404, "not_found")
    assert_error(client.get(STD.rstrip("/")), 404, "not_found")


def test_404_for_unknown_ids(client: TestClient) -> None:
    assert_error(client.get(f"{STD}productOffering/279edf2b-0130-4c8f-8277-f81daa05d87d"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "productOffering/x", "DELETE, GET, HEAD, PATCH"),
        ("POST", "productOffering/x", "DELETE, GET, HEAD, PATCH"),
        ("PATCH", "productOffering", "GET, HEAD, POST"),
        ("DELETE", "catalog", "GET, HEAD, POST"),
        ("OPTIONS", "category", "GET, HEAD, POST"),
        ("POST", "productOffering/x/history", "GET, HEAD"),
        ("DELETE", "openapi.json", "GET, HEAD"),
    ],
)
def test_405_with_allow(client: TestClient, method: str, path: str, allowed: str) -> None:
    response = client.request(method, STD + path)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed


def test_409_id_taken(client: TestClient) -> None:
    assert client.post(f"{STD}catalog", json={"id": "c", "name": "x"}).status_code == 201
    assert_error(client.post(f"{STD}catalog", json={"id": "c", "name": "x"}), 409, "already_exists")


def test_412_and_a_patch_target_missing(client: TestClient) -> None:
    href = client.post(f"{STD}catalog", json={"name": "x"}).json()["href"]
    assert_error(
        client.patch(href, json={"name": "y"}, headers={"If-Match": '"5"'}), 412, "precondition_failed"
    )
    patch = b'[{"op": "replace", "path": "/missing", "value": 1}]'
    response = client.patch(href, content=patch, headers={"Content-Type": "application/json-patch+json"})
    assert_error(response, 409, "path_not_found")


def test_415_on_create(client: TestClient) -> None:
    response = client.post(
        f"{STD}catalog", content=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_error(response, 415, "unsupported_media_type")


def test_500_for_unexpected_failures(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "get", explode)
    response = client.get(f"{STD}catalog/x", headers={"X-Request-ID": "req-500"})
    body = assert_error(response, 500, "internal_error")
    assert "boom" not in body["message"] and response.headers["x-request-id"] == "req-500"


def test_errors_use_oracle_names_when_configured(oracle_client: TestClient) -> None:
    body = oracle_client.get(f"{ORA}productOffering/none").json()
    assert body["atType"] == "Error" and "@type" not in body
