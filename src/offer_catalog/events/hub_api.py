"""The TMF620 hub over HTTP: `POST /hub`, `GET|DELETE /hub/{id}`, dead letters and their replay.

Served under both TMF620 base paths with TMF `Error` bodies, scope `events`. A subscription belongs to
the caller's organisation: another organisation's subscription id is 404, as if it did not exist.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from offer_catalog.documents.model import Delivery, Subscription
from offer_catalog.errors import ValidationFailed
from offer_catalog.events import api_doc as docs
from offer_catalog.events import subscriptions
from offer_catalog.events.job_api import job_routes
from offer_catalog.events.listener import listener_routes
from offer_catalog.http import ApiRoute, Operation, json_response, read_json, run_unit
from offer_catalog.resources.uris import is_uri
from offer_catalog.settings import Settings
from offer_catalog.tmf620.errors import TmfError
from offer_catalog.tmf620.names import to_oracle, to_standard
from offer_catalog.tmf620.resources import V5_BASE_PATHS, release_of
from offer_catalog.tmf620.routes import ApiPart
from offer_catalog.tmf620.tenancy import tenant_scope

INPUT_MEMBERS = frozenset({"callback", "query", "secret", "@type", "@baseType", "@schemaLocation"})
"""EventSubscriptionInput's members, the optional HMAC `secret` (an extension) and the TMF meta members."""


def _input(body: Any, *, v5: bool) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be an EventSubscriptionInput object", code="invalid_body")
    # The specification's EventSubscriptionInput takes members beyond its own (as every TMF620 write
    # does): they are ignored.
    taken: dict[str, Any] = {name: value for name, value in body.items() if name in INPUT_MEMBERS}
    if "callback" not in taken:
        raise ValidationFailed("callback is required", code="required:callback")
    if "query" in taken and taken["query"] is None:
        # The specification's `query` is a string, not nullable (leave it out for every event).
        raise ValidationFailed("query may not be null", code="invalid_type:query")
    for member in ("@type", "@baseType", "@schemaLocation"):
        # v5's Hub_FVO is Extensible (its members strings); they are taken, then not kept.
        if member in taken and not isinstance(taken[member], str):
            raise ValidationFailed(f"{member} must be a string", code=f"invalid_type:{member}")
    # v4.0.0 types `@schemaLocation` `format: uri`; v5's Extensible any string.
    if not v5 and "@schemaLocation" in taken and not is_uri(taken["@schemaLocation"]):
        raise ValidationFailed("@schemaLocation must be a URI", code="invalid_value:@schemaLocation")
    return taken


def subscription_view(sub: Subscription) -> dict[str, Any]:
    """The specification's EventSubscription: id, callback, query (when set)."""
    out: dict[str, Any] = {"id": sub.id, "callback": sub.callback}
    if sub.query is not None:
        out["query"] = sub.query
    return out


def dead_letter_view(d: Delivery) -> dict[str, Any]:
    """One dead letter: the delivery, its event and why it gave up."""
    return {
        "id": str(d.id),
        "eventId": d.event_id,
        "eventType": d.event_type,
        "attempts": d.attempts,
        "lastError": d.last_error,
        "event": orjson.loads(d.payload),
    }


SUBSCRIPTIONS = "eventSubscription"
"""The extension's read-only view of the hub's subscriptions: `GET <base>eventSubscription[/{id}]`."""


