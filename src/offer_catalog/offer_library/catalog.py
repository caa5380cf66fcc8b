"""What the decisioning engine reads: every live instance of a container as plain data."""

from __future__ import annotations

from typing import Any

from offer_catalog.documents import service
from offer_catalog.documents.query import Query
from offer_catalog.resources.offer_library import ALL
from offer_catalog.store.base import UnitOfWork

KINDS = tuple(spec.name for spec in ALL)


def load_container_instances(uow: UnitOfWork, container_id: str) -> list[dict[str, Any]]:
    """All live instances of a container: `{"schema": kind, "@id", "repo:etag", "instance": body}`.

    `schema` is the kind name (`personalized-offer`, `fallback-offer`, `offer-placement`, `tag`,
    `offer-filter`, `eligibility-rule`, `ranking-function`, `offer-activity`); `instance` is the stored
    `_instance` (shared, treat it as read-only). Ordered by kind, then instanceId. The container's
    tenant is not checked here: callers resolve the container for their caller first.
    """
    page = service.list_documents(uow, scope=container_id, query=Query(kinds=KINDS, with_total=False))
    return [
        {"schema": doc.kind, "@id": doc.body.get("@id"), "repo:etag": doc.version, "instance": doc.body}
        for doc in sorted(page.items, key=lambda d: (d.kind, d.id))
    ]
