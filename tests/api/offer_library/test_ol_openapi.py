"""The OpenAPI document of the xcore routes."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from offer_catalog.resources.offer_library import ALL

BASE = "/data/core/xcore"


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_openapi_document(client: TestClient) -> None:
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        BASE,
        f"{BASE}/",
        f"{BASE}/openapi.json",
        f"{BASE}/containers/{{CONTAINER_ID}}",
        f"{BASE}/{{CONTAINER_ID}}/instances",
        f"{BASE}/{{CONTAINER_ID}}/instances/{{INSTANCE_ID}}",
        f"{BASE}/{{CONTAINER_ID}}/queries/core/search",
        f"{BASE}/{{CONTAINER_ID}}/deletions/{{KIND}}/{{INSTANCE_ID}}/{{ETAG}}",
    }
    item = doc["paths"][f"{BASE}/{{CONTAINER_ID}}/instances/{{INSTANCE_ID}}"]
    assert set(item) == {"parameters", "get", "put", "patch", "delete"}
    assert "application/vnd.adobe.platform.xcore.patch.hal+json" in item["patch"]["requestBody"]["content"]
    assert "409" in item["patch"]["responses"] and "422" in item["patch"]["responses"]
    headers = {p["name"] for p in item["get"]["parameters"] if p["in"] == "header"}
    assert {"Authorization", "x-api-key", "x-gw-ims-org-id", "x-sandbox-name", "If-None-Match"} <= headers
    schemas = doc["components"]["schemas"]
    for target in refs(doc):
        assert target.startswith("#/components/schemas/") and target.rsplit("/", 1)[1] in schemas, target
    for spec in ALL:
        assert schemas[spec.name]["x-schema-id"] == spec.schema_id
        assert schemas[spec.name]["required"] == list(spec.shape.required)
    assert schemas["personalized-offer"]["properties"]["xdm:status"]["enum"] == [
        "draft",
        "pending",
        "rejected",
        "approved",
        "archived",
    ]
    assert client.get(f"{BASE}/openapi.json").json() == doc
