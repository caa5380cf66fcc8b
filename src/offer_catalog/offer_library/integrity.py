"""Rules that read other instances of the container: references, referrers, unique tag names."""

from __future__ import annotations

from typing import Any

from offer_catalog.documents import service
from offer_catalog.documents.model import Document
from offer_catalog.documents.query import AllOf, AnyOf, Cond, Op, Query, body, meta
from offer_catalog.resources.offer_library import BY_NAME, referrers_of
from offer_catalog.resources.offer_library.offer_activity import placements as activity_placements
from offer_catalog.resources.offer_library.references import Reference
from offer_catalog.store.base import UnitOfWork

MAX_REFERRERS = 100


def find_by_ids(uow: UnitOfWork, container_id: str, kinds: tuple[str, ...], ids: list[str]) -> list[Document]:
    """The live instances of the given kinds whose @id is one of ids."""
    if not ids or not kinds:
        return []
    # Locked (shared) so that a delete of one of them waits for this write and then sees it.
    query = Query(kinds=kinds, where=Cond(meta("at_id"), Op.IN, ids), with_total=False, lock=True)
    return service.list_documents(uow, scope=container_id, query=query).items


def dangling(uow: UnitOfWork, container_id: str, refs: list[Reference]) -> list[Reference]:
    """The references that name no live instance of an allowed kind in the container."""
    if not refs:
        return []
    kinds = tuple(sorted({kind for ref in refs for kind in ref.kinds}))
    found = {(doc.kind, doc.body.get("@id")) for doc in find_by_ids(uow, container_id, kinds, _ids(refs))}
    return [ref for ref in refs if not any((kind, ref.target) in found for kind in ref.kinds)]


def _ids(refs: list[Reference]) -> list[str]:
    return sorted({ref.target for ref in refs})


def referrers(uow: UnitOfWork, container_id: str, doc: Document) -> tuple[list[Document], int]:
    """Up to MAX_REFERRERS live instances that name doc's @id, and how many there are."""
    at_id = doc.body.get("@id")
    pairs = referrers_of(doc.kind)
    if not isinstance(at_id, str) or not pairs:
        return [], 0
    where = AnyOf(
        tuple(
            AllOf((Cond(meta("kind"), Op.EQ, spec.name), Cond(body(*path), Op.EQ, at_id)))
            for spec, path in pairs
        )
    )
    kinds = tuple(sorted({spec.name for spec, _ in pairs}))
    page = service.list_documents(
        uow, scope=container_id, query=Query(kinds=kinds, where=where, limit=MAX_REFERRERS)
    )
    return page.items, page.total or 0


def name_holder(
    uow: UnitOfWork, container_id: str, kind: str, name: str, except_id: str | None
) -> Document | None:
    """Another live instance of kind with this exact xdm:name, if any."""
    conditions: tuple[Cond, ...] = (Cond(body("xdm:name"), Op.EQ, name),)
    if except_id is not None:
        conditions += (Cond(meta("id"), Op.NE, except_id),)
    query = Query(kinds=(kind,), where=AllOf(conditions), limit=1, with_total=False)
    items = service.list_documents(uow, scope=container_id, query=query).items
    return items[0] if items else None


def fallback_gaps(uow: UnitOfWork, container_id: str, activity: dict[str, Any]) -> list[str]:
    """The activity's placements its fallback offer has no representation for."""
    fallback = activity.get("xdm:fallback")
    if not isinstance(fallback, str):
        return []
    docs = find_by_ids(uow, container_id, ("fallback-offer",), [fallback])
    if not docs:
        return []  # reported as a dangling reference
    covered = {rep.get("xdm:placement") for rep in docs[0].body.get("xdm:representations", [])}
    return [p for p in activity_placements(activity) if p not in covered]


def referrer_summary(doc: Document) -> dict[str, Any]:
    """How a referrer is named in an error."""
    return {"instanceId": doc.id, "@id": doc.body.get("@id"), "schema": BY_NAME[doc.kind].schema_id}
