"""Prometheus metrics: requests by route template, store latency, decisions, snapshot builds; /metrics.

The metric objects live in the client library's default registry (defined once per process). With
several uvicorn workers, `serve` sets PROMETHEUS_MULTIPROC_DIR before the workers start: each worker
writes its samples there and /metrics (answered by any worker) adds up every worker's files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as render
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4 as CONTENT_TYPE
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from offer_catalog.documents.model import Document
from offer_catalog.logs import TRACE_CONTEXT
from offer_catalog.store.base import BulkLoader, Store, UnitOfWork
from offer_catalog.tracing import trace_context

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "<unmatched>"

REQUESTS = Counter("offer_catalog_http_requests", "HTTP requests answered", ["method", "route", "status"])
REQUEST_SECONDS = Histogram(
    "offer_catalog_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route", "status"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
STORE_SECONDS = Histogram(
    "offer_catalog_store_unit_duration_seconds",
    "Time spent inside one store unit of work (a transaction)",
    ["dialect", "mode"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
DECISIONS = Counter("offer_catalog_decision_requests", "Decision requests answered", ["route", "status"])
SNAPSHOT_BUILDS = Histogram(
    "offer_catalog_snapshot_build_duration_seconds",
    "Compiling a container's decision snapshot (its count is the number of builds)",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


OUTBOX_LAG = Histogram(
    "offer_catalog_outbox_lag_seconds",
    "From a write's commit (its outbox event) to the relay queueing its event deliveries",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


def observe_outbox_lag(seconds: float) -> None:
    """Record how long one outbox event waited for the relay."""
    OUTBOX_LAG.observe(max(0.0, seconds))


def observe_snapshot_build(seconds: float) -> None:
    """Record one decision snapshot build."""
    SNAPSHOT_BUILDS.observe(seconds)


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The path template of the route serving scope (bounded label values; never the raw path)."""
    for route in routes:
        match, child = route.matches(scope)
        if match == Match.NONE:
            continue
        if isinstance(route, Mount):
            inner = route_template(route.routes, {**scope, **child})
            return route.path + inner if inner != UNMATCHED else UNMATCHED
        if isinstance(route, Route):
            return _collapse_rest(route.path, child.get("path_params", {}))
        return UNMATCHED
    return UNMATCHED


def plain_templates(routes: Sequence[BaseRoute]) -> dict[Any, str]:
    """endpoint -> path template, for endpoints that exactly one route without a catch-all serves."""
    seen: dict[Any, list[str]] = {}
    for route in routes:
        if isinstance(route, Route):
            seen.setdefault(route.endpoint, []).append(route.path)
    return {e: paths[0] for e, paths in seen.items() if len(paths) == 1 and "{rest:path}" not in paths[0]}


def _collapse_rest(path: str, params: dict[str, object]) -> str:
    # A catch-all route ("{rest:path}", one dispatcher per API base) keeps the resource name and
    # turns every later segment into "{id}", so a label names the resource, never an instance.
    if not path.endswith("{rest:path}"):
        return path
    segments = [s for s in str(params.get("rest", "")).split("/") if s]
    tail = "/".join(segments[:1] + ["{id}"] * (len(segments) > 1) + ["..."] * (len(segments) > 2))
    return path.removesuffix("{rest:path}") + ("/" + tail if tail else "")


def _series_of(method: str, route: str, status: int) -> tuple[Any, Any, Any]:
    decisions = DECISIONS.labels(route, str(status)) if route.endswith("/decisions") else None
    return (
        REQUESTS.labels(method, route, str(status)),
        REQUEST_SECONDS.labels(method, route, str(status)),
        decisions,
    )


