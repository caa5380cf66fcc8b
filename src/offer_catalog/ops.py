"""What operators add around the APIs: metrics, trace context, CORS, browsable API docs."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Route

from offer_catalog.metrics import InstrumentedStore, MetricsMiddleware, metrics_endpoint
from offer_catalog.settings import Settings
from offer_catalog.store.base import Store


def ops_middleware(settings: Settings) -> list[Middleware]:
    """Outermost middleware: metrics and trace context, then CORS when origins are configured."""
    stack = [Middleware(MetricsMiddleware)]
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=[
                    "ETag",
                    "Location",
                    "Link",
                    "X-Request-ID",
                    "X-Total-Count",
                    "X-Result-Count",
                ],
            )
        )
    return stack


def ops_routes(settings: Settings) -> list[BaseRoute]:
    """/metrics and the API documentation pages."""
    from offer_catalog.docs_ui import docs_routes

    return [Route("/metrics", metrics_endpoint, methods=["GET"]), *docs_routes()]


def instrument(store: Store) -> Store:
    """The store with its units of work timed for /metrics."""
    return InstrumentedStore(store)
