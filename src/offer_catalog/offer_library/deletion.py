"""Deletes as the repository spec describes them: 202 + `Location`, then the outcome.

A DELETE is answered `202 Accepted` with a `Location` to poll (the repository conventions'
asynchronous integrity check, and the offer-library pages' "202 (No Content) and a blank body"),
whether the delete was done or refused because other instances still reference the instance;
polling that location answers `200` with the outcome: a confirmation (the deletion's receipt) or a
rejection (the instances that still reference it). The integrity check itself runs at once, so the
outcome is always decided by the first poll; the location names the version the request ended at,
which makes it stateless (any worker answers it, after a restart too).

A client that prefers the outcome in the response asks for it with RFC 7240's `Prefer:
return=representation` (or `wait=<seconds>`): `200` + receipt, or `409 instance_referenced`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from offer_catalog.documents import service as documents
from offer_catalog.documents.model import Document
from offer_catalog.errors import NotFound
from offer_catalog.offer_library import hal, integrity, service
from offer_catalog.offer_library.containers import require_container
from offer_catalog.offer_library.errors import InstanceReferenced
from offer_catalog.offer_library.tenancy import Caller
from offer_catalog.resources.offer_library import BY_NAME
from offer_catalog.store.base import UnitOfWork

OUTCOME_SCHEMA = "https://ns.adobe.com/experience/xcore/operation-outcome"


def wants_outcome(request: Request) -> bool:
    """True when the Prefer header asks for the outcome in the response (and not `respond-async`)."""
    prefer = ",".join(request.headers.getlist("prefer")).lower()
    tokens = {part.split(";", 1)[0].strip().split("=", 1)[0].strip() for part in prefer.split(",")}
    chosen = {part.split(";", 1)[0].replace(" ", "") for part in prefer.split(",")}
    if "respond-async" in tokens:
        return False
    return "return=representation" in chosen or "wait" in tokens


def outcome_href(container_id: str, doc: Document) -> str:
    """Where the outcome of a delete that ended at doc (a tombstone, or the refused version) is read."""
    return f"{hal.BASE}/{container_id}/deletions/{doc.kind}/{doc.id}/{doc.version}"


def delete_or_keep(
    uow: UnitOfWork,
    *,
    caller: Caller,
    container_id: str,
    instance_id: str,
    expected: Any,
) -> Document:
    """Delete as the synchronous DELETE does, but a refusal answers the version that was kept."""
    try:
        return service.delete_instance(
            uow, caller=caller, container_id=container_id, instance_id=instance_id, expected=expected
        )
    except InstanceReferenced:
        return documents.get(uow, scope=container_id, kind=None, id=instance_id)


def outcome(
    uow: UnitOfWork, *, caller: Caller, container_id: str, kind: str, instance_id: str, version: str
) -> dict[str, Any]:
    """The outcome body of an asynchronous delete; NotFound for a location this server never gave."""
    require_container(uow, caller, container_id)
    if kind not in BY_NAME or not version.isdigit() or len(version) > 18:
        raise NotFound(f"no delete operation {kind}/{instance_id}/{version}")
    doc = documents.get_version(uow, scope=container_id, kind=kind, id=instance_id, version=int(version))
    head = {"operation": "delete", "instanceId": doc.id, "@id": doc.body.get("@id")}
    if doc.deleted:
        return {**head, "outcome": "completed", "status": 200, "receipt": hal.receipt(doc)}
    found, total = integrity.referrers(uow, container_id, doc)
    return {
        **head,
        "outcome": "rejected",
        "status": 409,
        "code": InstanceReferenced.code,
        "detail": f"{doc.body.get('@id')} is referenced by other instances; nothing was deleted",
        "referrers": [integrity.referrer_summary(item) for item in found],
        "total": total,
    }