class RequestMetrics:
    """Requests counted and timed by route template and status; each (method, route, status) series'
    label children are looked up once (`labels()` costs a lock and a lookup each time)."""

    def __init__(self) -> None:
        self._plain: dict[Any, str] | None = None
        self._series: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    def template(self, scope: Scope) -> str:
        """The route template of a request: the matched route's, else found by endpoint or by matching."""
        matched = scope.get("route")  # set by the innermost router that matched (an API's declared route)
        if isinstance(matched, Route) and "{rest:path}" not in matched.path:
            return matched.path
        app = scope.get("app")
        routes: Sequence[BaseRoute] = app.router.routes if app is not None else []
        if self._plain is None:
            self._plain = plain_templates(routes)
        endpoint = scope.get("endpoint")
        if endpoint is not None:
            known = self._plain.get(endpoint)
            if known is not None:
                return known
        return route_template(routes, scope)

    def record(self, scope: Scope, status: int, seconds: float) -> None:
        """Count and time one answered request."""
        key = (scope["method"], self.template(scope), status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _series_of(*key)
        series[0].inc()
        series[1].observe(seconds)
        if series[2] is not None:
            series[2].inc()


class MetricsMiddleware:
    """Count and time every HTTP request by route template and status; hold its W3C trace context.

    Used when CORS sits between it and the request context (ops.py); otherwise `ServedRequests`
    does the same work in one layer."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.metrics = RequestMetrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        trace = TRACE_CONTEXT.set(trace_context(scope["headers"]))

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            TRACE_CONTEXT.reset(trace)
            self.metrics.record(scope, status, time.perf_counter() - started)


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text exposition of this process (or of every worker, in multiprocess mode)."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(render(registry), media_type=CONTENT_TYPE)
    return Response(render(REGISTRY), media_type=CONTENT_TYPE)


class _Timed(AbstractContextManager[UnitOfWork]):
    """A unit of work whose time, from entering to leaving (failures included), goes to a histogram."""

    __slots__ = ("_histogram", "_started", "_unit")

    def __init__(self, unit: AbstractContextManager[UnitOfWork], histogram: Any) -> None:
        self._unit, self._histogram, self._started = unit, histogram, 0.0

    def __enter__(self) -> UnitOfWork:
        self._started = time.perf_counter()
        try:
            return self._unit.__enter__()
        except BaseException:
            self._histogram.observe(time.perf_counter() - self._started)
            raise

    def __exit__(self, *exc: Any) -> bool | None:
        try:
            return self._unit.__exit__(*exc)
        finally:
            self._histogram.observe(time.perf_counter() - self._started)


class InstrumentedStore:
    """A store whose units of work are timed; everything else is the wrapped store's."""

    def __init__(self, store: Store):
        self.inner = store
        self.dialect = store.dialect
        self._read = STORE_SECONDS.labels(store.dialect, "read")
        self._write = STORE_SECONDS.labels(store.dialect, "write")

    def unit_of_work(self, *, write: bool = False) -> AbstractContextManager[UnitOfWork]:
        """A timed unit of work of the wrapped store."""
        return _Timed(self.inner.unit_of_work(write=write), self._write if write else self._read)

    def migrate(self) -> list[int]:
        """Apply pending migrations."""
        return self.inner.migrate()

    def pending_migrations(self) -> list[int]:
        """Versions not yet applied."""
        return self.inner.pending_migrations()

    def ensure_member_indexes(self, members: Sequence[str]) -> None:
        """Create the member indexes."""
        self.inner.ensure_member_indexes(members)

    def bulk_load(self, docs: Iterable[Document], *, change: str = "created", batch: int = 5000) -> int:
        """Insert new documents by the fastest path."""
        return self.inner.bulk_load(docs, change=change, batch=batch)

    def bulk_loader(self, *, change: str = "created") -> AbstractContextManager[BulkLoader]:
        """A load in several calls, by the fastest path."""
        return self.inner.bulk_loader(change=change)

    def ensure_path_indexes(self, paths: Sequence[tuple[str, ...]]) -> None:
        """Index the nested and array paths."""
        self.inner.ensure_path_indexes(paths)

    def ping(self) -> None:
        """Check the database answers."""
        self.inner.ping()

    def close(self) -> None:
        """Release connections."""
        self.inner.close()
