"""Offer Library errors: this dialect's own failures and the one mapping of every error to problem+json."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from offer_catalog import errors
from offer_catalog.http import json_response, request_id
from offer_catalog.patch import HTTP_STATUS as PATCH_STATUS
from offer_catalog.patch import PatchError

log = logging.getLogger("offer_catalog.offer_library")

PROBLEM_JSON = "application/problem+json"


class XcoreError(errors.DomainError):
    """A failure of the HTTP exchange itself (headers, media types, parameters) with its status."""

    code = "bad_request"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **details: Any):
        super().__init__(message, code=code, details=details)
        if status is not None:
            self.status = status


class BadRequest(XcoreError):
    """The request is malformed: bad JSON, bad parameter, missing schema."""


class UnsupportedMediaType(XcoreError):
    """The Content-Type (or its schema parameter) is not one this operation reads."""

    code = "unsupported_media_type"
    status = 415


class NotAcceptable(XcoreError):
    """No media type in Accept is one this operation can answer with."""

    code = "not_acceptable"
    status = 406


class PayloadTooLarge(XcoreError):
    """The request body is larger than the service accepts."""

    code = "payload_too_large"
    status = 413


class GatewayError(XcoreError):
    """A missing or unusable credential header, with the platform gateway's numeric error code."""


class InstanceReferenced(errors.ReferenceViolation):
    """A delete would leave other instances pointing at nothing; nothing was deleted."""

    code = "instance_referenced"


# Domain errors: 409 is kept for "someone else's state wins" (stale etag, referenced instance, taken
# name) so that a client retrying on a fresh etag is never sent in circles by a content error (422).
_STATUS: tuple[tuple[type[errors.DomainError], int], ...] = (
    (errors.NotFound, 404),
    (errors.VersionConflict, 409),
    (errors.AlreadyExists, 409),
    (InstanceReferenced, 409),
    (errors.ReferenceViolation, 422),
    (errors.LifecycleViolation, 422),
    (errors.ValidationFailed, 422),
    (errors.InvalidQuery, 400),
    (errors.QueryTimeout, 400),
    (errors.StoreUnavailable, 503),
)


def status_of(exc: errors.DomainError) -> int:
    """The HTTP status this dialect answers a domain error with."""
    if isinstance(exc, XcoreError):
        return exc.status
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def problem(request: Request, status: int, code: str, detail: str, **extra: Any) -> Response:
    """An application/problem+json response with a stable `code` and the request id."""
    body: dict[str, Any] = {
        "type": f"urn:offer-catalog:problem:{code}",
        "status": status,
        "title": HTTPStatus(status).phrase,
        "detail": detail,
    }
    body.update((key, value) for key, value in extra.items() if key not in body)
    body["code"] = code
    body["requestId"] = request_id(request)
    return json_response(body, status, media_type=PROBLEM_JSON)


def problem_for(request: Request, exc: Exception) -> Response:
    """The problem response of any error an endpoint may raise; unexpected ones are logged, 500."""
    if isinstance(exc, GatewayError):
        return problem(
            request,
            exc.status,
            exc.code,
            exc.message,
            error_code=exc.code,
            message=exc.message,
            **exc.details,
        )
    if isinstance(exc, errors.DomainError):
        return problem(request, status_of(exc), exc.code, exc.message, **exc.details)
    if isinstance(exc, PatchError):
        return problem(
            request,
            PATCH_STATUS.get(exc.code, 400),
            exc.code,
            str(exc),
            operation=exc.op_index,
            path=exc.path,
            reason=exc.reason,
        )
    log.exception("unhandled error", extra={"request_id": request_id(request)})
    return problem(request, 500, "internal_error", "an unexpected error occurred")


E = TypeVar("E")
Endpoint = Callable[[E, Request], Awaitable[Response]]


def answers_with(
    mapper: Callable[[Request, Exception], Response],
) -> Callable[[Endpoint[E]], Endpoint[E]]:
    """A decorator that turns every error an endpoint raises into the response `mapper` builds."""

    def decorate(endpoint: Endpoint[E]) -> Endpoint[E]:
        @functools.wraps(endpoint)
        async def wrapper(self: E, request: Request) -> Response:
            try:
                return await endpoint(self, request)
            except Exception as exc:
                return mapper(request, exc)

        return wrapper

    return decorate


answers_problems = answers_with(problem_for)
"""Turn every error an endpoint raises into this dialect's problem+json response."""
