"""One exception-handler registry per API: error class -> status (or a describer), one error renderer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette._exception_handler import _lookup_exception_handler
from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from offer_catalog.errors import DomainError
from offer_catalog.http.context import request_id

log = logging.getLogger("offer_catalog.http")

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


@dataclass(frozen=True, slots=True)
class Failure:
    """What an API answers for an error: status, stable code, message, extra body members, headers."""

    status: int
    code: str
    message: str
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


Describe = Callable[[Request, Any], Failure]
"""Builds the Failure of one error class when a bare status is not enough."""
ErrorTable = Mapping[type[Exception], int | Describe]
"""An API's mapping of error classes (looked up along the exception's MRO) to statuses or describers."""
ErrorRenderer = Callable[[Request, Failure], Response]
"""Renders a Failure as the API's own error body (TMF Error, problem+json)."""
Handler = Callable[[Request, Exception], Awaitable[Response]]


def domain_failure(status: int, exc: Exception) -> Failure:
    """The Failure of a domain error: its code, message and details at the given status."""
    if isinstance(exc, DomainError):
        return Failure(status, exc.code, exc.message, dict(exc.details))
    return Failure(status, str(getattr(exc, "code", "error")), str(exc))


# Seconds a client should wait before retrying when the store cannot take writes (disk full, read-only,
# database file gone): long enough not to hammer it, short enough to notice recovery quickly.
STORE_RETRY_AFTER = 5


def unavailable(request: Request, exc: Exception) -> Failure:
    """503 for a store that cannot answer now, with Retry-After."""
    failure = domain_failure(503, exc)
    failure.headers["Retry-After"] = str(STORE_RETRY_AFTER)
    return failure


def http_failure(request: Request, exc: HTTPException) -> Failure:
    """The Failure of a routing error: 404 for an unknown path, 405 with a sorted Allow."""
    headers = dict(exc.headers or {})
    path = request.url.path
    if exc.status_code == 405 and "Allow" in headers:
        allowed = ", ".join(sorted(m.strip() for m in headers["Allow"].split(",")))
        headers["Allow"] = allowed
        message = f"{request.method} is not allowed on {path}; allowed: {allowed}"
    elif exc.status_code == 404:
        message = f"nothing is served at {path}"
    else:
        message = str(exc.detail)
    return Failure(exc.status_code, _HTTP_CODES.get(exc.status_code, "http_error"), message, {}, headers)


def error_handlers(table: ErrorTable, render: ErrorRenderer) -> dict[Any, Handler]:
    """Starlette exception handlers for one API: the table's classes, routing errors, then any other."""

    def handler(entry: int | Describe) -> Handler:
        async def handle(request: Request, exc: Exception) -> Response:
            failure = domain_failure(entry, exc) if isinstance(entry, int) else entry(request, exc)
            return render(request, failure)

        return handle

    async def routing(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return render(request, http_failure(request, exc))

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"request_id": request_id(request)})
        return render(request, Failure(500, "internal_error", "an unexpected error occurred"))

    handlers: dict[Any, Handler] = {cls: handler(entry) for cls, entry in table.items()}
    handlers.setdefault(HTTPException, routing)
    handlers[Exception] = unexpected
    return handlers


class Sent:
    """A request's `send` that remembers whether the response has started."""

    __slots__ = ("send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class ErrorRegistry(ExceptionMiddleware):
    """Starlette's `ExceptionMiddleware` (same handlers, same answers), called with less work per request.

    Starlette builds a `Request` and two closures for every request to handle the few that fail; this
    wraps `send` once, and builds the `Request` only for a failure. A registry handed the `send` an
    outer registry wrapped (an API's, below the app's: only routers between them) reads whether the
    response started from that wrapper instead of wrapping it again. The handlers are still published
    in the scope for the plain Starlette routes below, which handle their endpoints' errors with them.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        scope["starlette.exception_handlers"] = (self._exception_handlers, self._status_handlers)
        sender = send if type(send) is Sent else Sent(send)
        try:
            await self.app(scope, receive, sender)
        except Exception as exc:
            handler = None
            if isinstance(exc, HTTPException):
                handler = self._status_handlers.get(exc.status_code)
            if handler is None:
                handler = _lookup_exception_handler(self._exception_handlers, exc)
            if handler is None:
                raise
            if sender.started:
                raise RuntimeError("Caught handled exception, but response already started.") from exc
            request = Request(scope, receive, send)
            if is_async_callable(handler):
                response = await handler(request, exc)  # type: ignore[arg-type]
            else:
                response = await run_in_threadpool(handler, request, exc)
            if response is not None:
                await response(scope, receive, sender)
            exc.__traceback__ = None  # a reused exception would otherwise keep every request's frames
