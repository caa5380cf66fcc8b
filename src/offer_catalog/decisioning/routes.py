"""The Decisioning API: POST /data/core/ode/{containerId}/decisions, POST /data/core/ods/decisions.

Same tenancy headers as the Offer Library (`Authorization`, `x-api-key`, `x-gw-ims-org-id`,
`x-sandbox-name`); errors are problem+json. Both the current request shape (`xdm:propositionRequests`,
`xdm:profiles`) and the older one (`xdm:offerActivities`, top-level `xdm:identityMap`) are read. Also
GET .../{containerId}/diagnostics (`xdm:operations` plus the compiled snapshot's figures),
GET .../{containerId}/offers?activityId=… (each activity's offer catalog) and GET
/data/core/ode/openapi.json. On SQLite a small decision runs on the event loop (its reads take
microseconds; a snapshot rebuild and the durable counter write are handed off and awaited, see
`service.decide_on_loop`); other decisions run in the thread pool. The caches live as long as the
app (one per process).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from offer_catalog.decisioning import api_doc as d
from offer_catalog.decisioning.batch_routes import batch_job_routes
from offer_catalog.decisioning.engine import DecisionResult
from offer_catalog.decisioning.feedback_routes import feedback_routes
from offer_catalog.decisioning.http_errors import ERRORS
from offer_catalog.decisioning.request import (
    MAX_ITEMS,
    DecisionRequest,
    DecisionRequestError,
    Scope,
    parse_request,
)
from offer_catalog.decisioning.runtime_views import (
    activity_offers,
    legacy_error,
    legacy_scopes,
    operations,
    referenced_ids,
    requested_activities,
)
from offer_catalog.decisioning.service import (
    Caches,
    decide_now,
    decide_on_loop,
    find_container,
    response_body,
)
from offer_catalog.decisioning.wire import ODE, ODS, REQUEST_SCHEMA, RESPONSE_TYPE, XDM_JSON
from offer_catalog.documents import service as documents
from offer_catalog.documents.query import Cond, Op, Query, meta
from offer_catalog.http import (
    Api,
    ApiRoute,
    Operation,
    api_mount,
    json_response,
    query_items,
    read_json,
    run_sync,
    store_of,
)
from offer_catalog.offer_library import media
from offer_catalog.offer_library.containers import require_container
from offer_catalog.offer_library.errors import UnsupportedMediaType, render_problem
from offer_catalog.offer_library.tenancy import Caller, caller_of
from offer_catalog.openapi import Doc
from offer_catalog.resources.text import strip_space
from offer_catalog.settings import Settings
from offer_catalog.store.base import Store, UnitOfWork

BODY_TYPES: Final = (XDM_JSON, media.JSON)
Check = Callable[[UnitOfWork], object]
RUNTIME_KINDS: Final = ("offer-activity", "personalized-offer", "fallback-offer")
INLINE_SCOPES: Final = 32  # (profile, scope) pairs a decision on the event loop may hold


def _schema_name(schema: str) -> str:
    return schema.rsplit("/", 1)[-1].split(";", 1)[0].strip()


@lru_cache(maxsize=256)
def _negotiated(content_type: str | None, accept: str | None) -> str:
    """The answer's media type for a request's Content-Type and Accept; 415 or 406 when none fits.

    Cached: clients send the same few header values on every request (a refusal is not cached).
    """
    content = media.content_type(content_type, BODY_TYPES)
    schema = content.params.get("schema")
    if content.essence == XDM_JSON and schema and _schema_name(schema) != "decision-request":
        raise UnsupportedMediaType(
            f"schema {schema!r} is not the decision request schema {REQUEST_SCHEMA}",
            code="unknown_schema",
        )
    return media.negotiate(accept, BODY_TYPES)


class DecisionApi:
    """The decisioning endpoints and the per-process caches they share."""

    def __init__(self, caches: Caches | None = None) -> None:
        self.caches = caches or Caches()

    async def _read(self, request: Request) -> tuple[Caller, DecisionRequest, str]:
        caller = caller_of(request)
        headers = request.headers
        accept = _negotiated(headers.get("content-type"), headers.get("accept"))
        return caller, parse_request(await read_json(request)), accept

    def _answer(self, result: DecisionResult, accept: str, request: DecisionRequest) -> Response:
        media_type = RESPONSE_TYPE if accept == XDM_JSON else media.JSON
        return json_response(response_body(echoed(result, request)), media_type=media_type)

    def _inline(self, store: Store, request: DecisionRequest) -> bool:
        """Whether to decide on the event loop: SQLite (reads take microseconds), a small request.

        Anything that may block (the first use of the profile-hash secret, a large request, the
        older shape's scope lookup) runs in the thread pool as before.
        """
        return (
            store.dialect == "sqlite"
            and not request.legacy_activities
            and self.caches.log.key_ready
            and len(request.profiles) * len(request.scopes) <= INLINE_SCOPES
        )

    def _resolved(
        self, store: Store, container_id: str, request: DecisionRequest, check: Check | None = None
    ) -> DecisionRequest:
        """The request with its scopes: an older-shape request's activities become their placements."""
        if not request.legacy_activities:
            return request
        entry = self.caches.snapshots.get(store, container_id, check=check)
        scopes = legacy_scopes(entry.snapshot, request.legacy_activities)
        if len(scopes) > MAX_ITEMS:
            raise DecisionRequestError(
                "too_many_items", f"at most {MAX_ITEMS} items in total", pointer="/xdm:offerActivities"
            )
        return replace(request, scopes=scopes)

    def _decide(
        self, store: Store, container_id: str, request: DecisionRequest, check: Check | None = None
    ) -> tuple[DecisionResult, DecisionRequest]:
        """Decide now; an older-shape request's errors point into its own body."""
        try:
            decision = decide_now(
                store, container_id=container_id, request_body=request, caches=self.caches, check=check
            )
        except DecisionRequestError as exc:
            raise legacy_error(request, exc) from None
        return decision.result, request

    async def decide_in_container(self, request: Request) -> Response:
        """Decide for the profiles of the request with the container's catalog."""
        caller, decision_request, accept = await self._read(request)
        container_id = request.path_params["container_id"]

        store = store_of(request)

        def check(uow: UnitOfWork) -> object:
            return require_container(uow, caller, container_id)

        if self._inline(store, decision_request):
            decision = await decide_on_loop(
                store, container_id=container_id, request=decision_request, caches=self.caches, check=check
            )
            return self._answer(decision.result, accept, decision_request)

        def work() -> tuple[DecisionResult, DecisionRequest]:
            self.caches.log.key(store)  # read (or created) once, here: later decisions may run inline
            resolved = self._resolved(store, container_id, decision_request, check)
            return self._decide(store, container_id, resolved, None if resolved.legacy_activities else check)

        result, resolved = await run_sync(work)
        return self._answer(result, accept, resolved)

    async def decide_anywhere(self, request: Request) -> Response:
        """Decide with the caller's container that holds the requested activities."""
        caller, decision_request, accept = await self._read(request)
        store = store_of(request)

        def work() -> tuple[DecisionResult, DecisionRequest]:
            named = decision_request
            if named.legacy_activities:  # the activities alone find the container
                named = replace(named, scopes=tuple(Scope(a, "", 1) for a in named.legacy_activities))
            with store.unit_of_work() as uow:
                container_id = find_container(uow, org=caller.org, sandbox=caller.sandbox, request=named)
            return self._decide(store, container_id, self._resolved(store, container_id, decision_request))

        result, resolved = await run_sync(work)
        return self._answer(result, accept, resolved)

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
                **operations(entry.snapshot.diagnostics, entry.built_at),
                "snapshot": entry.summary(),
                "diagnostics": [
                    {"@id": d.id, "code": d.code, "message": d.message} for d in entry.snapshot.diagnostics
                ],
                "process": {"pid": os.getpid(), "snapshotBuilds": self.caches.snapshots.builds},
            }

        accept = media.negotiate(request.headers.get("accept"), BODY_TYPES)
        return json_response(await run_sync(work), media_type=accept)

    async def activity_offers(self, request: Request) -> Response:
        """Per requested activity (`activityId`, up to 30), the offers it can propose and its fallback."""
        caller = caller_of(request)
        container_id = request.path_params["container_id"]
        accept = media.negotiate(request.headers.get("accept"), BODY_TYPES)
        # Spaces around an @id are ignored, as the document's pattern (`\S`) reads them.
        values = [strip_space(v) for k, v in query_items(request) if k == "activityId"]
        store = store_of(request)

        def work() -> dict[str, Any]:
            entry = self.caches.snapshots.get(
                store, container_id, check=lambda uow: require_container(uow, caller, container_id)
            )
            ids = requested_activities(values, entry.snapshot)
            wanted = referenced_ids(entry.snapshot, ids)
            with store.unit_of_work() as uow:
                query = Query(
                    kinds=RUNTIME_KINDS,
                    where=Cond(meta("at_id"), Op.IN, wanted),
                    limit=len(wanted),
                    with_total=False,
                )
                found = documents.list_documents(uow, scope=container_id, query=query).items
            instance_ids = {str(doc.body.get("@id")): doc.id for doc in found}
            return activity_offers(entry.snapshot, ids, container_id, instance_ids)

        return json_response(await run_sync(work), media_type=accept)


