"""Status lifecycles: which statuses a new offer or activity may have, and which changes are allowed."""

from __future__ import annotations

from typing import Any

import pytest

from support.offer_library import Xcore, activity_body, fallback_body

World = dict[str, dict[str, Any]]
OFFER_MOVES = {
    "draft": {"pending", "approved", "archived"},
    "pending": {"approved", "rejected", "draft"},
    "rejected": {"draft", "archived"},
    "approved": {"draft", "archived"},
    "archived": {"draft"},
}
ACTIVITY_MOVES = {
    "draft": {"live", "archived"},
    "live": {"draft", "complete", "archived"},
    "complete": {"archived", "draft"},
    "archived": {"draft"},
}
# a path from a creatable status to each status
OFFER_PATHS = {
    "draft": [],
    "pending": ["pending"],
    "rejected": ["pending", "rejected"],
    "approved": ["approved"],
    "archived": ["archived"],
}
ACTIVITY_PATHS = {"draft": [], "live": ["live"], "complete": ["live", "complete"], "archived": ["archived"]}


def set_status(xc: Xcore, iid: str, status: str) -> Any:
    return xc.patch(iid, [{"op": "replace", "path": "/_instance/xdm:status", "value": status}])


def walk(xc: Xcore, iid: str, steps: list[str]) -> None:
    for step in steps:
        response = set_status(xc, iid, step)
        assert response.status_code == 200, response.text


@pytest.mark.parametrize(("start", "end"), [(a, b) for a in OFFER_MOVES for b in OFFER_MOVES if a != b])
def test_offer_transitions(xc: Xcore, world: World, start: str, end: str) -> None:
    iid = xc.make("fallback-offer", fallback_body(world["placement"]["@id"], status="draft"))["instanceId"]
    walk(xc, iid, OFFER_PATHS[start])
    response = set_status(xc, iid, end)
    if end in OFFER_MOVES[start]:
        assert response.status_code == 200, response.text
        assert xc.instance(iid)["xdm:status"] == end
    else:
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "lifecycle_violation"
        assert (problem["from"], problem["to"], problem["path"]) == (start, end, "/_instance/xdm:status")
        assert xc.instance(iid)["xdm:status"] == start


@pytest.mark.parametrize(("start", "end"), [(a, b) for a in ACTIVITY_MOVES for b in ACTIVITY_MOVES if a != b])
def test_activity_transitions(xc: Xcore, world: World, start: str, end: str) -> None:
    w = world
    body = activity_body(
        w["placement"]["@id"], w["filter"]["@id"], w["rule"]["@id"], w["ranking"]["@id"], w["fallback"]["@id"]
    )
    iid = xc.make("offer-activity", {**body, "xdm:status": "draft"})["instanceId"]
    walk(xc, iid, ACTIVITY_PATHS[start])
    response = set_status(xc, iid, end)
    expected = 200 if end in ACTIVITY_MOVES[start] else 422
    assert response.status_code == expected, response.text


@pytest.mark.parametrize(
    ("status", "code"),
    [("draft", 201), ("pending", 201), ("approved", 201), ("rejected", 422), ("archived", 422)],
)
def test_statuses_an_offer_may_be_created_in(xc: Xcore, world: World, status: str, code: int) -> None:
    response = xc.create("fallback-offer", fallback_body(world["placement"]["@id"], status=status))
    assert response.status_code == code
    if code == 422:
        assert response.json()["code"] == "lifecycle_violation"


@pytest.mark.parametrize(
    ("status", "code"), [("draft", 201), ("live", 201), ("complete", 422), ("archived", 422)]
)
def test_statuses_an_activity_may_be_created_in(xc: Xcore, world: World, status: str, code: int) -> None:
    w = world
    body = activity_body(
        w["placement"]["@id"], w["filter"]["@id"], w["rule"]["@id"], w["ranking"]["@id"], w["fallback"]["@id"]
    )
    assert xc.create("offer-activity", {**body, "xdm:status": status}).status_code == code


def test_an_unknown_status_is_a_validation_error(xc: Xcore, world: World) -> None:
    response = set_status(xc, world["offer"]["instanceId"], "live")
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert response.json()["errors"][0] == {
        "path": "/_instance/xdm:status",
        "code": "enum",
        "message": "must be one of draft, pending, rejected, approved, archived",
    }


def test_put_follows_the_lifecycle_too(xc: Xcore, world: World) -> None:
    offer = world["offer"]["instanceId"]
    document = xc.get(offer).json()
    document["_instance"] = {**document["_instance"], "xdm:status": "rejected"}
    response = xc.put(offer, document)
    assert (response.status_code, response.json()["code"]) == (422, "lifecycle_violation")
