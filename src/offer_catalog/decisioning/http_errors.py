"""Errors of the decisioning routes as problem+json: engine request codes, then the Offer Library mapping."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from offer_catalog.decisioning.request import DecisionRequestError
from offer_catalog.decisioning.service import CappingContention
from offer_catalog.offer_library.errors import answers_with, problem, problem_for

# The engine's codes that name ids or states of the catalog (the request is well formed): 422.
UNPROCESSABLE: Final = frozenset(
    {
        "unknown_activity",
        "unknown_placement",
        "activity_not_live",
        "placement_not_in_activity",
        "fallback_not_found",
        "ambiguous_activity",
        "activities_in_several_containers",
    }
)
RETRY_AFTER_SECONDS: Final = 1


def status_of(exc: DecisionRequestError) -> int:
    """400 for a malformed request, 422 for one the catalog cannot serve."""
    return 422 if exc.code in UNPROCESSABLE else 400


def decision_problem(request: Request, exc: Exception) -> Response:
    """The problem+json response of any error a decisioning endpoint raises."""
    if isinstance(exc, DecisionRequestError):
        return problem(request, status_of(exc), exc.code, exc.message, pointer=exc.pointer)
    if isinstance(exc, CappingContention):
        response = problem(request, 503, exc.code, exc.message, **exc.details)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return problem_for(request, exc)


answers_decision_problems = answers_with(decision_problem)
"""Turn every error a decision endpoint raises into a problem+json response."""
