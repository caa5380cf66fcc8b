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


# Strings the old check (RFC 3986 characters after a scheme) took that JSON Schema's `uri` format
# refuses: a `[` outside an IPv6 host (Schemathesis' own finding, in a listener event's nested
# reference), a second `#`, a port that is not a number, brackets holding no IPv6 address.
NOT_URIS = (
    "zUo2GIgijcvDJmMIB0u+vT25lgPPV:%4e%8B$%F67M%0f;%3A%44%CFsI%9a%1a%DF0[b%AE",
    "a:b#c#d",
    "http://host:port/",
    "http://[1:2]/",
)
URIS = ("https://example.com/s.json", "urn:schema:po", "http://[::1]:8080/a?b=c#d", "a:")


@pytest.mark.parametrize("value", NOT_URIS)
def test_v4_refuses_a_schema_location_that_is_no_uri_at_any_depth(client: TestClient, value: str) -> None:
    base = TMF_BASES[0]
    top = client.post(f"{base}/productOffering", json={"name": "po", "@schemaLocation": value})
    assert (top.status_code, top.json()["code"]) == (400, "invalid_value:@schemaLocation"), top.text
    nested = {"name": "c", "productOffering": [{"id": "x", "@schemaLocation": value}]}
    event = {"eventId": "e1", "eventType": "CategoryCreateEvent", "event": {"category": nested}}
    answer = client.post(f"{base}/listener/categoryCreateEvent", json=event)
    assert answer.status_code == 400, answer.text
    assert "@schemaLocation" in answer.json()["code"], answer.text
    assert client.get(f"{base}/category?name=c").json() == []


@pytest.mark.parametrize("value", URIS)
def test_v4_takes_a_schema_location_that_is_a_uri(client: TestClient, value: str) -> None:
    made = client.post(f"{TMF_BASES[0]}/productOffering", json={"name": "po", "@schemaLocation": value})
    assert made.status_code == 201, made.text
    assert made.json()["@schemaLocation"] == value
