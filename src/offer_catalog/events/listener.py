"""The TMF620 listener endpoints (`POST /listener/<resource><Event>`): follow another catalog's events.

An instance that registers `<its base>/listener` ... as a callback on another instance's hub receives that
catalog's events and applies them to its own catalog, so it follows it (a replica, or a federated copy):

- create, attribute-change, state-change and batch events store the resource as the event carries it;
  delete events delete it (a tombstone version, as a local delete).
- Idempotent by resource version: this service's hub sends the resource's version after the write in
  the header `X-Offer-Catalog-Resource-Version`. An event whose version is not newer than the local
  one (a retry, a duplicate, the second event of one write) changes nothing; the local version
  becomes the sender's, so the follower's etags and versions match the leader's. Without the header
  (another vendor's hub) an event that would not change the body changes nothing.
- The resource is validated like any write (`prepare`), in the caller's organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from offer_catalog.documents.model import CREATED, DELETED, UPDATED, Actor, Document, utc_now
from offer_catalog.errors import ValidationFailed
from offer_catalog.events import api_doc as docs
from offer_catalog.events.delivery import RESOURCE_VERSION_HEADER
from offer_catalog.events.jobs import STATUS
from offer_catalog.events.tmf620 import CHANGE, CREATE, DELETE, STATE
from offer_catalog.http import ApiRoute, Operation, json_response, read_json, run_unit
from offer_catalog.resources.dates import parse_date_time
from offer_catalog.resources.tmf620 import prepare
from offer_catalog.resources.tmf620.rules import TYPES, check_carried
from offer_catalog.resources.tmf620.v5.nested import EVENTS as V5_EVENTS
from offer_catalog.store.base import UnitOfWork
from offer_catalog.tmf620.names import to_oracle, to_standard
from offer_catalog.tmf620.resources import Resource, release_of
from offer_catalog.tmf620.service import check_id, now_stamp
from offer_catalog.tmf620.tenancy import actor_of, tenant_scope
from offer_catalog.tmf620.views import read_view, write_form

BATCH = "BatchEvent"
SUFFIXES = (CREATE, CHANGE, STATE, DELETE)
APPLIED, UNCHANGED, IGNORED = "applied", "unchanged", "ignored"
JOB_STATES = tuple(STATUS.values())
"""v5's JobStateType."""


@dataclass(frozen=True, slots=True)
class Received:
    """A received event: the resource it is about, its kind (a suffix), body and sender's version."""

    resource: Resource
    suffix: str
    envelope: Any
    version: int | None


def resource_version(request: Request) -> int | None:
    """The sender's resource version from the `X-Offer-Catalog-Resource-Version` header (None if absent)."""
    raw = request.headers.get(RESOURCE_VERSION_HEADER)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or int(raw) < 1:
        raise ValidationFailed(
            f"{RESOURCE_VERSION_HEADER} must be a positive integer", code="invalid_header:resource_version"
        )
    return int(raw)


TEXTS = frozenset(
    {"id", "href", "eventId", "eventType", "correlationId", "domain", "title", "description", "priority"}
) | {"fieldPath"}
"""The envelope's string members."""
STAMPS = ("eventTime", "timeOcurred")
"""The envelope's date-times: RFC 3339 when given."""


def _carried(event: dict[str, Any], resource: Resource) -> Any:
    """The resource an event's payload carries: under the collection's name, in any letter case (the v5
    examples write `Category`), or for a v5 product catalog also under `catalog`."""
    if resource.path in event:
        return event[resource.path]
    names = {resource.path.lower(), resource.kind.lower()}
    return next((value for key, value in event.items() if key.lower() in names), None)


def _resource_of(envelope: Any, resource: Resource) -> dict[str, Any] | None:
    """The resource an event carries, checked against the specification's schemas even when the event
    is then ignored, so an invalid event is rejected whatever it carries; no member is nullable."""
    check_envelope(envelope)
    event = envelope.get("event")
    if event is not None and not isinstance(event, dict):
        raise ValidationFailed("event must be an object", code="invalid_value:event")
    carried = _carried(event, resource) if isinstance(event, dict) else None
    if (carried is None and isinstance(event, dict) and resource.path in event) or (
        carried is not None and not isinstance(carried, dict)
    ):
        raise ValidationFailed(
            f"event.{resource.path} must be an object", code=f"invalid_value:event.{resource.path}"
        )
    if carried is not None:
        check_carried(resource.cls, carried, f"event.{resource.path}.", TYPES[resource.api])
    return carried


