"""PATCH: merge (two media types), JSON Patch, JSON Patch Query; atomicity, server members, If-Match."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from support.tmf620 import ORA, STD, Make, assert_error

MERGE_TYPES = (
    "application/json",
    "application/merge-patch+json",
    "application/merge-patch+json; charset=utf-8",
)


def _patch(client: TestClient, href: str, body: Any, media: str, **headers: str) -> Any:
    return client.patch(href, content=json.dumps(body), headers={"Content-Type": media, **headers})


def _offering(make: Make) -> dict[str, Any]:
    return make(
        id="po",
        description="d",
        validFor={"startDateTime": "2024-01-01T00:00:00Z"},
        productOfferingPrice=[{"id": "p1", "name": "one"}, {"id": "p2", "name": "two"}],
    )


def _unchanged(client: TestClient, before: dict[str, Any]) -> None:
    """The stored resource and its history are exactly as before a failed patch."""
    now = client.get(before["href"])
    assert now.json() == before and now.headers["etag"] == '"1"'
    assert [e["version"] for e in client.get(before["href"] + "/history").json()] == [1]


@pytest.mark.parametrize("media", MERGE_TYPES)
def test_merge_patch_merges_and_null_deletes(client: TestClient, make: Make, media: str) -> None:
    before = _offering(make)
    patch = {"name": "renamed", "description": None, "validFor": {"endDateTime": "2025-01-01T00:00:00Z"}}
    response = _patch(client, before["href"], patch, media)
    assert response.status_code == 200 and response.headers["etag"] == '"2"'
    after = response.json()
    assert after["name"] == "renamed" and "description" not in after
    assert after["validFor"] == {
        "startDateTime": "2024-01-01T00:00:00Z",
        "endDateTime": "2025-01-01T00:00:00Z",
    }
    assert after["productOfferingPrice"] == before["productOfferingPrice"]
    assert client.get(before["href"]).json() == after


def test_json_patch(client: TestClient, make: Make) -> None:
    before = _offering(make)
    ops = [
        {"op": "test", "path": "/id", "value": "po"},
        {"op": "replace", "path": "/productOfferingPrice/1/name", "value": "TWO"},
        {"op": "remove", "path": "/description"},
        {"op": "add", "path": "/isSellable", "value": True},
    ]
    response = _patch(client, before["href"], ops, "application/json-patch+json")
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["productOfferingPrice"][1] == {"id": "p2", "name": "TWO"}
    assert "description" not in after and after["isSellable"] is True


def test_json_patch_query(client: TestClient, make: Make) -> None:
    before = _offering(make)
    ops = [
        {"op": "replace", "path": "/productOfferingPrice?id=p2/name", "value": "TWO"},
        {"op": "remove", "path": "/productOfferingPrice?id=p1"},
    ]
    response = _patch(client, before["href"], ops, "application/json-patch-query+json")
    assert response.status_code == 200, response.text
    assert response.json()["productOfferingPrice"] == [{"id": "p2", "name": "TWO"}]


def test_json_patch_query_in_the_parent_path_form(client: TestClient, make: Make) -> None:
    """TMF630 Part 5 queries on the parent path: `/orderItem/quantity?orderItem.productOffering.id=1`."""
    before = _offering(make)
    ops = [{"op": "replace", "path": "/productOfferingPrice/name?productOfferingPrice.id=p2", "value": "TWO"}]
    response = _patch(client, before["href"], ops, "application/json-patch-query+json")
    assert response.status_code == 200, response.text
    assert response.json()["productOfferingPrice"] == [
        {"id": "p1", "name": "one"},
        {"id": "p2", "name": "TWO"},
    ]
    missing = [{"op": "remove", "path": "/productOfferingPrice/name?productOfferingPrice.id=nope"}]
    assert_error(
        _patch(client, before["href"], missing, "application/json-patch-query+json"), 409, "query_no_match"
    )
    assert client.get(before["href"]).json() == response.json()


def test_json_patch_paths_accept_oracle_names(client: TestClient, make: Make) -> None:
    before = make(**{"@type": "ProductOfferingOracle"})
    ops = [{"op": "replace", "path": "/atType", "value": "OtherOffering"}]
    response = _patch(client, before["href"], ops, "application/json-patch+json")
    assert response.status_code == 200 and response.json()["@type"] == "OtherOffering"


JP, JQ, MP = "application/json-patch+json", "application/json-patch-query+json", "application/json"
RENAME = {"op": "replace", "path": "/name", "value": "x"}


@pytest.mark.parametrize(
    ("media", "body", "status", "code"),
    [
        (JP, [RENAME, {"op": "bogus"}], 400, "malformed_patch"),
        (JP, [RENAME, {"op": "test", "path": "/version", "value": "9"}], 409, "test_failed"),
        (JP, [RENAME, {"op": "remove", "path": "/nothing"}], 409, "path_not_found"),
        (JP, {"op": "replace"}, 400, "malformed_patch"),
        (JQ, [RENAME, {"op": "remove", "path": "/productOfferingPrice?id=p9"}], 409, "query_no_match"),
        (JP, [RENAME, {"op": "add", "path": "/isBundle", "value": "no"}], 400, "invalid_type:isBundle"),
        (JP, [{"op": "remove", "path": "/name"}], 400, "required:name"),
        (JP, [RENAME, {"op": "remove", "path": "/lifecycleStatus"}], 400, "required:lifecycleStatus"),
        (MP, {"name": None}, 400, "required:name"),
        (
            MP,
            {"name": "x", "validFor": {"endDateTime": "2020-01-01T00:00:00Z"}},
            400,
            "invalid_period:validFor",
        ),
        (MP, {"name": "x", "lifecycleStatus": "Obsolete"}, 409, "invalid_transition:lifecycleStatus"),
        (MP, ["not", "an", "object"], 400, "invalid_body"),
        (MP, {"@baseType": "Product"}, 409, "not_patchable:@baseType"),
        (MP, {"@type": "Catalog"}, 400, "invalid_value:@type"),
    ],
)
def test_failed_patches_leave_the_resource_unchanged(
    client: TestClient, make: Make, media: str, body: Any, status: int, code: str
) -> None:
    before = _offering(make)
    assert_error(_patch(client, before["href"], body, media), status, code)
    _unchanged(client, before)


@pytest.mark.parametrize("member", ["id", "href", "lastUpdate"])
@pytest.mark.parametrize("media", ["application/json", "application/json-patch+json"])
def test_server_members_are_not_patchable(client: TestClient, make: Make, member: str, media: str) -> None:
    before = _offering(make)
    value = "2001-01-01T00:00:00Z" if member == "lastUpdate" else "other"
    body: Any = (
        {member: value}
        if media == "application/json"
        else [{"op": "replace", "path": f"/{member}", "value": value}]
    )
    assert_error(_patch(client, before["href"], body, media), 400, f"not_patchable:{member}")
    _unchanged(client, before)


def test_unchanged_server_members_in_a_merge_patch_are_accepted(client: TestClient, make: Make) -> None:
    before = _offering(make)
    echo = {k: before[k] for k in ("id", "href", "lastUpdate")} | {"name": "n2"}
    assert _patch(client, before["href"], echo, "application/json").json()["name"] == "n2"
    oracle_href = {"href": f"{ORA}productOffering/po", "name": "n3"}
    assert _patch(client, before["href"], oracle_href, "application/json").status_code == 200


def test_type_may_name_the_stored_type_or_a_sibling_subtype(client: TestClient, make: Make) -> None:
    before = make(**{"@type": "ProductOfferingOracle", "@baseType": "ProductOffering"})
    for new_type in ("ProductOfferingOracle", "ProductOfferingOther", "ProductOffering"):
        response = _patch(client, before["href"], {"@type": new_type}, "application/json")
        assert response.status_code == 200 and response.json()["@type"] == new_type
        assert response.json()["@baseType"] == "ProductOffering"


@pytest.mark.parametrize("media", ["text/plain", "application/xml", "application/patch+json"])
def test_other_media_types_are_415(client: TestClient, make: Make, media: str) -> None:
    before = _offering(make)
    response = client.patch(before["href"], content=b'{"name": "x"}', headers={"Content-Type": media})
    assert_error(response, 415, "unsupported_media_type")
    _unchanged(client, before)


def test_a_patch_without_content_type_is_a_merge_patch(client: TestClient, make: Make) -> None:
    before = _offering(make)
    response = client.patch(before["href"], content=b'{"description": "merged"}')
    assert response.status_code == 200
    assert response.json()["description"] == "merged" and response.json()["name"] == before["name"]


def test_invalid_json_is_400(client: TestClient, make: Make) -> None:
    before = _offering(make)
    for raw in (b'{"name": "a", "name": "b"}', b"{", b'{"x": NaN}'):
        response = client.patch(before["href"], content=raw, headers={"Content-Type": "application/json"})
        assert_error(response, 400, "invalid_json")
    _unchanged(client, before)


def test_if_match(client: TestClient, make: Make) -> None:
    before = _offering(make)
    href = before["href"]
    stale = _patch(client, href, {"name": "a"}, "application/json", **{"If-Match": '"7"'})
    assert_error(stale, 412, "precondition_failed")
    _unchanged(client, before)
    assert_error(_patch(client, href, {"name": "a"}, "application/json", **{"If-Match": "garbage"}), 412)
    ok = _patch(client, href, {"name": "a"}, "application/json", **{"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    weak_list = _patch(client, href, {"name": "b"}, "application/json", **{"If-Match": 'W/"9", W/"2"'})
    assert weak_list.status_code == 200
    assert _patch(client, href, {"name": "c"}, "application/json", **{"If-Match": "*"}).status_code == 200
    assert_error(client.delete(href, headers={"If-Match": '"1"'}), 412, "precondition_failed")
    assert client.delete(href, headers={"If-Match": '"4"'}).status_code == 204


def test_if_none_match_gives_304(client: TestClient, make: Make) -> None:
    before = _offering(make)
    assert client.get(before["href"], headers={"If-None-Match": '"1"'}).status_code == 304
    assert client.get(before["href"], headers={"If-None-Match": '"2"'}).status_code == 200


def test_patch_of_a_missing_resource_is_404(client: TestClient) -> None:
    response = _patch(client, f"{STD}productOffering/nope", {"name": "x"}, "application/json")
    assert_error(response, 404, "not_found")
