"""Fuzz findings in TMF620 (v4 and v5).

- A PATCH setting the server-managed `href` to an object or an array (`{"href": {"a": [1]}}`) answered
  500 (an unhashable value compared with the resource's own hrefs); it is the 400
  `not_patchable:href` of any other new `href`, and the resource is unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

TMF_BASES = ("/tmf-api/productCatalogManagement/v4", "/tmf-api/productCatalogManagement/v5")
MERGE = {"Content-Type": "application/merge-patch+json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}


@pytest.mark.parametrize("base", TMF_BASES)
@pytest.mark.parametrize("value", [{"a": [1]}, ["x"], 1, True])
def test_a_patch_of_href_to_another_type_is_not_patchable(client: TestClient, base: str, value: Any) -> None:
    created = client.post(f"{base}/productOffering", json={"name": "po", "@type": "ProductOffering"})
    assert created.status_code == 201, created.text
    url = f"{base}/productOffering/{created.json()['id']}"
    before = client.get(url).json()
    for headers, body in (
        (MERGE, {"href": value, "description": "d"}),
        (JSON_PATCH, [{"op": "replace", "path": "/href", "value": value}]),
    ):
        answer = client.patch(url, json=body, headers=headers)
        assert answer.status_code == 400, (headers, answer.text)
        assert answer.json()["code"] == "not_patchable:href", answer.text
    assert client.get(url).json() == before