def check_envelope(envelope: Any) -> dict[str, Any]:
    """The envelope's own members (both releases): strings, RFC 3339 stamps, none of them null."""
    if not isinstance(envelope, dict):
        raise ValidationFailed("the event must be a JSON object", code="invalid_body")
    for name in sorted(TEXTS | {"event", *STAMPS}):
        if name in envelope and envelope[name] is None:
            raise ValidationFailed(f"{name} may not be null", code=f"invalid_type:{name}")
    for name in sorted(TEXTS):
        text = envelope.get(name)
        if text is not None and not isinstance(text, str):
            raise ValidationFailed(f"{name} must be a string", code=f"invalid_type:{name}")
    for name in STAMPS:
        stamp = envelope.get(name)
        if stamp is not None and (not isinstance(stamp, str) or parse_date_time(stamp) is None):
            raise ValidationFailed(f"{name} must be an RFC 3339 date-time", code=f"invalid_value:{name}")
    return envelope


def check_v5_event(envelope: Any, event_type: str) -> None:
    """A v5 event against its schema (v5/nested.py: `Event`, and the payload `EVENTS` names) at every
    depth: the Event's members (`source`, `reportingSystem` EntityRefs, `relatedParty`, ...), the
    payload and what it carries; no member the schema declares null (ValidationFailed, 400).

    `@type` (which v5's Extensible requires of the event and of the carried value) may be absent, as in
    every event example of the specification: the listener's URL names the event and the class.
    """
    if not isinstance(envelope, dict):
        raise ValidationFailed("the event must be a JSON object", code="invalid_body")
    check_carried("Event", envelope, "", TYPES["v5"])
    event = envelope.get("event")
    if event is None:
        return
    if not isinstance(event, dict):
        raise ValidationFailed("event must be an object", code="invalid_type:event")
    check_carried(V5_EVENTS[event_type], event, "event.", TYPES["v5"])


def _storable(id: str) -> bool:
    try:
        check_id(id)
    except ValidationFailed:
        return False
    return True


def apply_event(uow: UnitOfWork, received: Received, *, scope: str, actor: Actor) -> str:
    """Apply one received event to the local catalog; APPLIED, UNCHANGED (a duplicate or older event)
    or IGNORED (no resource in it)."""
    resource, suffix, version = received.resource, received.suffix, received.version
    member = _resource_of(received.envelope, resource)
    if member is None or member.get("id") is None:
        # The specification's events need not carry the resource, nor it its id: such an event names
        # nothing to apply, so it is acknowledged and ignored (docs/events.md).
        return IGNORED
    if not _storable(member["id"]):
        # The specification allows any string as the resource's id; one this catalog cannot store (a
        # '/', too long, ...) names nothing it can follow, so the event is acknowledged and ignored.
        return IGNORED
    id = check_id(member["id"])
    current = uow.fetch(scope, resource.kind, id, for_update=True)
    if current is not None and version is not None and current.version >= version:
        return UNCHANGED
    now = utc_now()
    if suffix == DELETE:
        if current is None or current.deleted:
            return UNCHANGED
        body = current.body
    else:
        kept = None if current is None or current.deleted else current.body
        if suffix in (CHANGE, STATE) and "name" not in member:
            # An attribute or state change may carry only what changed (the v5 examples do): merged
            # onto the local resource (a whole resource always has its name); a part of a resource
            # this catalog does not hold names nothing it can apply.
            if kept is None:
                return IGNORED
            member = {**read_view(resource, kept), **member}
        if member.get("@type") is None:
            # The listener's URL names the resource's class (v5 requires one on a client's create).
            member = {**member, "@type": resource.cls}
        stamp = member.get("lastUpdate")
        body = prepare(resource, member, None, stamp if isinstance(stamp, str) else now_stamp())
        # Stored as any write of the resource's release: what that release cannot see is kept.
        body = write_form(resource, body, kept)
        if version is None and kept is not None and kept == body:
            return UNCHANGED
    number = version or (1 if current is None else current.version + 1)
    doc = Document(
        scope=scope,
        kind=resource.kind,
        id=id,
        version=number,
        body=body,
        created_at=now if current is None else current.created_at,
        created_by=actor.user if current is None else current.created_by,
        created_by_client=actor.client if current is None else current.created_by_client,
        modified_at=now,
        modified_by=actor.user,
        modified_by_client=actor.client,
        deleted=suffix == DELETE,
    )
    change = DELETED if suffix == DELETE else CREATED if current is None or current.deleted else UPDATED
    uow.save(doc, expected_version=None if current is None else current.version, change=change)
    return APPLIED


