"""The served OpenAPI document: valid OpenAPI 3 shape, every route and method, PATCH media types, Error."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from offer_catalog.tmf620.resources import RESOURCES
from support.tmf620 import ORA, STD

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for step in ref.removeprefix("#/").split("/"):
        node = node[step]
    return node


@pytest.mark.parametrize("base", [STD, ORA])
def test_openapi_describes_every_route(client: TestClient, base: str) -> None:
    response = client.get(f"{base}openapi.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.") and document["info"]["title"] and document["info"]["version"]
    assert document["servers"] == [{"url": base.rstrip("/")}]
    expected = {"/openapi.json": {"get"}}
    for path in RESOURCES:
        expected[f"/{path}"] = {"get", "post"}
        expected[f"/{path}/{{id}}"] = {"get", "patch", "delete"}
        expected[f"/{path}/{{id}}/history"] = {"get"}
        expected[f"/{path}/{{id}}/history/{{version}}"] = {"get"}
        for event in ("CreateEvent", "AttributeValueChangeEvent", "StateChangeEvent", "DeleteEvent"):
            expected[f"/listener/{path}{event}"] = {"post"}
    # The event hub, its listeners and the import/export jobs are part of the same API.
    expected["/listener/catalogBatchEvent"] = expected["/listener"] = {"post"}
    expected["/hub"] = {"post"}
    expected["/hub/{id}"] = {"delete"}
    expected["/eventSubscription"] = {"get"}
    expected["/eventSubscription/{id}"] = {"get"}
    expected["/hub/{id}/deadLetter"] = {"get"}
    expected["/hub/{id}/deadLetter/replay"] = {"post"}
    for job in ("importJob", "exportJob"):
        expected[f"/{job}"] = {"get", "post"}
        expected[f"/{job}/{{id}}"] = {"get", "delete"}
    expected["/exportJob/{id}/file"] = {"get"}
    served = {path: set(item) & METHODS for path, item in document["paths"].items()}
    assert served == expected
    for path, item in document["paths"].items():
        declared = {
            (_resolve(document, p["$ref"]) if "$ref" in p else p)["name"] for p in item.get("parameters", [])
        }
        assert set(re.findall(r"{(\w+)}", path)) <= declared, path
        for method in set(item) & METHODS:
            assert item[method]["responses"], (path, method)
    for ref in _refs(document):
        assert _resolve(document, ref) is not None
    patch = document["paths"]["/productOffering/{id}"]["patch"]["requestBody"]["content"]
    assert set(patch) == {
        "application/json",
        "application/merge-patch+json",
        "application/json-patch+json",
        "application/json-patch-query+json",
    }
    error = document["components"]["schemas"]["Error"]
    assert {"code", "reason", "message", "status", "@type"} <= set(error["properties"])
    for status in ("400", "401", "403", "404", "405", "409", "412", "415", "422", "500"):
        assert status in document["components"]["responses"]
