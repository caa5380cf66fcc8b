"""Strict reference mode (OFFER_CATALOG_TMF_STRICT_REFERENCES): references must name live resources of
the same catalog, and a resource others reference cannot be deleted. Off by default: the conformance
kit posts an offering whose productSpecification does not exist."""

from __future__ import annotations

from typing import Any

from offer_catalog.documents import service as documents
from offer_catalog.documents.model import Document
from offer_catalog.documents.query import AllOf, AnyOf, Cond, Op, Query, body, meta
from offer_catalog.errors import ReferenceViolation
from offer_catalog.store.base import UnitOfWork
from offer_catalog.tmf620.errors import ResourceReferenced
from offer_catalog.tmf620.resources import RESOURCES, Resource

MAX_REFERRERS = 10


def check_references(
    uow: UnitOfWork, scope: str, resource: Resource, new: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """ReferenceViolation naming the first reference (not already held before) to no live resource."""
    for ref in resource.refs:
        held = set() if old is None else set(ref.ids(old))
        ids = sorted(set(ref.ids(new)) - held)
        if not ids:
            continue
        target = RESOURCES[ref.target]
        # Locked (shared): a concurrent delete of a referenced resource waits, then sees this reference.
        query = Query(kinds=(target.kind,), where=Cond(meta("id"), Op.IN, ids), with_total=False, lock=True)
        found = {doc.id for doc in documents.list_documents(uow, scope=scope, query=query).items}
        missing = [i for i in ids if i not in found]
        if missing:
            raise ReferenceViolation(
                f"{ref.member} names {target.cls} {missing[0]!r}, which does not exist in this catalog",
                code=f"dangling_reference:{ref.member}",
                details={"member": ref.member, "id": missing[0], "expected": target.cls},
            )


def check_unreferenced(uow: UnitOfWork, scope: str, resource: Resource, doc: Document) -> None:
    """ResourceReferenced (409) when a live resource other than doc references it."""
    pairs = [(r, ref) for r in RESOURCES.values() for ref in r.refs if ref.target == resource.path]
    if not pairs:
        return
    where = AnyOf(
        tuple(
            AllOf(
                (
                    Cond(meta("kind"), Op.EQ, r.kind),
                    AnyOf(
                        (Cond(body(ref.member, "id"), Op.EQ, doc.id), Cond(body(ref.member), Op.EQ, doc.id))
                    ),
                )
            )
            for r, ref in pairs
        )
    )
    kinds = tuple(sorted({r.kind for r, _ in pairs}))
    query = Query(kinds=kinds, where=where, limit=MAX_REFERRERS + 1, with_total=False)
    referrers = [
        d
        for d in documents.list_documents(uow, scope=scope, query=query).items
        if d.id != doc.id or d.kind != doc.kind
    ]
    if referrers:
        named = ", ".join(f"{RESOURCES[d.kind].cls} {d.id!r}" for d in referrers[:MAX_REFERRERS])
        raise ResourceReferenced(
            f"{resource.cls} {doc.id!r} is referenced by {named}; remove those references first",
            details={"referrers": [{"@type": RESOURCES[d.kind].cls, "id": d.id} for d in referrers]},
        )
