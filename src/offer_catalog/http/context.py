"""HTTP plumbing shared by the APIs: fast JSON responses, store calls off the event loop, ids, query."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from offer_catalog.documents.model import Document
from offer_catalog.errors import InvalidQuery
from offer_catalog.http.body import DocumentTooLarge, document_limit
from offer_catalog.logs import ACCESS_LOGGER
from offer_catalog.store.base import Store, UnitOfWork
from offer_catalog.tracing import random_hex

T = TypeVar("T")


class JSONResponse(Response):
    """A JSON response encoded with orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


_JSON_TYPE = (b"content-type", b"application/json")


def json_response(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None, media_type: str | None = None
) -> Response:
    """Encode content with orjson into a response.

    The usual answer (a 2xx-5xx status with a body, no Content-Length or Content-Type among the
    headers given) gets the raw headers Starlette's `Response` would make, built directly: a fifth of
    the cost. Anything else is made by `Response` itself.
    """
    return encoded_response(orjson.dumps(content), status_code, headers, media_type)


def encoded_response(
    body: bytes, status_code: int = 200, headers: dict[str, str] | None = None, media_type: str | None = None
) -> Response:
    """The response `json_response` makes of content that JSON encodes to `body`."""
    if status_code < 200 or status_code in (204, 304) or (media_type or "").startswith("text/"):
        return Response(body, status_code, headers, media_type or "application/json")
    raw: list[tuple[bytes, bytes]] = []
    if headers:
        for name, value in headers.items():
            key = name.lower()
            if key == "content-length" or key == "content-type":
                return Response(body, status_code, headers, media_type or "application/json")
            raw.append((key.encode("latin-1"), value.encode("latin-1")))
    raw.append((b"content-length", str(len(body)).encode()))
    raw.append(_JSON_TYPE if media_type is None else (b"content-type", media_type.encode("latin-1")))
    response = Response.__new__(Response)
    response.status_code = status_code
    response.background = None
    response.body = body
    response.raw_headers = raw
    response.media_type = media_type or "application/json"
    return response


def store_of(request: Request) -> Store:
    """The store the app opened at start-up."""
    store: Store = request.app.state.store
    return store


class SizedUnit:
    """A write unit whose `save` refuses a body past the stored-document limit (the unit rolls back).

    The request's body limit bounds what a client sends; a patch (JSON Patch `copy`, a merge) can
    still grow the stored document, so every write of a request is measured here, in one place.
    """

    def __init__(self, uow: UnitOfWork, limit: int) -> None:
        self._uow = uow
        self._limit = limit

    def save(self, doc: Document, *, expected_version: int | None, change: str) -> None:
        size = len(orjson.dumps(doc.body))
        if size > self._limit:
            raise DocumentTooLarge(
                f"the stored {doc.kind} would hold {size} bytes; at most {self._limit} are kept",
                details={"limit": self._limit, "size": size},
            )
        self._uow.save(doc, expected_version=expected_version, change=change)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)


async def run_unit(
    request: Request, work: Callable[[UnitOfWork], T], *, write: bool, scan: bool = False
) -> T:
    """Run work(uow) in one unit of work: SQLite reads inline (microseconds), the rest in a thread.

    `scan`: a read that may visit many rows (a list or a search) also goes to the thread pool, so a
    long scan never holds up the event loop (sqlite3 releases the GIL while it steps).
    """
    store = store_of(request)
    limit = document_limit(request) if write else 0

    def call() -> T:
        with store.unit_of_work(write=write) as uow:
            return work(SizedUnit(uow, limit) if write else uow)

    if not write and not scan and store.dialect == "sqlite":
        return call()
    return await in_thread(call)


# Threads for units of work: enough for a full group-commit batch of SQLite writes to wait on its
# commit together (store/sqlite_commit.py MAX_BATCH), or for every PostgreSQL pool connection.
UNIT_THREADS = 64
_units: list[ThreadPoolExecutor] = []


async def in_thread(fn: Callable[[], T]) -> T:
    """Run fn in a unit-of-work thread (with the caller's context variables: trace id, request id).

    One hand-off to an executor: anyio's thread pool costs about twice the event loop's time per
    call (capacity limiter, cancel scopes). A cancelled caller still waits for fn to end, as there.
    """
    if not _units:
        _units.append(ThreadPoolExecutor(UNIT_THREADS, thread_name_prefix="offer-catalog-unit"))
    future = asyncio.get_running_loop().run_in_executor(_units[0], contextvars.copy_context().run, fn)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])  # the unit commits or rolls back before the caller is told
        raise


async def run_sync(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking function in the thread pool."""
    return await run_in_threadpool(partial(fn, *args, **kwargs))


DEFAULT_MAX_QUERY_BYTES = 16 * 1024


class QueryTooLong(InvalidQuery):
    """The query string is longer than the service reads (each API answers 400 in its own body)."""

    code = "query_too_long"


def check_query_length(scope: Scope) -> None:
    """Refuse (QueryTooLong) a query string of more bytes than setting `max_query_bytes` allows."""
    query: bytes = scope.get("query_string", b"")
    if not query:
        return
    state = getattr(scope.get("app"), "state", None)
    settings = getattr(state, "settings", None)
    limit = DEFAULT_MAX_QUERY_BYTES if settings is None else int(settings.max_query_bytes)
    if len(query) > limit:
        raise QueryTooLong(
            f"the query string may hold at most {limit} bytes; it holds {len(query)}",
            details={"limit": limit, "size": len(query)},
        )


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


def caller_request_id(value: bytes | None) -> str:
    """The id of a request: its X-Request-ID header's value (at most 200 characters), else a new one."""
    rid = "" if value is None else value.decode("latin-1")[:200]
    return rid or random_hex(16)


class AccessLog:
    """One access line per request (logger offer_catalog.access, level INFO), when enabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.logger = logging.getLogger(ACCESS_LOGGER)

    def write(self, scope: Scope, rid: str, status: int, started: float) -> None:
        """Log the answered request (`started`: its `time.perf_counter()` on arrival)."""
        if self.enabled and self.logger.isEnabledFor(20):
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


class IdSend:
    """A request's `send` that adds its X-Request-ID header to the response head and keeps the status
    sent (500 until a response starts)."""

    __slots__ = ("header", "send", "status")

    def __init__(self, send: Send, rid: str) -> None:
        self.send = send
        self.header = (b"x-request-id", rid.encode("latin-1"))
        self.status = 500

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            message["headers"] = [*message.get("headers", []), self.header]
        await self.send(message)


class RequestContextMiddleware:
    """Give every request an id (echoing X-Request-ID), return it, and log one access line.

    Used when CORS sits between it and the metrics (ops.py); otherwise `ServedRequests` does the
    same work in one layer."""

    def __init__(self, app: ASGIApp, *, access_log: bool = True):
        self.app = app
        self.access = AccessLog(access_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value
                break
        rid = caller_request_id(given)
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        answer = IdSend(send, rid)
        try:
            await self.app(scope, receive, answer)
        finally:
            self.access.write(scope, rid, answer.status, started)
