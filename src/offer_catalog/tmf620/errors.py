"""The TMF `Error` body and the one registry mapping every error of a TMF620 request to its status."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from offer_catalog import errors
from offer_catalog.http import BodyTooLarge, ErrorTable, Failure, json_response, unavailable
from offer_catalog.patch import HTTP_STATUS, PatchError
from offer_catalog.tmf620.names import to_oracle

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class TmfError(Exception):
    """An HTTP-level failure of a TMF620 request (headers, media types, paths), with its status."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The TMF620 `Error` object of this failure."""
        return error_body(self.status, self.code, self.message)


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    """The TMF620 `Error` object (v4 members plus the v5-required @type)."""
    return {
        "code": code,
        "reason": REASONS.get(status, "Error"),
        "message": message,
        "status": str(status),
        "@type": "Error",
    }


def _tmf_error(request: Request, exc: TmfError) -> Failure:
    return Failure(exc.status, exc.code, exc.message, headers=exc.headers)


def _version_conflict(request: Request, exc: errors.VersionConflict) -> Failure:
    # 412 only when the client made the write conditional; otherwise a concurrent writer won.
    if "if-match" in request.headers:
        return Failure(412, "precondition_failed", exc.message)
    return Failure(409, "concurrent_update", exc.message)


# The TMF620 PATCH operations (v4 and v5) declare 409, not 422: a JSON Patch whose target the resource
# lacks conflicts with the resource's state (RFC 5789, 2.2 "Conflicting state").
_TMF_PATCH_STATUS = {**HTTP_STATUS, "path_not_found": 409, "query_no_match": 409}


def _patch_error(request: Request, exc: PatchError) -> Failure:
    return Failure(_TMF_PATCH_STATUS.get(exc.code, 400), exc.code, str(exc))


class ResourceReferenced(errors.ReferenceViolation):
    """A delete would leave other resources referencing nothing (strict reference mode); nothing changed."""

    code = "resource_referenced"


ERRORS: ErrorTable = {
    TmfError: _tmf_error,
    PatchError: _patch_error,
    errors.VersionConflict: _version_conflict,
    errors.NotFound: 404,
    errors.AlreadyExists: 409,
    errors.ValidationFailed: 400,
    errors.InvalidQuery: 400,
    errors.QueryTimeout: 400,
    errors.LifecycleViolation: 409,
    ResourceReferenced: 409,
    errors.ReferenceViolation: 422,
    errors.StoreUnavailable: unavailable,
    BodyTooLarge: 413,
    errors.DomainError: 400,
}
"""TMF620's one mapping of error classes to statuses (looked up along each exception's MRO)."""


def renderer(*, oracle_names: bool) -> Any:
    """The function that renders a Failure as a TMF Error body (in Oracle's names when configured)."""

    def render(request: Request, failure: Failure) -> Response:
        body = error_body(failure.status, failure.code, failure.message)
        return json_response(
            to_oracle(body) if oracle_names else body, failure.status, failure.headers or None
        )

    return render