class Listener:
    """One listener endpoint: a resource and an event kind."""

    def __init__(self, base: str, resource: Resource, suffix: str, *, oracle_names: bool) -> None:
        self.resource, self.suffix, self.oracle = resource, suffix, oracle_names
        self.event_type = resource.cls + suffix
        self.path = f"{base}listener/{resource.path}{suffix}"

    async def __call__(self, request: Request) -> Response:
        """201 with the specification's acknowledgement (id: the event's id, callback: this listener)."""
        return await self.handle(request, to_standard(await read_json(request)))

    async def handle(self, request: Request, envelope: Any) -> Response:
        """Apply a read event as this listener's event type (the route's, whatever `eventType` says).

        The specification's event schemas leave `eventType` a free string, so a body naming another type
        (or none) is a valid request: the URL the hub was told to call decides how it is applied.
        """
        if self.resource.api == "v5":
            check_v5_event(envelope, self.event_type)
        scope, actor, version = tenant_scope(request), actor_of(request), resource_version(request)
        received = Received(self.resource, CHANGE if self.suffix == BATCH else self.suffix, envelope, version)
        await run_unit(request, lambda uow: apply_event(uow, received, scope=scope, actor=actor), write=True)
        if self.resource.api != "v4":
            # v5's listeners answer 204 Notified, without a body.
            return Response(status_code=204, headers={"Content-Type": "application/json;charset=utf-8"})
        event_id = envelope.get("eventId") if isinstance(envelope, dict) else None
        ack = {"id": event_id if isinstance(event_id, str) else "", "callback": self.path}
        return json_response(to_oracle(ack) if self.oracle else ack, 201)


class JobListener:
    """A v5 job event listener: 204 for an event its schema takes (then nothing changes here)."""

    def __init__(self, name: str) -> None:
        self.event_type = name[0].upper() + name[1:]
        self.member = name.removesuffix("CreateEvent").removesuffix("StateChangeEvent")

    async def __call__(self, request: Request) -> Response:
        envelope = check_envelope(to_standard(await read_json(request)))
        check_v5_event(envelope, self.event_type)
        event = envelope.get("event")
        job = event.get(self.member) if isinstance(event, dict) else None
        status = job.get("status") if isinstance(job, dict) else None
        if status is not None and status not in JOB_STATES:
            # JobStateType is an enumeration (v5/nested.py types it a string).
            at = f"event.{self.member}.status"
            raise ValidationFailed(f"{at} must be one of {', '.join(JOB_STATES)}", code=f"invalid_value:{at}")
        return Response(status_code=204, headers={"Content-Type": "application/json;charset=utf-8"})


class AnyListener:
    """`POST <base>/listener` (an extension): every event type at one URL, dispatched on `eventType`.

    One hub subscription with this callback delivers a whole catalog in commit order.
    """

    def __init__(self, listeners: list[Listener]) -> None:
        self.by_type = {item.event_type: item for item in listeners}

    async def __call__(self, request: Request) -> Response:
        """Hand the event to its type's listener; 400 for an unknown eventType."""
        envelope = to_standard(await read_json(request))
        kind = envelope.get("eventType") if isinstance(envelope, dict) else None
        listener = self.by_type.get(kind) if isinstance(kind, str) else None
        if listener is None:
            raise ValidationFailed("eventType must name a TMF620 event", code="invalid_value:eventType")
        return await listener.handle(request, envelope)


def listener_routes(base: str, *, oracle_names: bool) -> list[BaseRoute]:
    """A listener per event type of every resource of the base path's release (the specification's,
    and the ones it leaves out), v4's `catalogBatchEvent`, and one URL for them all."""
    resources = release_of(base).resources
    listeners = [
        Listener(base, resource, suffix, oracle_names=oracle_names)
        for resource in resources.values()
        for suffix in SUFFIXES
    ]
    if "catalog" in resources:
        listeners.append(Listener(base, resources["catalog"], BATCH, oracle_names=oracle_names))
    v4 = "catalog" in resources
    routes: list[BaseRoute] = [
        ApiRoute(
            item.path,
            {"POST": Operation(item, docs.listen(item.event_type, acknowledged=v4))},
            name=f"listener_{item.event_type}",
        )
        for item in listeners
    ]
    everything = Operation(AnyListener(listeners), docs.listen_any(resources, acknowledged=v4))
    if not v4:
        # v5 also declares listeners of another catalog's import and export jobs: nothing to apply.
        routes += [
            ApiRoute(
                f"{base}listener/{name}",
                {"POST": Operation(JobListener(name), docs.listen_job(name))},
                name=f"listener_{name}",
            )
            for name in docs.JOB_EVENTS
        ]
    routes.append(ApiRoute(f"{base}listener", {"POST": everything}, name="listener"))
    return routes
