"""One catalog through v4 and v5: made by one release, read, listed, filtered and patched by the other."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from support.tmf620 import ORA, STD, V5_PARTY_EXAMPLE, assert_error

V5 = "/tmf-api/productCatalogManagement/v5/"
V5_ORA = "/productCatalogManagement/v5/"
# (v4 collection, v5 collection, v5 class)
PAIRS = [
    ("catalog", "productCatalog", "ProductCatalog"),
    ("category", "category", "Category"),
    ("productOffering", "productOffering", "ProductOffering"),
    ("productOfferingPrice", "productOfferingPrice", "ProductOfferingPrice"),
    ("productSpecification", "productSpecification", "ProductSpecification"),
]
MERGE = {"Content-Type": "application/merge-patch+json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}
SERVED = {"id", "href", "lastUpdate"}
V4_FROM = {"startDateTime": "2024-01-15T10:00:00-04:00"}  # a v4 date with its offset

V5_PARTY = {  # the example, as a party role
    **V5_PARTY_EXAMPLE,
    "partyOrPartyRole": {**V5_PARTY_EXAMPLE["partyOrPartyRole"], "@type": "PartyRoleRef", "partyId": "p-17"},
}
V4_PARTY = {
    "id": "42",
    "name": "Jean",
    "role": "owner",
    "@referredType": "Individual",
    "@type": "RelatedParty",
}


def _post(client: TestClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(url, json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def _get(client: TestClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    got: dict[str, Any] = response.json()
    return got


def _patch(client: TestClient, url: str, body: Any, headers: dict[str, str]) -> dict[str, Any]:
    response = client.patch(url, json=body, headers=headers)
    assert response.status_code == 200, response.text
    patched: dict[str, Any] = response.json()
    return patched


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert {k: v for k, v in a.items() if k not in SERVED} == {k: v for k, v in b.items() if k not in SERVED}


@pytest.mark.parametrize(("v4", "v5", "cls"), PAIRS)
def test_made_by_v4_read_listed_patched_and_deleted_by_v5(
    client: TestClient, v4: str, v5: str, cls: str
) -> None:
    made = _post(client, f"{STD}{v4}", {"name": "made by v4", "description": "d", "validFor": V4_FROM})
    seen = _get(client, f"{V5}{v5}/{made['id']}")
    assert seen["href"] == f"{V5}{v5}/{made['id']}"
    assert seen["@type"] == made["@type"] == V4_CLASS[v4]
    _same(seen, made)
    assert _get(client, f"{V5_ORA}{v5}/{made['id']}")["href"] == f"{V5_ORA}{v5}/{made['id']}"
    listed = client.get(f"{V5}{v5}")
    assert listed.status_code == 200 and [item["id"] for item in listed.json()] == [made["id"]]
    assert listed.json()[0] == seen
    patched = client.patch(seen["href"], json={"description": "by v5"}, headers=MERGE)
    assert patched.status_code == 200, patched.text
    assert patched.headers["etag"] == '"2"'
    again = _get(client, made["href"])
    assert again["description"] == "by v5" and again["name"] == "made by v4"
    assert client.delete(seen["href"]).status_code == 204
    assert_error(client.get(made["href"]), 404, "not_found")


@pytest.mark.parametrize(("v4", "v5", "cls"), PAIRS)
def test_made_by_v5_read_listed_patched_and_deleted_by_v4(
    client: TestClient, v4: str, v5: str, cls: str
) -> None:
    made = _post(client, f"{V5}{v5}", {"name": "made by v5", "@type": cls, "description": "d"})
    seen = _get(client, f"{STD}{v4}/{made['id']}")
    assert seen["href"] == f"{STD}{v4}/{made['id']}"
    _same(seen, made)
    assert _get(client, f"{ORA}{v4}/{made['id']}")["href"] == f"{ORA}{v4}/{made['id']}"
    assert [item["id"] for item in client.get(f"{STD}{v4}").json()] == [made["id"]]
    ops = [{"op": "replace", "path": "/description", "value": "by v4"}]
    patched = client.patch(seen["href"], json=ops, headers=JSON_PATCH)
    assert patched.status_code == 200, patched.text
    assert patched.headers["etag"] == '"2"'
    assert _get(client, made["href"])["description"] == "by v4"
    assert client.delete(seen["href"]).status_code == 204
    assert_error(client.get(made["href"]), 404, "not_found")


V4_CLASS = {"catalog": "Catalog", "category": "Category", "productOffering": "ProductOffering"}
V4_CLASS |= {"productOfferingPrice": "ProductOfferingPrice", "productSpecification": "ProductSpecification"}


def test_v4_patch_of_a_v5_offering_keeps_what_v4_cannot_see(client: TestClient) -> None:
    price = _post(client, f"{STD}productOfferingPrice", {"name": "p"})
    embedded = {"@type": "ProductOfferingPrice", "name": "monthly", "priceType": "recurring"}
    body = {
        "name": "o",
        "@type": "ProductOffering",
        "policy": [{"id": "pol1", "@type": "PolicyRef"}],
        "productOfferingCharacteristic": [
            {"@type": "CharacteristicSpecification", "name": "speed", "valueType": "number"}
        ],
        "productOfferingPrice": [{"id": price["id"], "@type": "ProductOfferingPriceRef"}, embedded],
        "externalIdentifier": [{"id": "ext-1", "@type": "ExternalIdentifier", "owner": "crm"}],
    }
    made = _post(client, f"{V5}productOffering", body)
    v4_href = f"{STD}productOffering/{made['id']}"
    v4_seen = _get(client, v4_href)
    assert v4_seen["productOfferingPrice"] == [{"id": price["id"], "@type": "ProductOfferingPriceRef"}]
    _patch(client, v4_href, {"name": "renamed"}, MERGE)
    other = _post(client, f"{STD}productOfferingPrice", {"name": "q"})
    ops = [{"op": "add", "path": "/productOfferingPrice/-", "value": {"id": other["id"]}}]
    _patch(client, v4_href, ops, JSON_PATCH)
    after = _get(client, made["href"])
    expected = {**made, "name": "renamed"}
    expected["productOfferingPrice"] = [
        {"id": price["id"], "@type": "ProductOfferingPriceRef"},
        {"id": other["id"], "@type": "ProductOfferingPriceRef"},
        embedded,
    ]
    _same(after, expected)


def test_v4_patch_of_a_v5_catalog_keeps_the_party_reference(client: TestClient) -> None:
    made = _post(
        client, f"{V5}productCatalog", {"name": "c", "@type": "ProductCatalog", "relatedParty": [V5_PARTY]}
    )
    v4_href = f"{STD}catalog/{made['id']}"
    flat = _get(client, v4_href)["relatedParty"]
    assert flat == [
        {
            "role": "vendor",
            "@type": "RelatedPartyRefOrPartyRoleRef",
            "id": "3426",
            "href": V5_PARTY["partyOrPartyRole"]["href"],  # type: ignore[index]
            "name": "Broadly Broad Ltd",
            "@referredType": "Organization",
        }
    ]
    ops = [{"op": "replace", "path": "/relatedParty/0/role", "value": "seller"}]
    _patch(client, v4_href, ops, JSON_PATCH)
    assert _get(client, made["href"])["relatedParty"] == [{**V5_PARTY, "role": "seller"}]
    # Filters name the member as each release does.
    assert [c["id"] for c in client.get(f"{STD}catalog?relatedParty.id=3426").json()] == [made["id"]]
    found = client.get(f"{V5}productCatalog?relatedParty.partyOrPartyRole.id=3426")
    assert [c["id"] for c in found.json()] == [made["id"]]
    assert client.get(f"{V5}productCatalog?relatedParty.partyOrPartyRole.id=9").json() == []


def test_v5_patch_of_a_v4_specification_keeps_what_v5_cannot_see(client: TestClient) -> None:
    characteristic = {
        "name": "speed",
        "valueType": "number",
        "productSpecCharacteristicValue": [
            {"value": 100, "valueFrom": "10", "valueTo": "many", "valueType": "number"}
        ],
    }
    made = _post(
        client,
        f"{STD}productSpecification",
        {"name": "s", "relatedParty": [V4_PARTY], "productSpecCharacteristic": [characteristic]},
    )
    v5_href = f"{V5}productSpecification/{made['id']}"
    seen = _get(client, v5_href)
    assert seen["relatedParty"] == [
        {
            "role": "owner",
            "@type": "RelatedPartyRefOrPartyRoleRef",
            "partyOrPartyRole": {
                "id": "42",
                "name": "Jean",
                "@referredType": "Individual",
                "@type": "PartyRef",
            },
        }
    ]
    value = seen["productSpecCharacteristic"][0]["characteristicValueSpecification"]
    assert value == [
        {
            "value": 100,
            "valueFrom": 10,
            "valueType": "number",
            "@type": "IntegerCharacteristicValueSpecification",
        }
    ]
    _patch(client, v5_href, {"description": "by v5"}, MERGE)
    _same(_get(client, made["href"]), {**made, "description": "by v5"})
    # v5 filters on its own member names reach what v4 stored.
    hits = client.get(f"{V5}productSpecification?relatedParty.partyOrPartyRole.id=42")
    assert [s["id"] for s in hits.json()] == [made["id"]]


def test_category_parent_across_releases(client: TestClient) -> None:
    root = _post(client, f"{STD}category", {"name": "root", "isRoot": True})
    other = _post(client, f"{V5}category", {"name": "other", "@type": "Category"})
    child = _post(client, f"{STD}category", {"name": "child", "parentId": root["id"]})
    v5_href = f"{V5}category/{child['id']}"
    assert _get(client, v5_href)["parent"] == {"id": root["id"], "@type": "CategoryRef"}
    assert [c["id"] for c in client.get(f"{V5}category?parent.id={root['id']}").json()] == [child["id"]]
    parent = {"id": other["id"], "name": "other", "@type": "CategoryRef"}
    _patch(client, v5_href, {"parent": parent}, MERGE)
    assert _get(client, child["href"])["parentId"] == other["id"]
    assert "parent" not in _get(client, child["href"])
    assert [c["id"] for c in client.get(f"{STD}category?parentId={other['id']}").json()] == [child["id"]]
    _patch(client, child["href"], {"description": "by v4"}, MERGE)
    assert _get(client, v5_href)["parent"] == parent  # the name v5 gave the parent is kept
    _patch(client, child["href"], {"parentId": root["id"]}, MERGE)
    assert _get(client, v5_href)["parent"] == {"id": root["id"], "@type": "CategoryRef"}


def test_v5_patch_of_a_v4_price_keeps_v4_only_members(client: TestClient) -> None:
    constraint = [{"id": "c1", "name": "only weekdays"}]
    made = _post(
        client,
        f"{STD}productOfferingPrice",
        {"name": "p", "constraint": constraint, "priceType": "recurring"},
    )
    v5_href = f"{V5}productOfferingPrice/{made['id']}"
    ops = [{"op": "replace", "path": "/priceType", "value": "oneTime"}]
    _patch(client, v5_href, ops, JSON_PATCH)
    after = _get(client, made["href"])
    assert after["constraint"] == constraint and after["priceType"] == "oneTime"


def test_entity_versions_across_releases(client: TestClient) -> None:
    _post(client, f"{STD}productOffering", {"id": "po-x", "name": "v1", "version": "1.0"})
    _post(
        client,
        f"{V5}productOffering",
        {"id": "po-x", "name": "v2", "@type": "ProductOffering", "version": "2.0"},
    )
    assert _get(client, f"{STD}productOffering/po-x")["name"] == "v2"
    old = _get(client, f"{V5}productOffering/po-x?version=1.0")
    assert old["name"] == "v1" and old["href"] == f"{V5}productOffering/po-x?version=1.0"
    listed = client.get(f"{V5}productOffering?id=po-x&sort=version").json()
    assert [(o["version"], o["name"]) for o in listed] == [("1.0", "v1"), ("2.0", "v2")]
    assert [o["name"] for o in client.get(f"{STD}productOffering?version=2.0").json()] == ["v2"]
    # the same version again is taken, whichever release asks
    assert_error(
        client.post(f"{STD}productOffering", json={"id": "po-x", "name": "v", "version": "2.0"}),
        409,
        "already_exists",
    )
    again = client.post(
        f"{V5}productOffering", json={"id": "po-x", "name": "v", "@type": "ProductOffering", "version": "1.0"}
    )
    assert_error(again, 409, "already_exists")


def test_filters_and_sort_across_releases(client: TestClient) -> None:
    a = _post(
        client, f"{STD}productOffering", {"name": "a", "lifecycleStatus": "In Design", "validFor": V4_FROM}
    )
    b = _post(
        client,
        f"{V5}productOffering",
        {"name": "b", "@type": "ProductOffering", "validFor": {"startDateTime": "2024-01-15T13:30:00Z"}},
    )
    by_v5 = client.get(f"{V5}productOffering?validFor.startDateTime.gt=2024-01-15T13:00:00Z&sort=name").json()
    assert [o["id"] for o in by_v5] == [a["id"], b["id"]]
    by_v4 = client.get(f"{STD}productOffering?lifecycleStatus=in design").json()
    assert [o["id"] for o in by_v4] == [a["id"]]
    assert [o["name"] for o in client.get(f"{V5}productOffering?sort=-name&fields=name").json()] == ["b", "a"]


def test_v4_patches_a_resource_whose_v5_schema_location_v4_would_refuse(client: TestClient) -> None:
    # v5 types @schemaLocation as any string, v4 as an absolute URI: v4 still patches what it did not touch.
    made = _post(
        client,
        f"{V5}productOffering",
        {"name": "o", "@type": "ProductOffering", "@schemaLocation": "local.json"},
    )
    v4_href = f"{STD}productOffering/{made['id']}"
    # v4 cannot carry it: its view hides it (docs/tmf620-v5.md, "Limits"), and its write keeps it for v5.
    assert "@schemaLocation" not in _patch(client, v4_href, {"name": "renamed"}, MERGE)
    assert _get(client, made["href"])["@schemaLocation"] == "local.json"
    assert_error(
        client.patch(v4_href, json={"@schemaLocation": "other.json"}, headers=MERGE),
        400,
        "invalid_value:@schemaLocation",
    )
    assert _get(client, made["href"])["name"] == "renamed"
