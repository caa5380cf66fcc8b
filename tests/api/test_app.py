"""The app skeleton: health, readiness, request ids, access log, generic errors."""

from __future__ import annotations

import json
import logging

import pytest
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store, open_store
from support import postgres


def test_health_and_ready(client: TestClient, store: Store) -> None:
    health = client.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "store": store.dialect}


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    echoed = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    made = client.get("/health")
    assert len(made.headers["x-request-id"]) == 32
    assert made.headers["x-request-id"] != client.get("/health").headers["x-request-id"]


def test_unknown_path_is_problem_json(client: TestClient) -> None:
    response = client.get("/no/such/thing", headers={"X-Request-ID": "r1"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"], body["requestId"]) == (404, "not_found", "r1")


def test_wrong_method_is_405(client: TestClient) -> None:
    response = client.post("/health")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_one_access_log_line_per_request(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("offer_catalog")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="offer_catalog.access"):
            client.get("/health", headers={"X-Request-ID": "log-me"})
    finally:
        logger.removeHandler(caplog.handler)
    lines = [r for r in caplog.records if r.name == "offer_catalog.access"]
    assert len(lines) == 1
    record = lines[0]
    assert (record.request_id, record.method, record.path, record.status) == ("log-me", "GET", "/health", 200)  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_ready_reports_a_database_that_went_away(postgres_db: str) -> None:
    admin = postgres.admin_url()
    assert admin is not None
    url = postgres.create_database(admin)
    store = open_store(url, pool_size=1)
    app = create_app(load_settings(environ={}), store=store)
    try:
        with TestClient(app) as client:
            assert client.get("/ready").status_code == 200
            postgres.drop_database(admin, url)
            response = client.get("/ready")
    finally:
        store.close()
    assert response.status_code == 503
    assert json.loads(response.text)["status"] == "unavailable"
