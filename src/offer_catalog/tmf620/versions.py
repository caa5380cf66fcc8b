"""Entity versions per the TMF620 user guide ("Lifecycle Management Extensions to Catalog").

Several versions (the `version` member) live under one id. The current one, the latest created, is
the resource document itself (kind = the resource path): the default read, the one plain lists show,
the one a plain PATCH changes. Every other version is a document of kind `<path>~<version>` with the
same id, read with `?version=` or `/{id}:(version=x)`, listed when a list filters on `id` or
`version`. Our per-write history (`/{id}/history`) is another thing: the writes of one document.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from offer_catalog.documents import service as documents
from offer_catalog.documents.model import Actor, Document
from offer_catalog.documents.query import AllOf, AnyOf, Cond, Condition, Op, Query, meta
from offer_catalog.errors import AlreadyExists, NotFound
from offer_catalog.store.base import UnitOfWork
from offer_catalog.tmf620.resources import Resource

_TARGET = re.compile(r"(?P<id>.+):\(version=(?P<version>.+)\)", re.S)
_PLAIN = re.compile(r"[ -\"$-~]{1,64}")
"""A version kept in its kind as written: 1-64 printable ASCII characters, not starting with `#`."""


def archive_kind(resource: Resource, version: str) -> str:
    """The kind a version other than the current one is stored under.

    The specification lets a `version` be any string; one that is long, empty or not printable ASCII is
    named by its SHA-256 (`#<hex>`), so every kind stays short enough for the stores' key indexes."""
    if _PLAIN.fullmatch(version):
        return f"{resource.kind}~{version}"
    return f"{resource.kind}~#{hashlib.sha256(version.encode('utf-8', 'surrogatepass')).hexdigest()}"


def target(raw_id: str, version: str | None) -> tuple[str, str | None]:
    """(id, version) a request names: `/{id}:(version=x)` or `/{id}?version=x` (None: the current)."""
    match = _TARGET.fullmatch(raw_id)
    return (match["id"], match["version"]) if match else (raw_id, version)


def any_version(resource: Resource) -> Condition:
    """The documents of every version of the resource's entities (lists filtering on id or version)."""
    return AnyOf(
        (
            Cond(meta("kind"), Op.EQ, resource.kind),
            Cond(meta("kind"), Op.REGEX, "^" + re.escape(resource.kind + "~")),
        )
    )


def kept_kinds(uow: UnitOfWork, scope: str, resource: Resource, id: str) -> list[str]:
    """The kinds of the live kept versions (not the current one) of an entity."""
    where = AllOf((any_version(resource), Cond(meta("id"), Op.EQ, id)))
    page = documents.list_documents(uow, scope=scope, query=Query(where=where, with_total=False))
    return sorted(doc.kind for doc in page.items if doc.kind != resource.kind)


def version_of(doc: Document) -> str | None:
    """The `version` member of a stored document."""
    value = doc.body.get("version") if isinstance(doc.body, dict) else None
    return value if isinstance(value, str) else None


def live(uow: UnitOfWork, scope: str, kind: str, id: str) -> Document | None:
    """The live document of that kind and id, or None (never stored, or deleted)."""
    try:
        return documents.get(uow, scope=scope, kind=kind, id=id)
    except NotFound:
        return None


def locate(uow: UnitOfWork, scope: str, resource: Resource, id: str, version: str | None) -> str:
    """The kind of the document holding that version of the entity (NotFound when none does)."""
    if version is None:
        return resource.kind
    now = live(uow, scope, resource.kind, id)
    if now is not None and version_of(now) == version:
        return resource.kind
    return archive_kind(resource, version)


def create_version(
    uow: UnitOfWork, *, scope: str, resource: Resource, now: Document, body: dict[str, Any], actor: Actor
) -> Document:
    """A new version under an existing id (body prepared): the current one is kept under its version."""
    version, previous = body.get("version"), version_of(now)
    if previous is None:
        previous = resource.default_version
    taken = version == previous or (
        isinstance(version, str) and live(uow, scope, archive_kind(resource, version), now.id) is not None
    )
    if taken or not isinstance(version, str):
        raise AlreadyExists(
            f"{resource.kind} {now.id!r} already exists in version {version!r}; a new version needs another",
            details={"id": now.id, "kind": resource.kind, "version": version},
        )
    documents.create(
        uow, scope=scope, kind=archive_kind(resource, previous), body=now.body, actor=actor, id=now.id
    )
    return documents.replace_body(uow, scope=scope, kind=resource.kind, id=now.id, body=body, actor=actor)
