"""TMF620 use cases over a unit of work: resource views, create, patch, delete, list, history. No HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from offer_catalog.documents import service as documents
from offer_catalog.documents.model import Actor, Document
from offer_catalog.documents.query import AllOf, Condition, Query
from offer_catalog.errors import ValidationFailed
from offer_catalog.patch import apply_json_patch, apply_merge_patch, apply_patch_query
from offer_catalog.resources.shapes import Arr
from offer_catalog.resources.tmf620 import SERVER_MANAGED, prepare
from offer_catalog.resources.tmf620.rules import TYPES, declared_null
from offer_catalog.store.base import UnitOfWork
from offer_catalog.store.rows import Fetched
from offer_catalog.tmf620 import integrity, versions
from offer_catalog.tmf620.query import ListParams
from offer_catalog.tmf620.resources import ALL_BASE_PATHS, Resource, href
from offer_catalog.tmf620.views import read_view, write_form

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
    """The resource as served: id and href (under the request's base path) first, then the stored body.

    A version other than the current one has `?version=` in its href (user guide); the body is the
    resource's release's view of the stored form."""
    link = href(base, resource, doc.id)
    if doc.kind != resource.kind:
        link += "?version=" + quote(str(versions.version_of(doc)), safe="")
    return {"id": doc.id, "href": link, **seen(resource, doc.body)}


def seen(resource: Resource, stored: dict[str, Any]) -> dict[str, Any]:
    """What a client of the resource's release sees of a stored body."""
    return read_view(resource, stored)


class _SeenOnce:
    """`seen` of one stored body, built once however often a write asks for it (its patch, then its
    validation and stored form: one view instead of three). The view is only read: `prepare` copies."""

    def __init__(self, resource: Resource) -> None:
        self.resource = resource
        self.stored: dict[str, Any] | None = None
        self.view: dict[str, Any] = {}

    def __call__(self, stored: dict[str, Any]) -> dict[str, Any]:
        if stored is not self.stored:
            self.stored, self.view = stored, seen(self.resource, stored)
        return self.view


def _validator(
    uow: UnitOfWork, scope: str, resource: Resource, strict: bool, views: _SeenOnce | None = None
) -> Callable[[Any, Document | None], Any]:
    view_of = views if views is not None else _SeenOnce(resource)

    def validate(body: Any, previous: Document | None) -> Any:
        stored = None if previous is None else previous.body
        old = None if stored is None else view_of(stored)
        result = prepare(resource, body, old, now_stamp())
        if strict:
            integrity.check_references(uow, scope, resource, result, old)
        return write_form(resource, result, stored, old)

    return validate


def check_id(value: Any) -> str:
    """A resource id a write may give (400 `invalid_type:id` / `invalid_value:id` otherwise)."""
    if not isinstance(value, str):
        raise ValidationFailed("id must be a string", code="invalid_type:id", details={"member": "id"})
    if (
        not value.strip()
        or "/" in value
        or len(value) > 200
        or not value.isprintable()
        or versions.target(value, None)[1] is not None
    ):
        raise ValidationFailed(
            "id must be 1-200 printable characters without '/', not ending in ':(version=...)'",
            code="invalid_value:id",
            details={"member": "id"},
        )
    return value


def create(
    uow: UnitOfWork, *, scope: str, resource: Resource, body: Any, actor: Actor = ACTOR, strict: bool = False
) -> Document:
    """Store a new resource; a client-chosen id is kept (AlreadyExists if taken), else one is generated.

    `strict`: every reference must name a live resource of the scope (tmf620/integrity.py)."""
    if not isinstance(body, dict):
        raise ValidationFailed("the resource must be a JSON object", code="invalid_body")
    id = check_id(body["id"]) if body.get("id") is not None else None
    validate, kind = _validator(uow, scope, resource, strict), resource.kind
    now = None if id is None else versions.live(uow, scope, kind, id)
    if now is not None:
        # An existing id with another version: a new version of the entity (user guide).
        prepared = validate(body, None)
        return versions.create_version(
            uow, scope=scope, resource=resource, now=now, body=prepared, actor=actor
        )
    return documents.create(uow, scope=scope, kind=kind, body=body, actor=actor, id=id, validate=validate)


def get(uow: UnitOfWork, *, scope: str, resource: Resource, id: str, version: str | None = None) -> Fetched:
    """The current version, or the given entity version (NotFound when absent or deleted), its body
    decoded only if asked for (`Fetched.document()`: a GET whose answer is cached needs the version)."""
    kind = versions.locate(uow, scope, resource, id, version)
    return documents.get_lazy(uow, scope=scope, kind=kind, id=id)


def _unchanged(member: str, before: dict[str, Any], after: dict[str, Any], resource: Resource) -> bool:
    old, new = before.get(member, _MISSING), after.get(member, _MISSING)
    if member == "href":
        own = {href(b, resource, str(before["id"])) for b in ALL_BASE_PATHS}
        return new == old or (isinstance(new, str) and new in own)
    return bool(new == old)


def appends(resource: Resource, before: dict[str, Any], operations: Any) -> Any:
    """TMF's `add` of one value on a member declared as an array appends it (the form the TMF620 v5
    examples use, `{"op": "add", "path": "/place", "value": {...}}`); RFC 6902 would make the array
    an object, which the member's type refuses. Every other operation is left as RFC 6902 reads it."""
    if not isinstance(operations, list):
        return operations
    out: list[Any] = []
    for op in operations:
        name = op.get("path", "")[1:] if isinstance(op, dict) and op.get("op") == "add" else ""
        if (
            isinstance(name, str)
            and name.isidentifier()
            and isinstance(resource.member(name), Arr)
            and "value" in op
            and not isinstance(op["value"], list)
        ):
            current = before.get(name)
            if isinstance(current, list):
                op = {**op, "path": f"/{name}/-"}
            elif current is None:
                op = {**op, "value": [op["value"]]}
        out.append(op)
    return out


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
    strict: bool = False,
    version: str | None = None,
) -> Document:
    """Apply a merge / JSON / JSON-query patch to the served view; validate; write one new version.

    `version` names an entity version (versions.py); None: the current one."""
    kind = versions.locate(uow, scope, resource, id, version)
    if style == MERGE and not isinstance(patch, dict):
        raise ValidationFailed("a merge patch must be a JSON object", code="invalid_body")

    views = _SeenOnce(resource)

    def change(stored: Any) -> Any:
        old = views(stored)
        before = {"id": id, "href": href(base, resource, id), **old}
        after = _APPLY[style](before, patch if style == MERGE else appends(resource, before, patch))
        if not isinstance(after, dict):
            raise ValidationFailed("the patched resource must be a JSON object", code="invalid_body")
        if style == MERGE and resource.api == "v5":
            _no_null_kept(resource, after)
        for member in SERVER_MANAGED:
            if not _unchanged(member, before, after, resource):
                raise ValidationFailed(
                    f"{member} is set by the server and cannot be patched",
                    code=f"not_patchable:{member}",
                    details={"member": member},
                )
        if kind != resource.kind and after.get("version") != old.get("version"):
            raise ValidationFailed(
                "the version of a kept entity version cannot change",
                code="not_patchable:version",
                details={"member": "version"},
            )
        return {k: v for k, v in after.items() if k not in ("id", "href")}

    validate = _validator(uow, scope, resource, strict, views)
    row = {"scope": scope, "kind": kind, "id": id, "actor": actor, "expected_version": accepted}
    return documents.patch(uow, change=change, validate=validate, **row)


