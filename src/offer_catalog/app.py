"""create_app(settings): the ASGI application, its lifespan (store, migrations) and shared routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from offer_catalog import errors
from offer_catalog.auth.middleware import AuthMiddleware
from offer_catalog.decisioning.pql import compile_rule
from offer_catalog.decisioning.routes import decisioning_routes
from offer_catalog.events.hub_api import event_part
from offer_catalog.events.runner import run_events
from offer_catalog.http import Representations, json_response, request_id, run_sync, store_of
from offer_catalog.http.errors import ErrorRegistry
from offer_catalog.http.shapes import ShapeRouter
from offer_catalog.logs import configure_logging
from offer_catalog.offer_library import offer_library_routes
from offer_catalog.offer_library.listing import FILTER_INDEXES as OL_FILTER_INDEXES
from offer_catalog.offer_library.listing import PATH_INDEXES as OL_PATH_INDEXES
from offer_catalog.ops import instrument, ops_middleware, ops_routes
from offer_catalog.settings import Settings, load_settings
from offer_catalog.store import Store, open_store, query_limits
from offer_catalog.store.base import migrate_if_new
from offer_catalog.tmf620 import tmf620_routes
from offer_catalog.tmf620.query import FILTER_INDEXES as TMF_FILTER_INDEXES
from offer_catalog.tmf620.query import PATH_INDEXES as TMF_PATH_INDEXES

log = logging.getLogger("offer_catalog.app")

# The top-level members the dialects' lists filter on most; the store indexes each.
MEMBER_INDEXES = (*TMF_FILTER_INDEXES, *OL_FILTER_INDEXES)
# The nested and array paths they filter on most; the store indexes the values found there.
PATH_INDEXES = (*TMF_PATH_INDEXES, *OL_PATH_INDEXES)


def problem(request: Request, status: int, code: str, title: str, detail: str, **extra: Any) -> Response:
    """An RFC 9457 problem+json response carrying a stable `code` and the request id."""
    body = {"type": f"urn:offer-catalog:problem:{code}", "status": status, "title": title, "detail": detail}
    body["code"] = code
    body["requestId"] = request_id(request)
    body.update(extra)
    return json_response(body, status, media_type="application/problem+json")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return problem(request, exc.status_code, code, str(exc.detail), str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", extra={"request_id": request_id(request)})
    return problem(request, 500, "internal_error", "Internal Server Error", "an unexpected error occurred")


async def health(request: Request) -> Response:
    """Liveness: the process answers."""
    return json_response({"status": "ok"})


async def ready(request: Request) -> Response:
    """Readiness: the store answers."""
    try:
        await run_sync(store_of(request).ping)
    except errors.StoreUnavailable as exc:
        return json_response({"status": "unavailable", "detail": exc.message}, 503)
    return json_response({"status": "ready", "store": store_of(request).dialect})


def prepare_store(store: Store) -> None:
    """Migrate a new database (refuse a partly migrated one) and create the member indexes."""
    migrate_if_new(store)
    store.ensure_member_indexes(MEMBER_INDEXES)
    store.ensure_path_indexes(PATH_INDEXES)


def dialect_routes(settings: Settings) -> list[BaseRoute]:
    """The routes of every HTTP dialect."""
    routes: list[BaseRoute] = []
    # One cache of GET answers for the process, bounded as a whole (http/representations.py).
    cache = Representations(settings.get_cache_entries, settings.get_cache_bytes)
    # The hub, listeners and jobs are part of the TMF620 API of each base path (and of its document).
    routes.extend(tmf620_routes(settings, partial(event_part, settings=settings), representations=cache))
    routes.extend(offer_library_routes(settings, compile_pql=compile_rule, representations=cache))
    routes.extend(decisioning_routes(settings))
    return routes


class App(Starlette):
    """Starlette with the request kit's `ErrorRegistry` (same handlers, less work per request) in the
    place of the `ExceptionMiddleware` Starlette puts in front of the router."""

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack, its innermost layer swapped."""
        stack = super().build_middleware_stack()
        layer: Any = stack
        while (inner := getattr(layer, "app", None)) is not None:
            if type(inner) is ExceptionMiddleware and inner.app is self.router:
                lean = ErrorRegistry(self.router, debug=inner.debug)
                lean._exception_handlers = inner._exception_handlers
                lean._status_handlers = inner._status_handlers
                layer.app = lean
                break
            layer = inner
        return stack


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> Starlette:
    """Build the application; the store opens (and migrates an empty database) at start-up."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        opened = store or open_store(
            settings.database_url, pool_size=settings.pool_size, limits=query_limits(settings)
        )
        await run_sync(prepare_store, opened)
        app.state.store = instrument(opened)
        log.info("ready", extra={"store": opened.dialect})
        stop = asyncio.Event()
        events_task = asyncio.create_task(run_events(opened, settings, stop))
        try:
            yield
        finally:
            stop.set()
            await events_task
            if store is None:
                await run_sync(opened.close)

    routes: list[BaseRoute] = [
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        *ops_routes(settings),
        *dialect_routes(settings),
    ]
    app = App(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            *ops_middleware(settings),
            Middleware(AuthMiddleware, settings=settings, routes=routes),
        ],
        exception_handlers={
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    # The same routes and lifespan, found by path shape instead of a scan of every route's regex.
    app.router = ShapeRouter(routes, lifespan=lifespan)
    app.state.settings = settings
    return app


def app_from_env() -> Starlette:
    """Factory for uvicorn workers: settings from OFFER_CATALOG_* variables."""
    from offer_catalog import protocol

    settings = load_settings()
    protocol.configure(settings)
    return create_app(settings)
