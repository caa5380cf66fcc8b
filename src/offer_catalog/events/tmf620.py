"""TMF620 event notifications: which events a write produces, and their envelopes as the spec defines them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from offer_catalog.documents.model import CREATED, DELETED, Document, Event
from offer_catalog.patch import diff
from offer_catalog.store.base import UnitOfWork
from offer_catalog.tmf620.names import to_oracle
from offer_catalog.tmf620.resources import RESOURCES, SCOPE, Resource, release_of
from offer_catalog.tmf620.service import view

# Event ids are UUIDv5 of the write and the event type: the same on every retry, for every subscriber.
EVENT_NAMESPACE = uuid.UUID("6f1d8f3e-6a43-4c1e-9a55-2f0d2b7c7e10")
CREATE, CHANGE, STATE, DELETE = "CreateEvent", "AttributeValueChangeEvent", "StateChangeEvent", "DeleteEvent"
_QUIET = ("/lifecycleStatus", "/lastUpdate")


@dataclass(frozen=True, slots=True)
class Notification:
    """One TMF620 event of a write, before it is rendered for a subscription's base path and names."""

    event_id: str
    event_type: str
    resource: Resource
    doc: Document
    occurred_at: str
    field_path: str | None = None


def event_id(event: Event, event_type: str) -> str:
    """The stable, subscription-independent id of one event of one write."""
    key = f"{event.scope}/{event.kind}/{event.id}/{event.version}/{event_type}"
    return str(uuid.uuid5(EVENT_NAMESPACE, key))


def _changed_paths(before: Document, after: Document) -> list[str]:
    return [str(op["path"]) for op in diff(before.body, after.body)]


def is_tmf620_scope(scope: str) -> bool:
    """The single-organisation TMF620 scope or one organisation's (`tmf620:<org>`)."""
    return scope == SCOPE or scope.startswith(SCOPE + ":")


def notifications(uow: UnitOfWork, event: Event) -> list[Notification]:
    """The TMF620 events an outbox event stands for (none for other scopes and kinds)."""
    resource = RESOURCES.get(event.kind)
    if not is_tmf620_scope(event.scope) or resource is None:
        return []
    doc = uow.fetch_version(event.scope, event.kind, event.id, event.version)
    if doc is None:
        return []

    def make(suffix: str, field_path: str | None = None) -> Notification:
        name = resource.cls + suffix
        return Notification(event_id(event, name), name, resource, doc, event.occurred_at, field_path)

    if event.change == CREATED:
        return [make(CREATE)]
    if event.change == DELETED:
        return [make(DELETE)]
    previous = uow.fetch_version(event.scope, event.kind, event.id, event.version - 1)
    paths = [] if previous is None else _changed_paths(previous, doc)
    out = []
    state_changed = "/lifecycleStatus" in paths
    if state_changed:
        out.append(make(STATE))
    if not state_changed or any(p not in _QUIET for p in paths):
        out.append(make(CHANGE, ",".join(p for p in paths if p != "/lifecycleStatus")))
    return out


def resource_member(resource: Resource) -> str:
    """The member of `event` that carries the resource (`productOffering`, `catalog`, ...)."""
    return resource.path


def released(note: Notification, base_path: str) -> Resource:
    """The resource of the note as the release of a subscription's base path names it."""
    return release_of(base_path).by_kind(note.resource.kind) or note.resource


def event_type(note: Notification, base_path: str) -> str:
    """The event type as the release of a subscription's base path names it (v5: `ProductCatalog...`)."""
    return released(note, base_path).cls + note.event_type.removeprefix(note.resource.cls)


def envelope(note: Notification, *, base_path: str, name_style: str) -> dict[str, Any]:
    """The notification body: eventId, eventTime, eventType, (fieldPath), event: {<resource>: view}.

    In the release of the subscription's base path: v5 names the collection and class its way, and
    its Event is Extensible (`@type`, the event type)."""
    resource = released(note, base_path)
    body = view(resource, note.doc, base_path)
    if name_style == "oracle":
        body = to_oracle(body)
    kind = event_type(note, base_path)
    out: dict[str, Any] = {"eventId": note.event_id, "eventTime": note.occurred_at, "eventType": kind}
    if resource.api != "v4":
        out["@type"] = kind
    if note.field_path is not None:
        out["fieldPath"] = note.field_path
    out["event"] = {resource_member(resource): body}
    return out
