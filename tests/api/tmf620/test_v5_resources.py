"""TMF620 v5 beside v4: the five v5 collections on both base paths, v5's @type rule, status codes, members."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from support.tmf620 import STD, assert_error
from support.tmf620 import V5_RESOURCES as RESOURCES

V5 = "/tmf-api/productCatalogManagement/v5/"
V5_ORA = "/productCatalogManagement/v5/"


@pytest.mark.parametrize("resource", RESOURCES)
def test_crud_on_every_v5_resource(client: TestClient, resource: str) -> None:
    cls = RESOURCES[resource]
    created = client.post(f"{V5}{resource}", json={"name": "n1", "@type": cls, "description": "d"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == body["href"] == f"{V5}{resource}/{body['id']}"
    assert created.headers["etag"] == '"1"'
    assert body["@type"] == cls and "@baseType" not in body
    assert (body["lifecycleStatus"], body["version"], body["name"]) == ("In Study", "1.0", "n1")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", body["lastUpdate"])
    got = client.get(body["href"])
    assert got.status_code == 200 and got.json() == body and got.headers["etag"] == '"1"'
    assert client.get(f"{V5}{resource}").json() == [body]
    patched = client.patch(
        body["href"], json={"description": "e"}, headers={"Content-Type": "application/merge-patch+json"}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == "e" and patched.headers["etag"] == '"2"'
    assert client.delete(body["href"]).status_code == 204
    assert_error(client.get(body["href"]), 404, "not_found")
    assert_error(client.delete(body["href"]), 404, "not_found")
    assert_error(client.patch(body["href"], json={"name": "x"}), 404, "not_found")
    assert client.get(f"{V5}{resource}").json() == []


@pytest.mark.parametrize("resource", RESOURCES)
def test_v5_create_requires_type(client: TestClient, resource: str) -> None:
    assert_error(client.post(f"{V5}{resource}", json={"name": "n"}), 400, "required:@type")
    assert_error(client.post(f"{V5}{resource}", json={"name": "n", "@type": None}), 400, "required:@type")
    assert client.get(f"{V5}{resource}").json() == []
    # v4 keeps its rule: the class is the resource's when absent.
    v4 = "catalog" if resource == "productCatalog" else resource
    assert client.post(f"{STD}{v4}", json={"name": "n"}).status_code == 201


def test_v5_create_requires_name(client: TestClient) -> None:
    assert_error(client.post(f"{V5}category", json={"@type": "Category"}), 400, "required:name")


def test_v5_type_names_no_other_v5_resource(client: TestClient) -> None:
    response = client.post(f"{V5}category", json={"name": "n", "@type": "ProductOffering"})
    assert_error(response, 400, "invalid_value:@type")
    # A subclass of its own: @baseType names the resource's class.
    sub = client.post(f"{V5}category", json={"name": "n", "@type": "MyCategory"}).json()
    assert (sub["@type"], sub["@baseType"]) == ("MyCategory", "Category")
    # ProductCatalog's discriminator also names Catalog (the v5 create example uses it).
    plain = client.post(f"{V5}productCatalog", json={"name": "n", "@type": "Catalog"})
    assert plain.status_code == 201 and "@baseType" not in plain.json()


def test_v5_members_are_checked_on_write(client: TestClient) -> None:
    # Category's parent is a CategoryRef: an object with an id.
    bad = client.post(f"{V5}category", json={"name": "n", "@type": "Category", "parent": "c1"})
    assert_error(bad, 400, "invalid_type:parent")
    missing = client.post(f"{V5}category", json={"name": "n", "@type": "Category", "parent": {"name": "x"}})
    assert_error(missing, 400, "required:parent.id")
    # v5-only nested types: a policy reference needs its id; relatedParty holds partyOrPartyRole.
    offering = {"name": "o", "@type": "ProductOffering", "policy": [{"@type": "PolicyRef"}]}
    assert_error(client.post(f"{V5}productOffering", json=offering), 400, "required:policy[0].id")
    party = {"role": "vendor", "@type": "RelatedPartyRefOrPartyRoleRef", "partyOrPartyRole": {"name": "x"}}
    catalog = {"name": "c", "@type": "ProductCatalog", "relatedParty": [party]}
    assert_error(
        client.post(f"{V5}productCatalog", json=catalog), 400, "required:relatedParty[0].partyOrPartyRole.id"
    )
    party["partyOrPartyRole"] = {"id": "3426", "@type": "PartyRef", "@referredType": "Organization"}
    assert client.post(f"{V5}productCatalog", json=catalog).status_code == 201


def test_v5_oracle_base_path_serves_the_same_catalog(client: TestClient) -> None:
    made = client.post(f"{V5}productOffering", json={"name": "o", "@type": "ProductOffering"}).json()
    other = client.get(f"{V5_ORA}productOffering/{made['id']}")
    assert other.status_code == 200
    assert other.json()["href"] == f"{V5_ORA}productOffering/{made['id']}"
    assert {k: v for k, v in other.json().items() if k != "href"} == {
        k: v for k, v in made.items() if k != "href"
    }


def test_v5_catalog_is_the_v4_catalog(client: TestClient) -> None:
    made = client.post(f"{V5}productCatalog", json={"name": "c", "@type": "ProductCatalog"}).json()
    v4 = client.get(f"{STD}catalog/{made['id']}")
    assert v4.status_code == 200 and v4.json()["href"] == f"{STD}catalog/{made['id']}"
    assert client.get(f"{V5}catalog").status_code == 404


def test_v5_patch_formats_and_fields(client: TestClient) -> None:
    made = client.post(f"{V5}productOffering", json={"name": "o", "@type": "ProductOffering"}).json()
    at = made["href"]
    ops = [{"op": "add", "path": "/description", "value": "by json patch"}]
    patched = client.patch(at, json=ops, headers={"Content-Type": "application/json-patch+json"})
    assert patched.status_code == 200 and patched.json()["description"] == "by json patch"
    implicit = client.patch(f"{at}?fields=name", json={"name": "renamed"})
    assert implicit.status_code == 200
    # v5's schemas require @type: `fields` always keeps it (with id and href).
    assert implicit.json() == {"id": made["id"], "href": at, "name": "renamed", "@type": "ProductOffering"}
    created = client.post(f"{V5}category?fields=name", json={"name": "c", "@type": "Category"})
    assert created.status_code == 201 and set(created.json()) == {"id", "href", "name", "@type"}
    unsupported = client.patch(at, content=b"{}", headers={"Content-Type": "text/plain"})
    assert_error(unsupported, 415, "unsupported_media_type")


def test_v5_list_paging_filters_and_sort(client: TestClient) -> None:
    for name in ("b", "a", "c"):
        client.post(f"{V5}productSpecification", json={"name": name, "@type": "ProductSpecification"})
    page = client.get(f"{V5}productSpecification?sort=name&limit=2&fields=name")
    assert page.status_code == 200
    assert [item["name"] for item in page.json()] == ["a", "b"]
    assert page.headers["x-total-count"] == "3" and page.headers["x-result-count"] == "2"
    found = client.get(f"{V5}productSpecification?name=c").json()
    assert [item["name"] for item in found] == ["c"]


def test_v5_errors_are_v5_error_bodies(client: TestClient) -> None:
    body = assert_error(client.get(f"{V5}productOffering/nope"), 404, "not_found")
    assert body["@type"] == "Error"


def test_v5_entity_versions(client: TestClient) -> None:
    first = client.post(
        f"{V5}productOffering", json={"id": "po1", "name": "o", "@type": "ProductOffering", "version": "1.0"}
    )
    assert first.status_code == 201
    second = client.post(
        f"{V5}productOffering", json={"id": "po1", "name": "o2", "@type": "ProductOffering", "version": "2.0"}
    )
    assert second.status_code == 201, second.text
    assert client.get(f"{V5}productOffering/po1").json()["version"] == "2.0"
    old = client.get(f"{V5}productOffering/po1?version=1.0")
    assert old.status_code == 200 and old.json()["name"] == "o"
    assert old.json()["href"] == f"{V5}productOffering/po1?version=1.0"


def test_json_patch_add_of_one_value_on_an_array_member_appends_it(client: TestClient) -> None:
    place = {"id": "9979", "@type": "PlaceRef"}
    made = client.post(
        f"{V5}productOffering", json={"name": "o", "@type": "ProductOffering", "place": [place]}
    )
    more = [{"op": "add", "path": "/place", "value": {"id": "9989", "@type": "PlaceRef"}}]
    patched = client.patch(
        made.json()["href"], json=more, headers={"Content-Type": "application/json-patch+json"}
    )
    assert patched.status_code == 200, patched.text
    assert [p["id"] for p in patched.json()["place"]] == ["9979", "9989"]
    # On an absent array member the value starts the array; a non-array member keeps RFC 6902.
    first = [{"op": "add", "path": "/channel", "value": {"id": "4406", "@type": "ChannelRef"}}]
    started = client.patch(
        made.json()["href"], json=first, headers={"Content-Type": "application/json-patch+json"}
    )
    assert [c["id"] for c in started.json()["channel"]] == ["4406"]
    wrong = [{"op": "add", "path": "/isBundle", "value": "no"}]
    refused = client.patch(
        made.json()["href"], json=wrong, headers={"Content-Type": "application/json-patch+json"}
    )
    assert_error(refused, 400, "invalid_type:isBundle")


def test_a_v5_member_v4_would_refuse_does_not_block_v4_writes(client: TestClient) -> None:
    # v5 types @schemaLocation as any string, v4 as an absolute URI: what v5 stored stays patchable by v4.
    body = {"name": "o", "@type": "ProductOffering", "@schemaLocation": "local-schema.json"}
    made = client.post(f"{V5}productOffering", json=body).json()
    patched = client.patch(f"{STD}productOffering/{made['id']}", json={"name": "x"})
    assert patched.status_code == 200, patched.text
    # v4 cannot carry it: hidden from the v4 answer (docs/tmf620-v5.md, "Limits"), kept for v5.
    assert "@schemaLocation" not in patched.json()
    assert client.get(made["href"]).json()["@schemaLocation"] == "local-schema.json"
    changed = client.patch(f"{STD}productOffering/{made['id']}", json={"@schemaLocation": "other.json"})
    assert_error(changed, 400, "invalid_value:@schemaLocation")


def test_v5_fields_keep_type_at_every_level(client: TestClient) -> None:
    body = {
        "name": "o",
        "@type": "ProductOffering",
        "category": [{"id": "c1", "name": "n", "@type": "CategoryRef"}],
    }
    made = client.post(f"{V5}productOffering", json=body).json()
    got = client.get(f"{made['href']}?fields=category.name").json()
    assert got["@type"] == "ProductOffering"
    assert got["category"] == [{"id": "c1", "name": "n", "@type": "CategoryRef"}]
    listed = client.get(f"{V5}productOffering?fields=none").json()
    assert listed == [{"id": made["id"], "href": made["href"], "@type": "ProductOffering"}]
    v4 = client.get(f"{STD}productOffering?fields=none").json()
    assert v4 == [{"id": made["id"], "href": f"{STD}productOffering/{made['id']}"}]


def test_v5_merge_patch_null_removes_a_member_but_not_inside_an_array(client: TestClient) -> None:
    period = {"startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"}
    made = client.post(
        f"{V5}productCatalog",
        json={"name": "c", "@type": "ProductCatalog", "description": "d", "validFor": period},
    ).json()
    merge = {"Content-Type": "application/merge-patch+json"}
    # RFC 7396: a null member is removed, in a nested object too.
    patched = client.patch(
        made["href"], json={"description": None, "validFor": {"endDateTime": None}}, headers=merge
    )
    assert patched.status_code == 200, patched.text
    assert "description" not in patched.json()
    assert patched.json()["validFor"] == {"startDateTime": "2026-01-01T00:00:00Z"}
    # An array is replaced whole: a null inside it is a value, which no v5 member takes (nothing changes).
    kept = {"category": [{"id": "k1", "name": "k", "@referredType": None}]}
    assert_error(
        client.patch(made["href"], json=kept, headers=merge), 400, "invalid_type:category[0].@referredType"
    )
    assert client.get(made["href"]).json() == patched.json()