def echoed(result: DecisionResult, request: DecisionRequest) -> DecisionResult:
    """The responses with what the request asks to be echoed: each profile's `xdm:decisionRequestId`."""
    if not any(profile.request_id for profile in request.profiles):
        return result
    responses = tuple(
        {**response, "xdm:decisionRequestId": profile.request_id} if profile.request_id else response
        for response, profile in zip(result.responses, request.profiles, strict=False)
    )
    return replace(result, responses=responses)


def decisioning_api(settings: Settings) -> Api:
    """The Decisioning API (one set of caches per application, i.e. per worker process)."""
    api = DecisionApi()
    decide = d.decision(
        "decide",
        "Decide offers with a container's catalog",
        "Counters are drawn down unless xdm:dryRun is true.",
    )
    decide_anywhere = d.decision(
        "decideAnywhere",
        "Decide offers with the caller's container that holds the requested activities",
        "422 when no container, or several, hold the activities.",
    )
    diagnostics = Doc(
        "diagnostics",
        "The compiled snapshot of the container in the answering process",
        {200: d.DIAGNOSTICS_REPLY},
        (401, 403, 404),
    )
    routes = [
        ApiRoute(
            f"{ODE}/{{container_id}}/decisions",
            {"POST": Operation(api.decide_in_container, decide)},
            name="decide",
        ),
        ApiRoute(
            f"{ODE}/{{container_id}}/diagnostics",
            {"GET": Operation(api.diagnostics, diagnostics)},
            name="diagnostics",
        ),
        ApiRoute(
            f"{ODE}/{{container_id}}/offers",
            {"GET": Operation(api.activity_offers, d.ACTIVITY_OFFERS)},
            name="activity_offers",
        ),
        ApiRoute(
            f"{ODS}/decisions",
            {"POST": Operation(api.decide_anywhere, decide_anywhere)},
            name="decide_anywhere",
        ),
        *feedback_routes(settings, api.caches),
        *batch_job_routes(settings, api.caches),
    ]
    return Api(routes, errors=ERRORS, render=render_problem, doc=d.API_DOC)


def decisioning_routes(settings: Settings) -> list[BaseRoute]:
    """The Decisioning API mounted under its two base paths."""
    return [api_mount([ODE, ODS], decisioning_api(settings))]
