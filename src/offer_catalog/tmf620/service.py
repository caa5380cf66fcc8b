"""TMF620 use cases over a unit of work: resource views, create, patch, delete, list, history. No HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from offer_catalog.documents import service as documents
from offer_catalog.documents.model import Actor, Document
from offer_catalog.documents.query import Query
from offer_catalog.errors import ValidationFailed
from offer_catalog.patch import apply_json_patch, apply_merge_patch, apply_patch_query
from offer_catalog.store.base import UnitOfWork
from offer_catalog.tmf620.query import ListParams
from offer_catalog.tmf620.resources import BASE_PATHS, Resource, href
from offer_catalog.tmf620.rules import SERVER_MANAGED, prepare

ACTOR = Actor(user=None, client="tmf620")
MERGE, JSON_PATCH, PATCH_QUERY = "merge", "json-patch", "json-patch-query"
_APPLY: dict[str, Callable[[Any, Any], Any]] = {
    MERGE: apply_merge_patch,
    JSON_PATCH: apply_json_patch,
    PATCH_QUERY: apply_patch_query,
}
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored version of a resource, for the history endpoints."""

    version: int
    deleted: bool
    last_update: str
    view: dict[str, Any]


def now_stamp() -> str:
    """The current UTC time as the `lastUpdate` form: RFC 3339, whole seconds, `Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def view(resource: Resource, doc: Document, base: str) -> dict[str, Any]:
    """The resource as served: id and href (under the request's base path) first, then the stored body."""
    return {"id": doc.id, "href": href(base, resource, doc.id), **doc.body}


def _validator(resource: Resource) -> Callable[[Any, Document | None], Any]:
    def validate(body: Any, previous: Document | None) -> Any:
        return prepare(resource.cls, body, None if previous is None else previous.body, now_stamp())

    return validate


def _check_id(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationFailed("id must be a string", code="invalid_type:id", details={"member": "id"})
    if not value.strip() or "/" in value or len(value) > 200 or not value.isprintable():
        raise ValidationFailed(
            "id must be 1-200 printable characters without '/'",
            code="invalid_value:id",
            details={"member": "id"},
        )
    return value


def create(uow: UnitOfWork, *, scope: str, resource: Resource, body: Any, actor: Actor = ACTOR) -> Document:
    """Store a new resource; a client-chosen id is kept (AlreadyExists if taken), else one is generated."""
    if not isinstance(body, dict):
        raise ValidationFailed("the resource must be a JSON object", code="invalid_body")
    id = _check_id(body["id"]) if body.get("id") is not None else None
    return documents.create(
        uow, scope=scope, kind=resource.kind, body=body, actor=actor, id=id, validate=_validator(resource)
    )


def get(uow: UnitOfWork, *, scope: str, resource: Resource, id: str) -> Document:
    """The current version (NotFound when absent or deleted)."""
    return documents.get(uow, scope=scope, kind=resource.kind, id=id)


def _unchanged(member: str, before: dict[str, Any], after: dict[str, Any], resource: Resource) -> bool:
    old, new = before.get(member, _MISSING), after.get(member, _MISSING)
    if member == "href":
        return new == old or new in {href(b, resource, str(before["id"])) for b in BASE_PATHS}
    return bool(new == old)


def patch(
    uow: UnitOfWork,
    *,
    scope: str,
    resource: Resource,
    id: str,
    style: str,
    patch: Any,
    base: str,
    accepted: frozenset[int] | None = None,
    actor: Actor = ACTOR,
) -> Document:
    """Apply a merge / JSON / JSON-query patch to the served view; validate; write one new version."""
    if style == MERGE and not isinstance(patch, dict):
        raise ValidationFailed("a merge patch must be a JSON object", code="invalid_body")

    def change(old: Any) -> Any:
        before = {"id": id, "href": href(base, resource, id), **old}
        after = _APPLY[style](before, patch)
        if not isinstance(after, dict):
            raise ValidationFailed("the patched resource must be a JSON object", code="invalid_body")
        for member in SERVER_MANAGED:
            if not _unchanged(member, before, after, resource):
                raise ValidationFailed(
                    f"{member} is set by the server and cannot be patched",
                    code=f"not_patchable:{member}",
                    details={"member": member},
                )
        return {k: v for k, v in after.items() if k not in ("id", "href")}

    return documents.patch(
        uow,
        scope=scope,
        kind=resource.kind,
        id=id,
        change=change,
        actor=actor,
        expected_version=accepted,
        validate=_validator(resource),
    )


def delete(
    uow: UnitOfWork,
    *,
    scope: str,
    resource: Resource,
    id: str,
    accepted: frozenset[int] | None = None,
    actor: Actor = ACTOR,
) -> None:
    """Delete (a tombstone version; the history stays readable)."""
    documents.delete(uow, scope=scope, kind=resource.kind, id=id, actor=actor, expected_version=accepted)


def list_page(
    uow: UnitOfWork, *, scope: str, resource: Resource, params: ListParams, limit: int
) -> tuple[list[Document], int]:
    """The documents of one page and the number of all that match."""
    # Counting scans every match: do it only when the page does not show where the matches end.
    query = Query(
        kinds=(resource.kind,),
        where=params.where,
        sort=params.sort,
        offset=params.offset,
        limit=limit,
        with_total=False,
    )
    items = list(documents.list_documents(uow, scope=scope, query=query).items)
    if len(items) < limit and (items or params.offset == 0):
        return items, params.offset + len(items)
    counted = documents.list_documents(
        uow, scope=scope, query=replace(query, offset=0, limit=0, with_total=True)
    )
    return items, int(counted.total or 0)


def _entry(resource: Resource, doc: Document, base: str) -> Entry:
    stamp = doc.body.get("lastUpdate") if isinstance(doc.body, dict) else None
    if doc.deleted or not isinstance(stamp, str):
        stamp = doc.modified_at[:19] + "Z"
    return Entry(doc.version, doc.deleted, stamp, view(resource, doc, base))


def history(uow: UnitOfWork, *, scope: str, resource: Resource, id: str, base: str) -> list[Entry]:
    """Every stored version, oldest first (deletions included)."""
    versions = documents.history(uow, scope=scope, kind=resource.kind, id=id)
    return [_entry(resource, doc, base) for doc in versions]


def version(uow: UnitOfWork, *, scope: str, resource: Resource, id: str, number: int, base: str) -> Entry:
    """One stored version."""
    doc = documents.get_version(uow, scope=scope, kind=resource.kind, id=id, version=number)
    return _entry(resource, doc, base)
