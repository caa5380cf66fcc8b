"""Fuzz findings in the Offer Library.

- A tag holding members that are also a placement's (`xdm:channel`, `xdm:componentType`, ...; any member
  beyond a kind's own is an extension) is a valid tag and a valid placement-shaped object at once. The
  served document described an instance as `oneOf` the kinds, so the GET of such a tag violated its
  response schema ("valid under more than one of the schemas"). The kind is named by the `schema`
  parameter, not by the shape: an answer's `_instance` is now `anyOf` the kinds, and every answer below
  validates against it.
- `GET .../instances?limit=` (an empty value: the document's `limit` is an integer of at least 1) was
  served as the default page (200); it is the 400 `invalid_limit` of any other value that is no integer.
- A HAL document (create or replace) holding a member beyond `_instance`, `_links` and the server's
  members is a 422 `unknown_member`, but the document's `InstanceHal` took any member: it now states
  them (`additionalProperties: false`, the server's members read-only).
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
from starlette.testclient import TestClient

from offer_catalog.store import Store
from support.offer_library import HAL, auth, make_container

XCORE = "/data/core/xcore"
TAG = "https://ns.adobe.com/experience/offer-management/tag;version=0.1"
PLACEMENT_LIKE = {
    "xdm:name": "b",
    "xdm:channel": "https://ee.org",
    "xdm:componentType": "https://ns.adobe.com/experience/offer-management/content-component-html",
    "xdm:contentTypes": ["text/html"],
    "xdm:description": "d",
}


def _validator(document: dict[str, Any], name: str) -> Any:
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema_rs.Draft202012Validator(schema)


def test_a_tag_shaped_like_a_placement_is_answered_as_the_document_says(
    client: TestClient, store: Store
) -> None:
    container = make_container(store)
    document = client.get(f"{XCORE}/openapi.json").json()
    for body, content_type in (
        (PLACEMENT_LIKE, "application/json"),
        ({"_instance": {**PLACEMENT_LIKE, "xdm:name": "c"}}, HAL),
    ):
        made = client.post(
            f"{XCORE}/{container}/instances",
            params={"schema": TAG},
            headers={**auth(), "Content-Type": content_type},
            content=json.dumps(body),
        )
        assert made.status_code == 201, made.text
        read = client.get(f"{XCORE}/{container}/instances/{made.json()['instanceId']}", headers=auth())
        assert read.status_code == 200, read.text
        assert read.json()["schemas"] == [TAG]
        errors = [e.message for e in _validator(document, "InstanceDocument").iter_errors(read.json())]
        assert errors == [], errors


def test_an_empty_limit_is_no_page_size(client: TestClient, store: Store) -> None:
    container = make_container(store)
    url = f"{XCORE}/{container}/instances"
    answer = client.get(url, params={"limit": "", "orderby": ""}, headers=auth())
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_limit"), answer.text
    assert client.get(url, params={"limit": "1"}, headers=auth()).status_code == 200


def test_a_hal_document_takes_only_its_own_members(client: TestClient, store: Store) -> None:
    container = make_container(store)
    hal = _validator(client.get(f"{XCORE}/openapi.json").json(), "InstanceHal")
    url, headers = f"{XCORE}/{container}/instances", {**auth(), "Content-Type": HAL}
    extra = {"_instance": {"xdm:name": "t1"}, "zz": 1}
    assert not hal.is_valid(extra)
    refused = client.post(url, params={"schema": TAG}, headers=headers, content=json.dumps(extra))
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (422, "unknown_member"), refused.text
    own = {"_instance": {"xdm:name": "t2"}, "_links": {}}
    made = client.post(url, params={"schema": TAG}, headers=headers, content=json.dumps(own))
    assert made.status_code == 201, made.text