class HubEndpoints:
    """The hub under one base path: subscriptions made here get events with this base path's hrefs."""

    def __init__(self, base: str, settings: Settings) -> None:
        self.base = base
        self.oracle = settings.tmf_names == "oracle"
        self.allow_private = settings.hub_allow_private_targets

    def _json(self, content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return json_response(to_oracle(content) if self.oracle else content, status, headers)

    def _view(self, sub: Subscription) -> dict[str, Any]:
        # v5's Hub is an Entity, whose `@type` is required.
        view = subscription_view(sub)
        return {**view, "@type": "Hub"} if self.base in V5_BASE_PATHS else view

    async def create(self, request: Request) -> Response:
        """Register a listener: 201, Location, the EventSubscription."""
        body = _input(to_standard(await read_json(request)), v5=self.base in V5_BASE_PATHS)
        scope = tenant_scope(request)
        sub = await run_unit(
            request,
            lambda uow: subscriptions.create_subscription(
                uow,
                callback=body["callback"],
                query=body.get("query"),
                secret=body.get("secret"),
                base_path=self.base,
                name_style="oracle" if self.oracle else "standard",
                allow_private=self.allow_private,
                scope=scope,
            ),
            write=True,
        )
        return self._json(self._view(sub), 201, {"Location": f"{self.base}hub/{sub.id}"})

    async def list_all(self, request: Request) -> Response:
        """The organisation's subscriptions, oldest first (beyond the specification)."""
        scope = tenant_scope(request)
        subs = await run_unit(
            request, lambda uow: subscriptions.list_subscriptions(uow, scope=scope), write=False
        )
        return self._json([self._view(sub) for sub in subs])

    async def retrieve(self, request: Request) -> Response:
        """One subscription."""
        id, scope = request.path_params["id"], tenant_scope(request)
        sub = await run_unit(
            request, lambda uow: subscriptions.get_subscription(uow, id=id, scope=scope), write=False
        )
        return self._json(self._view(sub))

    async def delete(self, request: Request) -> Response:
        """Unregister: 204; its queued deliveries are dropped."""
        id, scope = request.path_params["id"], tenant_scope(request)
        await run_unit(
            request, lambda uow: subscriptions.delete_subscription(uow, id=id, scope=scope), write=True
        )
        return Response(status_code=204, headers={"Content-Type": "application/json;charset=utf-8"})

    async def dead_letters(self, request: Request) -> Response:
        """The subscription's dead letters, oldest first (`limit`, at most 1000)."""
        id, scope = request.path_params["id"], tenant_scope(request)
        limit = _limit(request.query_params.get("limit"))
        dead = await run_unit(
            request,
            lambda uow: subscriptions.dead_letters(uow, id=id, limit=limit, scope=scope),
            write=False,
        )
        return self._json([dead_letter_view(d) for d in dead])

    async def replay(self, request: Request) -> Response:
        """Queue the dead letters again with fresh attempts, oldest first: 200 with how many."""
        id, scope = request.path_params["id"], tenant_scope(request)
        count = await run_unit(
            request, lambda uow: subscriptions.replay_dead_letters(uow, id=id, scope=scope), write=True
        )
        return self._json({"replayed": count})


def _limit(raw: str | None) -> int:
    if raw is None:
        return 1000
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise TmfError(400, "invalid_value:limit", "limit must be an integer from 1 to 1000")
    return int(raw)


def event_part(base: str, settings: Settings) -> ApiPart:
    """The hub, listener and job routes under one base path, served and documented in its TMF620 API."""
    hub = HubEndpoints(base, settings)
    at = f"{base}hub"
    listing = f"{base}{SUBSCRIPTIONS}"
    # Reading subscriptions is beyond the specification, whose `/hub` and `/hub/{id}` have no GET:
    # served at paths of their own, so `/hub` and `/hub/{id}` answer (and `Allow`) exactly the
    # specification's methods.
    served = (
        (at, "POST", hub.create, docs.register_listener, "hub"),
        (f"{at}/{{id}}", "DELETE", hub.delete, docs.unregister_listener, "hub_item"),
        (listing, "GET", hub.list_all, docs.list_listeners, "event_subscriptions"),
        (f"{listing}/{{id}}", "GET", hub.retrieve, docs.retrieve_listener, "event_subscription"),
        (f"{at}/{{id}}/deadLetter", "GET", hub.dead_letters, docs.dead_letters, "hub_dead_letters"),
        (f"{at}/{{id}}/deadLetter/replay", "POST", hub.replay, docs.replay, "hub_replay"),
    )
    routes: list[BaseRoute] = [
        *(
            ApiRoute(path, {method: Operation(call, doc())}, name=name)
            for path, method, call, doc, name in served
        ),
        *listener_routes(base, oracle_names=hub.oracle),
        *job_routes(base, settings),
    ]
    return ApiPart(routes, partial(docs.event_schemas, release_of(base).resources))
