"""The TMF `Error` body and the one mapping of domain and patch errors to HTTP statuses for TMF620."""

from __future__ import annotations

from typing import Any

from offer_catalog import errors
from offer_catalog.patch import HTTP_STATUS, PatchError

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

_DOMAIN_STATUS: tuple[tuple[type[errors.DomainError], int], ...] = (
    (errors.NotFound, 404),
    (errors.AlreadyExists, 409),
    (errors.VersionConflict, 412),
    (errors.ValidationFailed, 400),
    (errors.InvalidQuery, 400),
    (errors.QueryTimeout, 400),
    (errors.LifecycleViolation, 409),
    (errors.ReferenceViolation, 422),
    (errors.StoreUnavailable, 503),
)


class TmfError(Exception):
    """An HTTP-level failure of a TMF620 request, rendered as a TMF Error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(status, "Error")
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The TMF620 `Error` object (v4 members plus the v5-required @type)."""
        return {
            "code": self.code,
            "reason": self.reason,
            "message": self.message,
            "status": str(self.status),
            "@type": "Error",
        }


def from_domain(exc: errors.DomainError, *, conditional: bool) -> TmfError:
    """The TMF error for a domain error; a version conflict is 412 only when the client sent If-Match."""
    status = 400
    for cls, mapped in _DOMAIN_STATUS:
        if isinstance(exc, cls):
            status = mapped
            break
    code = exc.code
    if isinstance(exc, errors.VersionConflict):
        status, code = (412, "precondition_failed") if conditional else (409, "concurrent_update")
    return TmfError(status, code, exc.message)


def from_patch(exc: PatchError) -> TmfError:
    """The TMF error for a patch that cannot be applied (400 malformed, 409 test/conflict, 422 no target)."""
    return TmfError(HTTP_STATUS.get(exc.code, 400), exc.code, str(exc))
