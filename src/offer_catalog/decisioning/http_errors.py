"""Errors of the decisioning API as problem+json: engine request codes, then the Offer Library's table."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request

from offer_catalog.decisioning.request import DecisionRequestError
from offer_catalog.decisioning.service import CappingContention
from offer_catalog.http import ErrorTable, Failure
from offer_catalog.offer_library.errors import ERRORS as OFFER_LIBRARY_ERRORS

# A well-formed request naming an activity or placement the caller's container does not hold: 404,
# as any id that names nothing (no schema can tell which ids exist).
NOT_FOUND: Final = frozenset({"unknown_activity", "unknown_placement"})
# The engine's codes for states of the catalog that cannot serve the request: 422.
UNPROCESSABLE: Final = frozenset(
    {
        "activity_not_live",
        "placement_not_in_activity",
        "fallback_not_found",
        "ambiguous_activity",
        "activities_in_several_containers",
    }
)
RETRY_AFTER_SECONDS: Final = 1


def status_of(exc: DecisionRequestError) -> int:
    """400 for a malformed request, 404 for an id that names nothing, 422 for one the catalog cannot serve."""
    if exc.code in NOT_FOUND:
        return 404
    return 422 if exc.code in UNPROCESSABLE else 400


def _request_error(request: Request, exc: DecisionRequestError) -> Failure:
    return Failure(status_of(exc), exc.code, exc.message, {"pointer": exc.pointer})


def _contention(request: Request, exc: CappingContention) -> Failure:
    return Failure(503, exc.code, exc.message, dict(exc.details), {"Retry-After": str(RETRY_AFTER_SECONDS)})


ERRORS: ErrorTable = {
    **OFFER_LIBRARY_ERRORS,
    DecisionRequestError: _request_error,
    CappingContention: _contention,
}
"""The decisioning API's one mapping of error classes to statuses."""
