"""Feedback on decisions over HTTP: interaction events in, reports out.

POST /data/core/ode/{containerId}/events takes one event, a list, or `{"events": [...]}` (XDM or
plain shape, see interactions.py) and answers 200 `{"accepted", "duplicates"}`;
GET /data/core/ode/{containerId}/reports?from=&to=&groupBy=activity|placement|offer answers the
report JSON. Same tenancy headers and problem+json errors as the decision routes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from offer_catalog.decisioning import api_doc as d
from offer_catalog.decisioning.decision_log import DecisionLog
from offer_catalog.decisioning.feedback import Receipt, record_events, report, window
from offer_catalog.decisioning.interactions import parse_events
from offer_catalog.decisioning.service import Caches
from offer_catalog.decisioning.wire import ODE
from offer_catalog.http import ApiRoute, Operation, json_response, read_json, run_sync, store_of
from offer_catalog.offer_library import media
from offer_catalog.offer_library.containers import require_container
from offer_catalog.offer_library.tenancy import caller_of
from offer_catalog.openapi import Doc
from offer_catalog.settings import Settings
from offer_catalog.store.base import UnitOfWork

EVENT_BODY_TYPES = (media.JSON, "application/vnd.adobe.xdm+json")


class FeedbackApi:
    """The events and reports endpoints of one application (they share its decision log settings)."""

    def __init__(self, caches: Caches) -> None:
        self.caches = caches

    async def events(self, request: Request) -> Response:
        """Store interaction events about propositions (all or none), deduplicated by event id."""
        caller = caller_of(request)
        media.content_type(request.headers.get("content-type"), EVENT_BODY_TYPES)
        container_id = request.path_params["container_id"]
        now = datetime.now(UTC)
        interactions = parse_events(await read_json(request), now)
        store = store_of(request)
        check = _owned(caller, container_id)

        def work() -> Receipt:
            entry = self.caches.snapshots.get(store, container_id, check=check)
            return record_events(
                store,
                container_id=container_id,
                interactions=interactions,
                now=now,
                log=self.caches.log,
                check=check,
                offers=entry.snapshot.offers,
            )

        receipt = await run_sync(work)
        return json_response({"accepted": receipt.accepted, "duplicates": receipt.duplicates})

    async def reports(self, request: Request) -> Response:
        """Decisions, impressions, clicks, CTR, fallback rate and caps met per group over a window."""
        caller = caller_of(request)
        container_id = request.path_params["container_id"]
        params = request.query_params
        start, end = window(params.get("from"), params.get("to"), datetime.now(UTC))
        store = store_of(request)

        def work() -> dict[str, Any]:
            with store.unit_of_work() as uow:
                require_container(uow, caller, container_id)
            return report(
                store,
                container_id=container_id,
                start=start,
                end=end,
                group_by=params.get("groupBy", "activity"),
            )

        return json_response(await run_sync(work))


def _owned(caller: Any, container_id: str) -> Callable[[UnitOfWork], object]:
    def check(uow: UnitOfWork) -> object:
        return require_container(uow, caller, container_id)

    return check


def configure_log(log: DecisionLog, settings: Settings) -> DecisionLog:
    """Apply the decision log settings to a process's log (on, secret, retention)."""
    log.enabled = settings.decision_log
    log.secret = settings.decision_log_secret
    log.retention_days = settings.decision_log_retention_days
    return log


def feedback_routes(settings: Settings, caches: Caches) -> list[BaseRoute]:
    """The events and reports routes; configures the decision log of `caches` from the settings."""
    configure_log(caches.log, settings)
    api = FeedbackApi(caches)
    events = Doc(
        "recordEvents",
        "Record interaction events about propositions (all or none, deduplicated)",
        {200: d.EVENTS_REPLY},
        (400, 401, 403, 404, 413, 415, 422),
        body=d.EVENTS_BODY,
    )
    reports = Doc(
        "report",
        "Decisions, impressions, clicks, CTR, fallback rate and caps met per group",
        {200: d.REPORT_REPLY},
        (400, 401, 403, 404, 422),
        d.REPORT_PARAMS,
    )
    return [
        ApiRoute(f"{ODE}/{{container_id}}/events", {"POST": Operation(api.events, events)}, name="events"),
        ApiRoute(f"{ODE}/{{container_id}}/reports", {"GET": Operation(api.reports, reports)}, name="reports"),
    ]
