"""What operators add around the APIs: metrics, trace context, CORS, browsable API docs."""

from __future__ import annotations

import time

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from offer_catalog.http.context import AccessLog, IdSend, RequestContextMiddleware, caller_request_id
from offer_catalog.logs import TRACE_CONTEXT
from offer_catalog.metrics import InstrumentedStore, MetricsMiddleware, RequestMetrics, metrics_endpoint
from offer_catalog.settings import Settings
from offer_catalog.store.base import Store
from offer_catalog.tracing import trace_of


class ServedRequests:
    """What every HTTP request passes through first, in one layer: its W3C trace context, its id
    (echoing X-Request-ID, returned in the response), one access line, its count and time by route
    template and status.

    The same work as `MetricsMiddleware` around `RequestContextMiddleware`, with one look through
    the headers and one wrapper around `send` instead of two of each.
    """

    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.metrics = RequestMetrics()
        self.access = AccessLog(access_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        traceparent = given = None
        for name, value in scope["headers"]:
            if name == b"traceparent" and traceparent is None:
                traceparent = value
            elif name == b"x-request-id" and given is None:
                given = value
        trace = TRACE_CONTEXT.set(trace_of(traceparent))
        rid = caller_request_id(given)
        scope.setdefault("state", {})["request_id"] = rid
        answer = IdSend(send, rid)
        try:
            await self.app(scope, receive, answer)
        finally:
            self.access.write(scope, rid, answer.status, started)
            TRACE_CONTEXT.reset(trace)
            self.metrics.record(scope, answer.status, time.perf_counter() - started)


def ops_middleware(settings: Settings) -> list[Middleware]:
    """Outermost middleware: trace context, request id, access log and metrics in one layer; with
    CORS origins configured, metrics and trace context, then CORS, then the request id and access log
    (as before: a preflight CORS answers itself is counted, but gets no request id)."""
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if not origins:
        return [Middleware(ServedRequests, access_log=settings.access_log)]
    stack = [Middleware(MetricsMiddleware)]
    stack.append(
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "Link", "X-Request-ID", "X-Total-Count", "X-Result-Count"],
        )
    )
    stack.append(Middleware(RequestContextMiddleware, access_log=settings.access_log))
    return stack


def ops_routes(settings: Settings) -> list[BaseRoute]:
    """/metrics and the API documentation pages."""
    from offer_catalog.docs_ui import docs_routes

    return [Route("/metrics", metrics_endpoint, methods=["GET"]), *docs_routes()]


def instrument(store: Store) -> Store:
    """The store with its units of work timed for /metrics."""
    return InstrumentedStore(store)
