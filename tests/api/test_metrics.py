"""/metrics in the Prometheus text format; trace context in logs; CORS; the API documentation pages."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store

TMF = "/tmf-api/productCatalogManagement/v4"


def samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics, parsed by the Prometheus client's own text parser."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template_and_status(client: TestClient, store: Store) -> None:
    before = samples(client)
    for _ in range(3):
        assert client.get("/ready").status_code == 200
    assert client.get(f"{TMF}/productOffering/no-such-id-1").status_code == 404
    assert client.get(f"{TMF}/productOffering/no-such-id-2").status_code == 404
    assert client.get("/no/such/path").status_code == 404
    after = samples(client)

    ready = {"method": "GET", "route": "/ready", "status": "200"}
    assert (
        value(after, "offer_catalog_http_requests_total", **ready)
        - value(before, "offer_catalog_http_requests_total", **ready)
        == 3
    )
    assert (
        value(after, "offer_catalog_http_request_duration_seconds_count", **ready)
        - value(before, "offer_catalog_http_request_duration_seconds_count", **ready)
        == 3
    )
    offering = {"method": "GET", "route": f"{TMF}/productOffering/{{id}}", "status": "404"}
    assert (
        value(after, "offer_catalog_http_requests_total", **offering)
        - value(before, "offer_catalog_http_requests_total", **offering)
        == 2
    )
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert value(after, "offer_catalog_http_requests_total", **unmatched) >= 1
    # No label carries an instance id: cardinality stays bounded by the route table.
    assert not any("no-such-id" in v for (_, labels) in after for _, v in labels)
    reads = {"dialect": store.dialect, "mode": "read"}
    assert value(after, "offer_catalog_store_unit_duration_seconds_count", **reads) > value(
        before, "offer_catalog_store_unit_duration_seconds_count", **reads
    )


def test_a_caller_trace_id_is_kept_and_a_bad_one_replaced(client: TestClient) -> None:
    from offer_catalog.tracing import parse_traceparent

    good = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert parse_traceparent(good) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    for bad in (
        b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        b"not a traceparent",
    ):
        assert parse_traceparent(bad) is None
    assert client.get("/health", headers={"traceparent": "garbage"}).status_code == 200


@pytest.fixture
def cors_client(sqlite_store: Store) -> Iterator[TestClient]:
    settings = load_settings(
        {"database_url": "sqlite:///unused.db", "cors_origins": "https://ui.example, https://b.example"},
        environ={},
    )
    with TestClient(create_app(settings, store=sqlite_store)) as test_client:
        yield test_client


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.options(
        "/ready", headers={"Origin": "https://ui.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in response.headers
    got = client.get("/ready", headers={"Origin": "https://ui.example"})
    assert "access-control-allow-origin" not in got.headers


def test_cors_allows_the_configured_origins_only(cors_client: TestClient) -> None:
    preflight = cors_client.options(
        "/data/core/xcore/",
        headers={"Origin": "https://ui.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://ui.example"
    other = cors_client.options(
        "/ready", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert other.status_code == 400
    simple = cors_client.get("/ready", headers={"Origin": "https://b.example"})
    assert simple.headers["access-control-allow-origin"] == "https://b.example"
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


def test_each_api_has_a_browsable_page_on_local_assets(client: TestClient) -> None:
    index = client.get("/docs")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    pages = ["offer-library", "decisioning", "tmf620", "tmf620-oracle"]
    for name in pages:
        assert f'href="/docs/{name}"' in index.text
        page = client.get(f"/docs/{name}")
        assert page.status_code == 200
        assert "https://" not in page.text  # nothing from a CDN
        spec_url = page.text.split('url: "', 1)[1].split('"', 1)[0]
        spec = client.get(spec_url)
        assert spec.status_code == 200, spec_url
        assert "openapi" in spec.json() or "swagger" in spec.json()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        got = client.get(f"/docs/assets/{asset}")
        assert got.status_code == 200 and len(got.content) > 10_000
    assert client.get("/docs/no-such-api").status_code == 404


def test_outbox_lag_is_observed_for_every_relayed_write(client: TestClient) -> None:
    before = value(samples(client), "offer_catalog_outbox_lag_seconds_count")
    for n in range(3):
        assert client.post(f"{TMF}/productOffering", json={"name": f"lag {n}"}).status_code == 201
    deadline = time.monotonic() + 20
    relayed = before
    while relayed - before < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
        relayed = value(samples(client), "offer_catalog_outbox_lag_seconds_count")
    assert relayed - before >= 3
    assert value(samples(client), "offer_catalog_outbox_lag_seconds_sum") >= 0
