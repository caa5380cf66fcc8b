"""The TMF620 test kit: base paths, the Error assertion, one resource factory over a client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

STD = "/tmf-api/productCatalogManagement/v4/"
ORA = "/productCatalogManagement/v4/"
# The five v4 resources (path segment: @type); v5 renames `catalog` to `productCatalog`.
RESOURCES = {
    "catalog": "Catalog",
    "category": "Category",
    "productOffering": "ProductOffering",
    "productOfferingPrice": "ProductOfferingPrice",
    "productSpecification": "ProductSpecification",
}
V5_RESOURCES = {"productCatalog": "ProductCatalog", **{k: v for k, v in RESOURCES.items() if k != "catalog"}}
# The v5 relatedParty example of TMF620 v5 (a reference to an organisation).
V5_PARTY_EXAMPLE = {
    "role": "vendor",
    "@type": "RelatedPartyRefOrPartyRoleRef",
    "partyOrPartyRole": {
        "id": "3426",
        "href": "https://mycsp.com:8080/tmf-api/partyManagement/v5/organization/3426",
        "name": "Broadly Broad Ltd",
        "@type": "PartyRef",
        "@referredType": "Organization",
    },
}
ERROR_KEYS = {"code", "reason", "message", "status", "@type"}

Make = Callable[..., dict[str, Any]]


def assert_error(
    response: Any, status: int, code: str | None = None, *, prefix: bool = False
) -> dict[str, Any]:
    """The response is a TMF Error with this status (and this code, or a code starting with it)."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) >= ERROR_KEYS, body
    assert body["status"] == str(status) and body["@type"] == "Error"
    assert isinstance(body["reason"], str) and body["reason"]
    if code is not None:
        assert body["code"].startswith(code) if prefix else body["code"] == code, body
    return body


def maker(client: TestClient) -> Make:
    """A factory creating a resource (a productOffering unless told) and returning its body (asserts 201)."""

    def create(resource: str = "productOffering", base: str = STD, **members: Any) -> dict[str, Any]:
        body = {"name": "an offering", **members}
        response = client.post(f"{base}{resource}", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return create
