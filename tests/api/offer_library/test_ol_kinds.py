"""Every kind through the API: create (documented example), read, look up, list, patch, put, delete."""

from __future__ import annotations

import re
from typing import Any

import pytest

from support.offer_library import (
    HAL,
    RECEIPT_MEMBERS,
    RESULTS,
    SCHEMAS,
    World,
    Xcore,
    at_ids,
    filter_body,
    placement_body,
    ranking_body,
    rule_body,
    tag_body,
    valid_body,
)


def example(kind: str, w: World) -> dict[str, Any]:
    """The documented example body of a kind, its references pointing into the world."""
    examples = {
        "personalized-offer": lambda: valid_body(kind, w, name="Second sale offer"),
        "offer-placement": lambda: placement_body("Second placement"),
        "tag": lambda: tag_body("Spring sales"),
        "offer-filter": lambda: filter_body([w["offer"]["@id"]], "offers"),
        "eligibility-rule": lambda: rule_body('profile.person.name.firstName.equals("Ann", false)'),
        "ranking-function": lambda: ranking_body("offer.rank.priority + 1"),
    }
    return examples[kind]() if kind in examples else valid_body(kind, w)


KINDS = list(SCHEMAS)


@pytest.mark.parametrize("kind", KINDS)
def test_create_read_lookup_list(xc: Xcore, world: World, kind: str) -> None:
    body = example(kind, world)
    response = xc.create(kind, body)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert set(receipt) == RECEIPT_MEMBERS
    assert re.match(rf"^xcore:{kind}:[0-9a-f]{{16}}$", receipt["@id"])
    assert receipt["repo:etag"] == 1
    assert receipt["repo:createdDate"] == receipt["repo:lastModifiedDate"]
    assert response.headers["location"] == xc.url(receipt["instanceId"])
    assert response.headers["content-type"].startswith(
        "application/vnd.adobe.platform.xcore.xdm.receipt+json"
    )

    got = xc.get(receipt["instanceId"], Accept=f'{HAL}; schema="{SCHEMAS[kind]}"')
    assert got.status_code == 200
    assert got.headers["etag"] == '"1"'
    assert got.headers["content-type"] == f'{HAL}; version=1; schema="{SCHEMAS[kind]}"'
    document = got.json()
    assert document["_instance"] == {"@id": receipt["@id"], **body}
    assert document["instanceId"] == receipt["instanceId"]
    assert document["schemas"] == [SCHEMAS[kind]]
    assert document["_links"]["self"]["href"] == xc.url(receipt["instanceId"])
    assert {k: document[k] for k in RECEIPT_MEMBERS - {"@id", "instanceId"}} == {
        k: receipt[k] for k in RECEIPT_MEMBERS - {"@id", "instanceId"}
    }

    by_id = xc.results({"schema": SCHEMAS[kind], "id": receipt["@id"]})
    assert at_ids(by_id) == [receipt["@id"]]
    by_name = xc.results({"schema": SCHEMAS[kind], "name": body["xdm:name"]})
    assert receipt["@id"] in at_ids(by_name)
    listed = xc.results({"schema": SCHEMAS[kind]})
    assert listed["schemaNs"] == SCHEMAS[kind]
    assert listed["_links"]["self"]["@type"] == RESULTS
    assert {i["schemas"][0] for i in listed["_embedded"]["results"]} == {SCHEMAS[kind]}
    assert receipt["@id"] in at_ids(listed)
    assert listed["_embedded"]["count"] == len(listed["_embedded"]["results"]) == listed["_embedded"]["total"]


@pytest.mark.parametrize("kind", KINDS)
def test_patch_put_delete(xc: Xcore, world: World, kind: str) -> None:
    receipt = xc.make(kind, example(kind, world))
    iid = receipt["instanceId"]
    patched = xc.patch(iid, [{"op": "replace", "path": "/_instance/xdm:name", "value": f"Renamed {kind}"}])
    assert patched.status_code == 200, patched.text
    assert patched.json()["repo:etag"] == 2
    assert xc.instance(iid)["xdm:name"] == f"Renamed {kind}"

    document = xc.get(iid).json()
    document["_instance"] = {**document["_instance"], "xdm:name": f"Replaced {kind}"}
    replaced = xc.put(iid, document, **{"If-Match": '"2"'})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["repo:etag"] == 3
    assert replaced.json()["repo:lastModifiedDate"] > receipt["repo:lastModifiedDate"]
    assert xc.instance(iid)["xdm:name"] == f"Replaced {kind}"

    deleted = xc.delete(iid)
    assert deleted.status_code == 200, deleted.text
    assert set(deleted.json()) == RECEIPT_MEMBERS
    assert deleted.json()["repo:etag"] == 4
    assert xc.get(iid).status_code == 404
    assert receipt["@id"] not in at_ids(xc.results({"schema": SCHEMAS[kind]}))
    assert xc.patch(iid, []).status_code == 404
    assert xc.delete(iid).status_code == 404


def test_bare_put_keeps_the_id(xc: Xcore, world: World) -> None:
    iid = world["tag"]["instanceId"]
    response = xc.put(iid, {"xdm:name": "Renamed tag"}, content_type="application/schema-instance+json")
    assert response.status_code == 200, response.text
    assert xc.instance(iid) == {"@id": world["tag"]["@id"], "xdm:name": "Renamed tag"}


def test_a_list_without_schema_holds_every_kind(xc: Xcore, world: World) -> None:
    page = xc.results({"limit": "100"})
    assert page["_embedded"]["total"] == len(world)
    assert "schemaNs" not in page
    assert sorted(at_ids(page)) == sorted(r["@id"] for r in world.values())
    ids = [item["instanceId"] for item in page["_embedded"]["results"]]
    assert ids == sorted(ids)  # default order: instanceId
