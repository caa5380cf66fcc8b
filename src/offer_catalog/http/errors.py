"""One exception-handler registry per API: error class -> status (or a describer), one error renderer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

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