def _no_null_kept(resource: Resource, merged: dict[str, Any]) -> None:
    """A merge patch's null removes an object member (RFC 7396); one it keeps (inside an array, which a
    merge patch replaces whole) is a value no v5 member takes (its `_MVO` schemas make none nullable)."""
    if (at := declared_null(resource.cls, merged, "", TYPES[resource.api])) is not None:
        raise ValidationFailed(f"{at} may not be null", code=f"invalid_type:{at}", details={"member": at})


def delete(
    uow: UnitOfWork,
    *,
    scope: str,
    resource: Resource,
    id: str,
    accepted: frozenset[int] | None = None,
    actor: Actor = ACTOR,
    strict: bool = False,
    version: str | None = None,
) -> None:
    """Delete (a tombstone version; the history stays readable); `strict`: not while referenced.

    `version` names one entity version; None: the entity, its current and every kept version (so
    nothing stays readable under the id)."""
    kind = versions.locate(uow, scope, resource, id, version)

    def check(doc: Document) -> None:
        if strict and kind == resource.kind:
            integrity.check_unreferenced(uow, scope, resource, doc)

    documents.delete(uow, scope=scope, kind=kind, id=id, actor=actor, expected_version=accepted, check=check)
    if version is None:
        for kept in versions.kept_kinds(uow, scope, resource, id):
            documents.delete(uow, scope=scope, kind=kept, id=id, actor=actor)


def list_page(
    uow: UnitOfWork, *, scope: str, resource: Resource, params: ListParams, limit: int
) -> tuple[list[Document], int]:
    """The documents of one page and the number of all that match."""
    # Counting scans every match: do it only when the page does not show where the matches end.
    where: Condition | None = params.where
    kinds: tuple[str, ...] = (resource.kind,)
    if params.all_versions and where is not None:
        where, kinds = AllOf((versions.any_version(resource), where)), ()
    query = Query(
        kinds=kinds,
        where=where,
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
