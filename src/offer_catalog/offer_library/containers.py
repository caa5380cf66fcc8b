"""Containers: documents of kind `container` in their tenant's scope; instances live in a container."""

from __future__ import annotations

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor, Document
from offer_catalog.documents.query import Condition, Query
from offer_catalog.errors import NotFound, ValidationFailed
from offer_catalog.offer_library.tenancy import Caller, tenant_scope
from offer_catalog.store.base import UnitOfWork

CONTAINER = "container"


def create_container(
    uow: UnitOfWork, *, org: str, sandbox: str, name: str, actor: Actor, container_type: str = "decisioning"
) -> Document:
    """Create a container for an organisation and sandbox; its id is the new document's id."""
    for label, value in (("org", org), ("sandbox", sandbox), ("name", name)):
        if not value.strip():
            raise ValidationFailed(f"a container needs a non-empty {label}", details={"field": label})
    body = {
        "containerType": container_type,
        "repo:name": name,
        "dataCenter": "local",
        "parentName": sandbox,
        "parentId": org,
    }
    return service.create(uow, scope=tenant_scope(org, sandbox), kind=CONTAINER, body=body, actor=actor)


def list_containers(
    uow: UnitOfWork, *, org: str, sandbox: str, where: Condition | None = None
) -> list[Document]:
    """The containers of a tenant, oldest first."""
    query = Query(kinds=(CONTAINER,), where=where, with_total=False)
    page = service.list_documents(uow, scope=tenant_scope(org, sandbox), query=query)
    return sorted(page.items, key=lambda doc: (doc.created_at, doc.id))


def require_container(uow: UnitOfWork, caller: Caller, container_id: str) -> Document:
    """The caller's container; NotFound for an unknown id or another tenant's container."""
    doc = uow.fetch(caller.scope, CONTAINER, container_id)
    if doc is None or doc.deleted:
        raise _no_container(container_id)
    return doc


def check_container(uow: UnitOfWork, caller: Caller, container_id: str) -> None:
    """`require_container` for a caller that does not need the container itself (its body is not
    decoded)."""
    fetched = uow.fetch_lazy(caller.scope, CONTAINER, container_id)
    if fetched is None or fetched.deleted:
        raise _no_container(container_id)


def _no_container(container_id: str) -> NotFound:
    return NotFound(f"container {container_id!r} not found", details={"containerId": container_id})
