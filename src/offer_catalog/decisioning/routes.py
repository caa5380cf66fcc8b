"""The Decisioning API: POST /data/core/ode/{containerId}/decisions, POST /data/core/ods/decisions.

Same tenancy headers as the Offer Library (`Authorization`, `x-api-key`, `x-gw-ims-org-id`,
`x-sandbox-name`); errors are problem+json. Also GET .../{containerId}/diagnostics (the compiled
snapshot) and GET /data/core/ode/openapi.json. Decisions run in the thread pool (a snapshot rebuild or
a counter write must not stall the event loop); the caches live as long as the app (one per process).
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from offer_catalog.decisioning.engine import DecisionResult
from offer_catalog.decisioning.feedback_routes import feedback_routes
from offer_catalog.decisioning.http_errors import ERRORS
from offer_catalog.decisioning.openapi import (
    ODE,
    ODS,
    REQUEST_SCHEMA,
    RESPONSE_TYPE,
    XDM_JSON,
    openapi_document,
)
from offer_catalog.decisioning.request import DecisionRequest, parse_request
from offer_catalog.decisioning.service import Caches, decide_for, find_container, response_body
from offer_catalog.http import Api, ApiRoute, api_mount, json_response, read_json, run_sync, store_of
from offer_catalog.offer_library import media
from offer_catalog.offer_library.containers import require_container
from offer_catalog.offer_library.errors import UnsupportedMediaType, render_problem
from offer_catalog.offer_library.tenancy import Caller, caller_of
from offer_catalog.settings import Settings
from offer_catalog.store.base import UnitOfWork

BODY_TYPES: Final = (XDM_JSON, media.JSON)


def _schema_name(schema: str) -> str:
    return schema.rsplit("/", 1)[-1].split(";", 1)[0].strip()


class DecisionApi:
    """The decisioning endpoints and the per-process caches they share."""

    def __init__(self, caches: Caches | None = None) -> None:
        self.caches = caches or Caches()
        self._openapi: dict[str, Any] | None = None

    async def openapi(self, request: Request) -> Response:
        """The OpenAPI 3.1 description of the decisioning routes."""
        if self._openapi is None:
            self._openapi = openapi_document()
        return json_response(self._openapi)

    async def _read(self, request: Request) -> tuple[Caller, DecisionRequest, str]:
        caller = caller_of(request)
        content = media.content_type(request.headers.get("content-type"), BODY_TYPES)
        schema = content.params.get("schema")
        if content.essence == XDM_JSON and schema and _schema_name(schema) != "decision-request":
            raise UnsupportedMediaType(
                f"schema {schema!r} is not the decision request schema {REQUEST_SCHEMA}",
                code="unknown_schema",
            )
        accept = media.negotiate(request.headers.get("accept"), BODY_TYPES)
        return caller, parse_request(await read_json(request)), accept

    def _answer(self, result: DecisionResult, accept: str) -> Response:
        media_type = RESPONSE_TYPE if accept == XDM_JSON else media.JSON
        return json_response(response_body(result), media_type=media_type)

    async def decide_in_container(self, request: Request) -> Response:
        """Decide for the profiles of the request with the container's catalog."""
        caller, decision_request, accept = await self._read(request)
        container_id = request.path_params["container_id"]

        def check(uow: UnitOfWork) -> object:
            return require_container(uow, caller, container_id)

        decision = await run_sync(
            decide_for,
            store_of(request),
            container_id=container_id,
            request_body=decision_request,
            now=datetime.now(UTC),
            rng=random.Random(),
            caches=self.caches,
            check=check,
        )
        return self._answer(decision.result, accept)

    async def decide_anywhere(self, request: Request) -> Response:
        """Decide with the caller's container that holds the requested activities."""
        caller, decision_request, accept = await self._read(request)
        store = store_of(request)

        def work() -> DecisionResult:
            with store.unit_of_work() as uow:
                container_id = find_container(
                    uow, org=caller.org, sandbox=caller.sandbox, request=decision_request
                )
            return decide_for(
                store,
                container_id=container_id,
                request_body=decision_request,
                now=datetime.now(UTC),
                rng=random.Random(),
                caches=self.caches,
            ).result

        return self._answer(await run_sync(work), accept)

    async def diagnostics(self, request: Request) -> Response:
        """The container's compiled snapshot in this process: version, counts, size, compile problems."""
        caller = caller_of(request)
        container_id = request.path_params["container_id"]
        store = store_of(request)

        def work() -> dict[str, Any]:
            entry = self.caches.snapshots.get(
                store, container_id, check=lambda uow: require_container(uow, caller, container_id)
            )
            return {
                "snapshot": entry.summary(),
                "diagnostics": [
                    {"@id": d.id, "code": d.code, "message": d.message} for d in entry.snapshot.diagnostics
                ],
                "process": {"pid": os.getpid(), "snapshotBuilds": self.caches.snapshots.builds},
            }

        return json_response(await run_sync(work))


def decisioning_api(settings: Settings) -> Api:
    """The Decisioning API (one set of caches per application, i.e. per worker process)."""
    api = DecisionApi()
    routes = [
        ApiRoute(f"{ODE}/openapi.json", {"GET": api.openapi}, name="openapi"),
        ApiRoute(f"{ODE}/{{container_id}}/decisions", {"POST": api.decide_in_container}, name="decide"),
        ApiRoute(f"{ODE}/{{container_id}}/diagnostics", {"GET": api.diagnostics}, name="diagnostics"),
        ApiRoute(f"{ODS}/decisions", {"POST": api.decide_anywhere}, name="decide_anywhere"),
        *feedback_routes(settings, api.caches),
    ]
    return Api(routes, errors=ERRORS, render=render_problem)


def decisioning_routes(settings: Settings) -> list[BaseRoute]:
    """The Decisioning API mounted under its two base paths."""
    return [api_mount([ODE, ODS], decisioning_api(settings))]
