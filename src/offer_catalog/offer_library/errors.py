"""Offer Library errors: this API's own failures and the one registry mapping every error to problem+json."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from offer_catalog import errors
from offer_catalog.http import (
    BodyTooLarge,
    ErrorTable,
    Failure,
    json_response,
    request_id,
    unavailable,
)
from offer_catalog.patch import HTTP_STATUS as PATCH_STATUS
from offer_catalog.patch import PatchError

PROBLEM_JSON = "application/problem+json"


class XcoreError(errors.DomainError):
    """A failure of the HTTP exchange itself (headers, media types, parameters)."""

    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: Any):
        super().__init__(message, code=code, details=details)


class BadRequest(XcoreError):
    """The request is malformed: bad JSON, bad parameter, missing schema."""


class UnsupportedMediaType(XcoreError):
    """The Content-Type (or its schema parameter) is not one this operation reads."""

    code = "unsupported_media_type"


class NotAcceptable(XcoreError):
    """No media type in Accept is one this operation can answer with."""

    code = "not_acceptable"


class GatewayError(XcoreError):
    """A missing or unusable header, with the platform gateway's numeric error code."""


class GatewayUnauthorized(GatewayError):
    """A credential the gateway cannot use (not a bearer token)."""


class GatewayForbidden(GatewayError):
    """A missing credential (token or API key)."""


class InstanceReferenced(errors.ReferenceViolation):
    """A delete would leave other instances pointing at nothing; nothing was deleted."""

    code = "instance_referenced"


def _gateway(status: int) -> Any:
    def describe(request: Request, exc: GatewayError) -> Failure:
        extra = {"error_code": exc.code, "message": exc.message, **exc.details}
        return Failure(status, exc.code, exc.message, extra)

    return describe


def _version_conflict(request: Request, exc: errors.VersionConflict) -> Failure:
    extra = {"instanceId": exc.details.get("id"), "repo:etag": exc.details.get("current_version")}
    return Failure(409, exc.code, exc.message, extra)


def _patch_error(request: Request, exc: PatchError) -> Failure:
    extra = {"operation": exc.op_index, "path": exc.path, "reason": exc.reason}
    return Failure(PATCH_STATUS.get(exc.code, 400), exc.code, str(exc), extra)


# 409 is kept for "someone else's state wins" (stale etag, referenced instance, taken name) so that a
# client retrying on a fresh etag is never sent in circles by a content error (422).
ERRORS: ErrorTable = {
    XcoreError: 400,
    UnsupportedMediaType: 415,
    NotAcceptable: 406,
    GatewayError: _gateway(400),
    GatewayUnauthorized: _gateway(401),
    GatewayForbidden: _gateway(403),
    BodyTooLarge: 413,
    PatchError: _patch_error,
    errors.NotFound: 404,
    errors.VersionConflict: _version_conflict,
    errors.AlreadyExists: 409,
    InstanceReferenced: 409,
    errors.ReferenceViolation: 422,
    errors.LifecycleViolation: 422,
    errors.ValidationFailed: 422,
    errors.InvalidQuery: 400,
    errors.QueryTimeout: 400,
    errors.StoreUnavailable: unavailable,
    errors.DomainError: 400,
}
"""The Offer Library's one mapping of error classes to statuses (looked up along each exception's MRO)."""


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


def render_problem(request: Request, failure: Failure) -> Response:
    """Render a Failure as problem+json (the Offer Library's and decisioning's error body)."""
    response = problem(request, failure.status, failure.code, failure.message, **failure.extra)
    response.headers.update(failure.headers)
    return response
