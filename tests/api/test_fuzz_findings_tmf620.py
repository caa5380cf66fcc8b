"""Fuzz findings in TMF620 (v4 and v5).

- A PATCH setting the server-managed `href` to an object or an array (`{"href": {"a": [1]}}`) answered
  500 (an unhashable value compared with the resource's own hrefs); it is the 400
  `not_patchable:href` of any other new `href`, and the resource is unchanged.
- On a database both releases share, a v5 write the v5 document allows (an `@schemaLocation` that is no
  URI: v5's is any string; a member v5 dropped, kept as an undeclared member of any value:
  ProductOfferingPrice `constraint: {}`, Category `parentId: 5`) made every v4 GET and list of that
  resource violate the v4 document's response schema. The v4 view hides such a member (v5 still sees
  it, and a v4 write that does not give it anew keeps it).
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
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


# (v5 collection, v4 collection, v5 @type, members a v5 write takes that v4 cannot carry)
V5_ONLY_VALUES = (
    ("productOffering", "productOffering", "ProductOffering", {"@schemaLocation": "not a uri"}),
    ("productCatalog", "catalog", "ProductCatalog", {"@schemaLocation": "nope"}),
    ("productSpecification", "productSpecification", "ProductSpecification", {"@schemaLocation": "x y"}),
    ("productOfferingPrice", "productOfferingPrice", "ProductOfferingPrice", {"constraint": {}}),
    ("productOfferingPrice", "productOfferingPrice", "ProductOfferingPrice", {"constraint": [{}]}),
    ("category", "category", "Category", {"parentId": 5, "@schemaLocation": "c"}),
)


def _answers(document: dict[str, Any], path: str, method: str) -> Any:
    schema = document["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


@pytest.mark.parametrize(("v5", "v4", "cls", "members"), V5_ONLY_VALUES)
def test_v5_values_v4_cannot_carry_are_hidden_from_v4_and_kept(
    client: TestClient, v5: str, v4: str, cls: str, members: dict[str, Any]
) -> None:
    base4, base5 = TMF_BASES
    document = client.get(f"{base4}/openapi.json").json()
    made = client.post(f"{base5}/{v5}", json={"name": "v5", "@type": cls, **members})
    assert made.status_code == 201, made.text
    id = made.json()["id"]
    one = client.get(f"{base4}/{v4}/{id}")
    assert one.status_code == 200, one.text
    assert not set(members) & set(one.json()), one.json()
    assert list(_answers(document, f"/{v4}/{{id}}", "get").iter_errors(one.json())) == []
    listed = client.get(f"{base4}/{v4}", params={"id": id})
    assert [item["id"] for item in listed.json()] == [id]
    assert list(_answers(document, f"/{v4}", "get").iter_errors(listed.json())) == []
    # A v4 write leaves what it cannot see as v5 wrote it; one that gives the member anew replaces it.
    before5 = client.get(f"{base5}/{v5}/{id}").json()
    patched = client.patch(f"{base4}/{v4}/{id}", json={"description": "d"}, headers=MERGE)
    assert patched.status_code == 200, patched.text
    assert list(_answers(document, f"/{v4}/{{id}}", "patch").iter_errors(patched.json())) == []
    after5 = client.get(f"{base5}/{v5}/{id}").json()
    # (v4 gives a ProductCatalog-typed catalog its @baseType Catalog on a write, as to any other class)
    base_type = {"@baseType": "Catalog"} if v4 == "catalog" else {}
    assert after5 == {**before5, "description": "d", "lastUpdate": after5["lastUpdate"], **base_type}
    anew = {"@schemaLocation": "https://example.com/s.json"}
    assert client.patch(f"{base4}/{v4}/{id}", json=anew, headers=MERGE).status_code == 200
    assert client.get(f"{base5}/{v5}/{id}").json()["@schemaLocation"] == anew["@schemaLocation"]
