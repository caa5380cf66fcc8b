"""A query string past `max_query_bytes` is 400 `query_too_long` on every API, in the API's own error body,
before anything is read or written; one at the limit is read as usual."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.errors import SettingsError
from offer_catalog.settings import load_settings
from offer_catalog.store import Store
from support.offer_library import BASE as XCORE
from support.offer_library import auth

V4 = "/tmf-api/productCatalogManagement/v4/productOffering"
V5 = "/tmf-api/productCatalogManagement/v5/productOffering"
LIMIT = 300


def _query(size: int) -> str:
    """A query string of exactly `size` bytes that every API reads without complaint otherwise."""
    return "limit=5&" + "z=" + "x" * (size - len("limit=5&z="))


@pytest.fixture
def small(store: Store) -> Iterator[TestClient]:
    """The app with a query-string limit of LIMIT bytes."""
    settings = load_settings({"database_url": "sqlite:///unused.db", "max_query_bytes": LIMIT}, environ={})
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("base", [V4, V5])
def test_tmf620_answers_a_tmf_error(small: TestClient, base: str) -> None:
    assert small.get(f"{base}?{_query(LIMIT)}").status_code == 200
    response = small.get(f"{base}?{_query(LIMIT + 1)}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["code"], body["status"], body["@type"]) == ("query_too_long", "400", "Error")
    assert str(LIMIT) in body["message"]
    # a write with a long query string is refused before its body is read: nothing is stored
    created = small.post(f"{base}?{_query(LIMIT + 1)}", json={"name": "Plan", "lifecycleStatus": "In study"})
    assert (created.status_code, created.json()["code"]) == (400, "query_too_long")
    assert small.get(base).json() == []


@pytest.mark.parametrize(
    "path", [f"{XCORE}/some-container/instances", "/data/core/ode/some-container/offers"]
)
def test_offer_library_and_decisioning_answer_problem_json(small: TestClient, path: str) -> None:
    within = small.get(f"{path}?{_query(LIMIT)}", headers=auth())
    assert within.status_code != 400 or within.json()["code"] != "query_too_long"
    response = small.get(f"{path}?{_query(LIMIT + 1)}", headers=auth())
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "query_too_long"


def test_the_default_is_16_kib(client: TestClient) -> None:
    assert client.get(f"{V4}?{_query(16 * 1024)}").status_code == 200
    response = client.get(f"{V4}?{_query(16 * 1024 + 1)}")
    assert (response.status_code, response.json()["code"]) == (400, "query_too_long")


def test_the_setting_must_be_positive() -> None:
    with pytest.raises(SettingsError):
        load_settings({"max_query_bytes": 0}, environ={})
    assert load_settings({}, environ={"OFFER_CATALOG_MAX_QUERY_BYTES": "4096"}).max_query_bytes == 4096
