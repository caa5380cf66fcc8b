"""The core document service: plain keyword-only functions over a unit of work; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from typing import Any

from msgspec.structs import replace

from offer_catalog.documents.model import CREATED, DELETED, UPDATED, Actor, Document, utc_now
from offer_catalog.documents.query import Page, Query
from offer_catalog.errors import AlreadyExists, NotFound, VersionConflict
from offer_catalog.store.base import UnitOfWork
from offer_catalog.store.rows import Fetched

Validator = Callable[[Any, Document | None], Any]
"""Called with the new body and the previous version (None on create); returns the body to store."""
Expected = int | Collection[int] | None
"""The version(s) the caller's copy may be at (If-Match); None: write on the latest, whatever it is."""


def new_id() -> str:
    """A fresh server-assigned id."""
    return str(uuid.uuid4())


def _live(uow: UnitOfWork, scope: str, kind: str | None, id: str, *, for_update: bool = False) -> Document:
    doc = uow.fetch(scope, kind, id, for_update=for_update)
    if doc is None or doc.deleted:
        raise _not_found(kind, id)
    return doc


def _not_found(kind: str | None, id: str) -> NotFound:
    return NotFound(f"{kind or 'document'} {id!r} not found", details={"id": id, "kind": kind})


def _check_expected(doc: Document, expected: Expected) -> None:
    if expected is None:
        return
    accepted = (expected,) if isinstance(expected, int) else expected
    if doc.version not in accepted:
        listed = expected if isinstance(expected, int) else sorted(expected)
        raise VersionConflict(
            f"{doc.kind} {doc.id!r} is at version {doc.version}, not {listed}",
            details={"id": doc.id, "expected_version": listed, "current_version": doc.version},
        )


def create(
    uow: UnitOfWork,
    *,
    scope: str,
    kind: str,
    body: Any,
    actor: Actor,
    id: str | None = None,
    validate: Validator | None = None,
    now: str | None = None,
) -> Document:
    """Store a new document at version 1 (or revive a deleted id at its next version)."""
    doc_id = id if id is not None else new_id()
    previous = uow.fetch(scope, kind, doc_id) if id is not None else None
    if previous is not None and not previous.deleted:
        raise AlreadyExists(f"{kind} {doc_id!r} already exists", details={"id": doc_id, "kind": kind})
    if validate is not None:
        body = validate(body, None)
    stamp = now or utc_now()
    doc = Document(
        scope=scope,
        kind=kind,
        id=doc_id,
        version=1 if previous is None else previous.version + 1,
        body=body,
        created_at=stamp,
        created_by=actor.user,
        created_by_client=actor.client,
        modified_at=stamp,
        modified_by=actor.user,
        modified_by_client=actor.client,
    )
    uow.save(doc, expected_version=None if previous is None else previous.version, change=CREATED)
    return doc


def get(uow: UnitOfWork, *, scope: str, kind: str | None, id: str) -> Document:
    """The current version; NotFound if it never existed or was deleted."""
    return _live(uow, scope, kind, id)


def get_lazy(uow: UnitOfWork, *, scope: str, kind: str | None, id: str) -> Fetched:
    """`get` of one kind, the body decoded only if asked for (`Fetched.document()`)."""
    fetched = uow.fetch_lazy(scope, kind, id)
    if fetched is None or fetched.deleted:
        raise _not_found(kind, id)
    return fetched


def get_version(uow: UnitOfWork, *, scope: str, kind: str, id: str, version: int) -> Document:
    """One stored version (past or current)."""
    doc = uow.fetch_version(scope, kind, id, version)
    if doc is None:
        raise NotFound(
            f"{kind} {id!r} has no version {version}", details={"id": id, "kind": kind, "version": version}
        )
    return doc


def history(uow: UnitOfWork, *, scope: str, kind: str, id: str) -> list[Document]:
    """Every version, oldest first, tombstones included; NotFound if the id never existed."""
    versions = uow.fetch_history(scope, kind, id)
    if not versions:
        raise NotFound(f"{kind} {id!r} not found", details={"id": id, "kind": kind})
    return versions


def list_documents(uow: UnitOfWork, *, scope: str, query: Query) -> Page:
    """The documents of a scope matching a query."""
    return uow.query(scope, query)


def _write(
    uow: UnitOfWork, current: Document, body: Any, actor: Actor, change: str, deleted: bool = False
) -> Document:
    doc = replace(
        current,
        version=current.version + 1,
        body=body,
        deleted=deleted,
        modified_at=utc_now(),
        modified_by=actor.user,
        modified_by_client=actor.client,
    )
    uow.save(doc, expected_version=current.version, change=change)
    return doc


def update(
    uow: UnitOfWork,
    *,
    scope: str,
    kind: str | None,
    id: str,
    change: Callable[[Document], Any],
    actor: Actor,
    expected_version: Expected = None,
    validate: Validator | None = None,
) -> Document:
    """The one write path: fetch the row once (locked), check the expected version, change, validate, save.

    The row is locked for the transaction, so a write without an expected version applies to the
    latest version and never fails with a conflict; any exception leaves the stored document untouched.
    """
    current = _live(uow, scope, kind, id, for_update=True)
    _check_expected(current, expected_version)
    body = change(current)
    if validate is not None:
        body = validate(body, current)
    return _write(uow, current, body, actor, UPDATED)


def replace_body(uow: UnitOfWork, *, body: Any, **write: Any) -> Document:
    """Replace the whole body (`update` with a constant change; same keywords)."""
    return update(uow, change=lambda _current: body, **write)


def patch(uow: UnitOfWork, *, change: Callable[[Any], Any], **write: Any) -> Document:
    """Apply change(old body) -> new body (`update` on the body; same keywords)."""
    return update(uow, change=lambda current: change(current.body), **write)


def delete(
    uow: UnitOfWork,
    *,
    scope: str,
    kind: str | None,
    id: str,
    actor: Actor,
    expected_version: Expected = None,
    check: Callable[[Document], None] | None = None,
) -> Document:
    """Delete by writing a tombstone version (history stays readable); `check` may refuse first."""
    current = _live(uow, scope, kind, id, for_update=True)
    _check_expected(current, expected_version)
    if check is not None:
        check(current)
    return _write(uow, current, current.body, actor, DELETED, deleted=True)
