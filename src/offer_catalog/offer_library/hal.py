"""The xcore documents: an instance as HAL (also the target of PATCH), receipts, result pages, home.

Links are absolute paths on this server (`/data/core/xcore/{container}/instances/{id}`), so a
client can follow them verbatim without the `Content-Base` header the platform sends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from offer_catalog.documents.model import Document
from offer_catalog.offer_library.media import CONTAINER_SCHEMA, RESULTS_SCHEMA
from offer_catalog.resources.offer_library import BY_NAME

BASE = "/data/core/xcore"
PRODUCT_CONTEXTS = ("acp",)
# top-level members of an instance document that only the server writes
METADATA = (
    "instanceId",
    "schemas",
    "productContexts",
    "repo:etag",
    "repo:createdDate",
    "repo:lastModifiedDate",
    "repo:createdBy",
    "repo:lastModifiedBy",
    "repo:createdByClientId",
    "repo:lastModifiedByClientId",
    "sandboxName",
)


def instance_href(container_id: str, instance_id: str) -> str:
    """The path of one instance."""
    return f"{BASE}/{container_id}/instances/{instance_id}"


def metadata(doc: Document) -> dict[str, Any]:
    """The repo:* members of a stored document."""
    return {
        "repo:etag": doc.version,
        "repo:createdDate": doc.created_at,
        "repo:lastModifiedDate": doc.modified_at,
        "repo:createdBy": doc.created_by,
        "repo:lastModifiedBy": doc.modified_by,
        "repo:createdByClientId": doc.created_by_client,
        "repo:lastModifiedByClientId": doc.modified_by_client,
    }


def receipt(doc: Document) -> dict[str, Any]:
    """The xdm.receipt of a create, update, patch or delete."""
    return {"instanceId": doc.id, "@id": doc.body.get("@id"), **metadata(doc)}


def instance_document(doc: Document, sandbox: str) -> dict[str, Any]:
    """One instance as its HAL document: metadata, `_instance` and `_links.self`."""
    schema = BY_NAME[doc.kind].schema_id
    return {
        "instanceId": doc.id,
        "schemas": [schema],
        "productContexts": list(PRODUCT_CONTEXTS),
        **metadata(doc),
        "sandboxName": sandbox,
        "_instance": doc.body,
        "_links": {
            "self": {
                "name": f"{schema}#{doc.id}",
                "href": instance_href(doc.scope, doc.id),
                "@type": schema,
            }
        },
    }


def request_time() -> str:
    """Now, as the results' requestTime."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def results(
    *,
    container_id: str,
    schema: str | None,
    items: list[dict[str, Any]],
    total: int,
    self_href: str,
    next_href: str | None,
) -> dict[str, Any]:
    """A page of list or search results."""
    links: dict[str, Any] = {"self": {"href": self_href, "@type": RESULTS_SCHEMA}}
    if next_href is not None:
        links["next"] = {"href": next_href, "@type": RESULTS_SCHEMA}
    page: dict[str, Any] = {"containerId": container_id}
    if schema is not None:
        page["schemaNs"] = schema
    page["requestTime"] = request_time()
    page["_embedded"] = {"results": items, "total": total, "count": len(items)}
    page["_links"] = links
    return page


def container_entry(doc: Document) -> dict[str, Any]:
    """One container as listed by the home document."""
    return {
        "instanceId": doc.id,
        "schemas": [CONTAINER_SCHEMA],
        "productContexts": list(PRODUCT_CONTEXTS),
        **metadata(doc),
        "_instance": doc.body,
        "_links": {"self": {"href": f"{BASE}/containers/{doc.id}", "@type": CONTAINER_SCHEMA}},
    }


def home(containers: list[Document], self_href: str) -> dict[str, Any]:
    """The home.hal document: the caller's containers."""
    return {
        "_embedded": {CONTAINER_SCHEMA: [container_entry(doc) for doc in containers]},
        "_links": {"self": {"href": self_href}},
    }
