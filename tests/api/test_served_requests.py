"""`ServedRequests` (trace context, request id, access log and metrics in one layer) answers, logs and
counts exactly as the two layers it stands in for: `MetricsMiddleware` around `RequestContextMiddleware`
(the stack the service still runs when CORS sits between them).

The service is built twice on one store, once as it runs and once with the two layers put back; the
same requests (found, not found, wrong method, bad body, with and without a caller's request id and
traceparent, an endpoint that fails) must get the same status, headers and body, the same access
lines (the trace id included) and the same metric increments from both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.http import RequestContextMiddleware
from offer_catalog.logs import JsonFormatter
from offer_catalog.metrics import MetricsMiddleware
from offer_catalog.ops import ServedRequests
from offer_catalog.settings import load_settings
from offer_catalog.store import Store

V4 = "/tmf-api/productCatalogManagement/v4"
TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _two_layers(app: Starlette) -> Starlette:
    """The app with the metrics and the request context as two middleware layers."""
    stack = app.user_middleware
    at = next(i for i, m in enumerate(stack) if m.cls is ServedRequests)
    access_log = stack[at].kwargs["access_log"]
    stack[at : at + 1] = [
        Middleware(MetricsMiddleware),
        Middleware(RequestContextMiddleware, access_log=access_log),
    ]
    app.middleware_stack = app.build_middleware_stack()
    return app


class Lines(logging.Handler):
    """Access lines as the JSON formatter writes them (at emit time: the request's trace context)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = orjson.loads(self.format(record))
        for varying in ("time", "duration_ms"):
            line.pop(varying)
        self.lines.append(line)


def _counts() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in REGISTRY.collect()
        if family.name.startswith("offer_catalog_http_request")
        for s in family.samples
        if s.name.endswith(("_total", "_count"))
    }


def _requests(client: TestClient, lines: Lines, item: str) -> tuple[list[Any], dict[Any, float]]:
    """Send the requests; (every answer and access line, the metric increments they made)."""
    before = _counts()
    answers: list[Any] = []
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", item, {"headers": {"X-Request-ID": "r1"}}),
        ("GET", item, {"headers": {"X-Request-ID": "r2", "traceparent": TRACE}}),
        ("HEAD", item, {"headers": {"X-Request-ID": "r3"}}),
        ("GET", f"{V4}/category/nothing", {"headers": {"X-Request-ID": "r4", "traceparent": TRACE}}),
        ("PUT", item, {"headers": {"X-Request-ID": "r5"}}),
        (
            "PATCH",
            item,
            {"content": b"{", "headers": {"X-Request-ID": "r6", "Content-Type": "application/json"}},
        ),
        ("GET", "/health", {"headers": {"X-Request-ID": "x" * 300, "traceparent": TRACE}}),
        ("GET", "/no/such/path", {"headers": {"X-Request-ID": "r7", "traceparent": "garbage"}}),
        ("GET", "/ready", {"headers": {"X-Request-ID": "r8"}}),
        ("GET", "/health", {}),  # no id given: a new one
    ]
    for method, url, kwargs in calls:
        response = client.request(method, url, **kwargs)
        headers = response.headers.multi_items()
        if "X-Request-ID" not in kwargs.get("headers", {}):
            made = response.headers["x-request-id"]
            assert len(made) == 32 and made == lines.lines[-1]["request_id"]  # returned and logged
            headers = [(k, "new" if v == made else v) for k, v in headers]
            lines.lines[-1]["request_id"] = "new"
        answers.append((method, url, response.status_code, headers, response.content))
    for line in lines.lines:
        if line["trace_id"] != TRACE.split("-")[1]:  # a new trace id for a request without a valid one
            assert len(line["trace_id"]) == 32 and "parent_span_id" not in line
            line["trace_id"] = "new"
    answers.extend(lines.lines)
    after = _counts()
    return answers, {key: after[key] - before.get(key, 0.0) for key in after if after[key] != before.get(key)}


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("offer_catalog.access")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def test_one_layer_answers_logs_and_counts_as_the_two(store: Store, lines: Lines) -> None:
    settings = load_settings({"database_url": "sqlite:///unused.db", "access_log": True}, environ={})
    with TestClient(create_app(settings, store=store)) as client:
        created = client.post(f"{V4}/category", json={"name": "Plans"})
        assert created.status_code == 201
    item = f"{V4}/category/{created.json()['id']}"
    runs = []
    for app in (create_app(settings, store=store), _two_layers(create_app(settings, store=store))):
        with TestClient(app, raise_server_exceptions=False) as client:
            logging.getLogger("offer_catalog").setLevel(logging.INFO)
            lines.lines.clear()
            runs.append(_requests(client, lines, item))
    (one, one_counts), (two, two_counts) = runs
    assert one == two
    assert one_counts == two_counts
    # What the comparison covers is there to compare: ids, trace ids, statuses, the series.
    logged = [line for line in one if isinstance(line, dict)]
    assert {line["request_id"] for line in logged} >= {"r1", "r2", "r8", "x" * 200}
    traced = [line for line in logged if line["request_id"] in ("r2", "r4", "x" * 200)]
    assert [line["trace_id"] for line in traced] == ["4bf92f3577b34da6a3ce929d0e0e4736"] * 3
    assert {line["status"] for line in logged} == {200, 404, 405, 400}
    assert (
        one_counts[
            (
                "offer_catalog_http_requests_total",
                (("method", "GET"), ("route", f"{V4}/category/{{id}}"), ("status", "200")),
            )
        ]
        == 2
    )


def test_the_service_runs_one_layer_without_cors_and_two_with(store: Store) -> None:
    plain = create_app(load_settings({"database_url": "sqlite:///unused.db"}, environ={}), store=store)
    cors = create_app(
        load_settings(
            {"database_url": "sqlite:///unused.db", "cors_origins": "https://ui.example"}, environ={}
        ),
        store=store,
    )
    assert [m.cls for m in plain.user_middleware][:1] == [ServedRequests]
    names = [getattr(m.cls, "__name__", "") for m in cors.user_middleware]
    assert names[:3] == ["MetricsMiddleware", "CORSMiddleware", "RequestContextMiddleware"]
