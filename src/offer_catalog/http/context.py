"""HTTP plumbing shared by the APIs: fast JSON responses, store calls off the event loop, ids, query."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from offer_catalog.logs import ACCESS_LOGGER
from offer_catalog.store.base import Store, UnitOfWork

T = TypeVar("T")


class JSONResponse(Response):
    """A JSON response encoded with orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None, media_type: str | None = None
) -> Response:
    """Encode content with orjson into a response."""
    return Response(orjson.dumps(content), status_code, headers, media_type or "application/json")


def store_of(request: Request) -> Store:
    """The store the app opened at start-up."""
    store: Store = request.app.state.store
    return store


async def run_unit(
    request: Request, work: Callable[[UnitOfWork], T], *, write: bool, scan: bool = False
) -> T:
    """Run work(uow) in one unit of work: SQLite reads inline (microseconds), the rest in a thread.

    `scan`: a read that may visit many rows (a list or a search) also goes to the thread pool, so a
    long scan never holds up the event loop (sqlite3 releases the GIL while it steps).
    """
    store = store_of(request)

    def call() -> T:
        with store.unit_of_work(write=write) as uow:
            return work(uow)

    if not write and not scan and store.dialect == "sqlite":
        return call()
    return await run_in_threadpool(call)


async def run_sync(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking function in the thread pool."""
    return await run_in_threadpool(partial(fn, *args, **kwargs))


def query_string(request: Request) -> str:
    """The raw query string as text (latin-1, undecoded percent escapes), read once per request."""
    state = request.scope.setdefault("state", {})
    text: str | None = state.get("query_text")
    if text is None:
        text = state["query_text"] = request.scope.get("query_string", b"").decode("latin-1")
    return text


def query_items(request: Request) -> list[tuple[str, str]]:
    """The query parameters as decoded (name, value) pairs in order, decoded once per request."""
    state = request.scope.setdefault("state", {})
    items: list[tuple[str, str]] | None = state.get("query_items")
    if items is None:
        raw = request.scope.get("query_string", b"").decode("latin-1")
        items = state["query_items"] = parse_qsl(raw, keep_blank_values=True)
    return items


def request_id(request: Request) -> str:
    """The id of the current request (the caller's X-Request-ID or a new one)."""
    rid: str = request.scope.get("state", {}).get("request_id", "")
    return rid


class RequestContextMiddleware:
    """Give every request an id (echoing X-Request-ID), return it, and log one access line."""

    def __init__(self, app: ASGIApp, *, access_log: bool = True):
        self.app = app
        self.access_log = access_log
        self.logger = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                rid = value.decode("latin-1")[:200]
                break
        if not rid:
            rid = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        header = (b"x-request-id", rid.encode("latin-1"))
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access_log and self.logger.isEnabledFor(20):
                self.logger.info(
                    "request",
                    extra={
                        "request_id": rid,
                        "method": scope["method"],
                        "path": scope["path"],
                        "query": scope.get("query_string", b"").decode("latin-1"),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                        "client": (scope.get("client") or ("", 0))[0],
                    },
                )
