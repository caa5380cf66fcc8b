"""References must exist in the same container on every write; a referenced instance cannot be deleted."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from offer_catalog.store import Store
from support.offer_library import (
    SCHEMAS,
    World,
    Xcore,
    fallback_body,
    filter_body,
    make_container,
    placement_body,
    put_at,
    ranking_body,
    rule_body,
    tag_body,
    valid_body,
)

GHOSTS = {
    "offer-placement": "xcore:offer-placement:00000000000000aa",
    "tag": "xcore:tag:00000000000000bb",
    "eligibility-rule": "xcore:eligibility-rule:00000000000000cc",
    "ranking-function": "xcore:ranking-function:00000000000000dd",
    "fallback-offer": "xcore:fallback-offer:00000000000000ee",
    "offer-filter": "xcore:offer-filter:00000000000000ff",
    "personalized-offer": "xcore:personalized-offer:0000000000000011",
}


def bodies(w: World) -> dict[str, Any]:
    kinds = ("personalized-offer", "fallback-offer", "offer-filter", "offer-activity")
    return {
        kind: valid_body(kind, w, name="Another" if kind == "personalized-offer" else None) for kind in kinds
    }


# (kind, JSON pointer inside _instance of a reference, kind it must name)
REFERENCES = [
    ("personalized-offer", "/xdm:representations/0/xdm:placement", "offer-placement"),
    ("personalized-offer", "/xdm:tags/0", "tag"),
    ("personalized-offer", "/xdm:selectionConstraint/xdm:eligibilityRule", "eligibility-rule"),
    ("fallback-offer", "/xdm:representations/0/xdm:placement", "offer-placement"),
    ("offer-filter", "/xdm:ids/0", "tag"),
    ("offer-activity", "/xdm:criteria/0/xdm:placements/0", "offer-placement"),
    ("offer-activity", "/xdm:criteria/0/xdm:optionSelection/xdm:filter", "offer-filter"),
    ("offer-activity", "/xdm:criteria/0/xdm:profileConstraints/xdm:eligibilityRule", "eligibility-rule"),
    ("offer-activity", "/xdm:criteria/0/xdm:ranking/xdm:order/xdm:function", "ranking-function"),
    ("offer-activity", "/xdm:fallback", "fallback-offer"),
]


@pytest.mark.parametrize(("kind", "pointer", "target"), REFERENCES)
def test_a_dangling_reference_is_422_naming_it(
    xc: Xcore, world: World, kind: str, pointer: str, target: str
) -> None:
    body = put_at(bodies(world)[kind], pointer, GHOSTS[target])
    response = xc.create(kind, body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "dangling_reference"
    assert problem["errors"][0]["path"] == "/_instance" + pointer
    assert problem["errors"][0]["reference"] == GHOSTS[target]
    assert problem["errors"][0]["expected"] == [target]
    assert GHOSTS[target] in problem["detail"]


@pytest.mark.parametrize(("kind", "pointer", "target"), REFERENCES)
def test_a_reference_to_another_kind_is_dangling(
    xc: Xcore, world: World, kind: str, pointer: str, target: str
) -> None:
    wrong = world["tag"]["@id"] if target != "tag" else world["placement"]["@id"]
    body = put_at(bodies(world)[kind], pointer, wrong)
    response = xc.create(kind, body)
    assert response.status_code == 422
    assert response.json()["code"] in ("dangling_reference", "validation_failed")


def test_references_in_another_container_do_not_count(client: TestClient, store: Store, world: World) -> None:
    other = Xcore(client, make_container(store, name="second"))
    response = other.create("fallback-offer", fallback_body(world["placement"]["@id"]))
    assert (response.status_code, response.json()["code"]) == (422, "dangling_reference")


def test_a_static_collection_lists_existing_personalized_offers(xc: Xcore, world: World) -> None:
    assert xc.create("offer-filter", filter_body([world["offer"]["@id"]], "offers")).status_code == 201
    fallback_in_static = xc.create("offer-filter", filter_body([world["fallback"]["@id"]], "offers"))
    assert (fallback_in_static.status_code, fallback_in_static.json()["code"]) == (422, "validation_failed")
    ghost = xc.create("offer-filter", filter_body([GHOSTS["personalized-offer"]], "offers"))
    assert (ghost.status_code, ghost.json()["code"]) == (422, "dangling_reference")


def test_an_activity_of_direct_options_references_offers(xc: Xcore, world: World) -> None:
    body = bodies(world)["offer-activity"]
    body["xdm:criteria"][0]["xdm:optionSelection"] = {"xdm:options": [GHOSTS["personalized-offer"]]}
    assert xc.create("offer-activity", body).json()["code"] == "dangling_reference"
    body["xdm:criteria"][0]["xdm:optionSelection"] = {"xdm:options": [world["offer"]["@id"]]}
    assert xc.create("offer-activity", body).status_code == 201


def test_the_fallback_must_qualify_for_every_placement(xc: Xcore, world: World) -> None:
    second = xc.make("offer-placement", placement_body("Email placement"))
    body = bodies(world)["offer-activity"]
    body["xdm:criteria"][0]["xdm:placements"].append(second["@id"])
    response = xc.create("offer-activity", body)
    assert (response.status_code, response.json()["code"]) == (422, "fallback_not_qualified")
    assert response.json()["errors"][0]["path"] == "/_instance/xdm:fallback"
    fallback = world["fallback"]["instanceId"]
    rep = xc.instance(fallback)["xdm:representations"][0] | {"xdm:placement": second["@id"]}
    ops = [{"op": "add", "path": "/_instance/xdm:representations/-", "value": rep}]
    assert xc.patch(fallback, ops).status_code == 200
    assert xc.create("offer-activity", body).status_code == 201


@pytest.mark.parametrize(
    ("name", "referrers"),
    [
        ("placement", {"offer", "fallback", "activity"}),
        ("tag", {"offer", "filter"}),
        ("rule", {"offer", "activity"}),
        ("ranking", {"activity"}),
        ("fallback", {"activity"}),
        ("filter", {"activity"}),
    ],
)
def test_deleting_a_referenced_instance_is_refused(
    xc: Xcore, world: World, name: str, referrers: set[str]
) -> None:
    target = world[name]
    before = xc.get(target["instanceId"]).json()
    response = xc.delete(target["instanceId"])
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "instance_referenced"
    assert problem["total"] == len(referrers)
    assert {r["@id"] for r in problem["referrers"]} == {world[n]["@id"] for n in referrers}
    assert {r["instanceId"] for r in problem["referrers"]} == {world[n]["instanceId"] for n in referrers}
    assert all(r["schema"] in SCHEMAS.values() for r in problem["referrers"])
    assert xc.get(target["instanceId"]).json() == before


def test_deleting_in_dependency_order_works(xc: Xcore, world: World) -> None:
    order = ["activity", "filter", "fallback", "offer", "ranking", "rule", "tag", "placement"]
    for name in order:
        response = xc.delete(world[name]["instanceId"])
        assert response.status_code == 200, (name, response.text)
        assert response.json()["instanceId"] == world[name]["instanceId"]
        assert xc.get(world[name]["instanceId"]).status_code == 404
    assert xc.results()["_embedded"]["total"] == 0


def test_removing_a_reference_frees_the_target(xc: Xcore, world: World) -> None:
    offer = world["offer"]["instanceId"]
    assert xc.delete(world["rule"]["instanceId"]).status_code == 409
    assert (
        xc.patch(
            offer, [{"op": "remove", "path": "/_instance/xdm:selectionConstraint/xdm:eligibilityRule"}]
        ).status_code
        == 200
    )
    activity = world["activity"]["instanceId"]
    ops = [
        {
            "op": "replace",
            "path": "/_instance/xdm:criteria/0/xdm:profileConstraints",
            "value": {"xdm:profileConstraintType": "none"},
        }
    ]
    assert xc.patch(activity, ops).status_code == 200
    assert xc.delete(world["rule"]["instanceId"]).status_code == 200


def test_tag_names_are_unique(xc: Xcore, world: World) -> None:
    taken = xc.create("tag", tag_body())
    assert (taken.status_code, taken.json()["code"]) == (409, "duplicate_name")
    assert taken.json()["instanceId"] == world["tag"]["instanceId"]
    other = xc.make("tag", tag_body("Another tag"))
    rename = xc.patch(
        other["instanceId"],
        [{"op": "replace", "path": "/_instance/xdm:name", "value": tag_body()["xdm:name"]}],
    )
    assert (rename.status_code, rename.json()["code"]) == (409, "duplicate_name")
    same = xc.put(world["tag"]["instanceId"], tag_body(), content_type="application/schema-instance+json")
    assert same.status_code == 200  # keeping its own name is fine
    assert (
        xc.create("tag", tag_body("holiday sales and promotions")).status_code == 201
    )  # names are case-sensitive


@pytest.mark.parametrize(
    ("kind", "member", "pql"),
    [
        ("eligibility-rule", "xdm:condition", 'profile.person.name.firstName.equals("Joe", false'),
        ("eligibility-rule", "xdm:condition", "profile.age >>> 3"),
        ("ranking-function", "xdm:expression", "offer.rank.priority *"),
        ("ranking-function", "xdm:expression", "if(true, 1"),
    ],
)
def test_pql_that_does_not_parse_is_422_with_its_position(
    xc: Xcore, kind: str, member: str, pql: str
) -> None:
    body = rule_body(pql) if kind == "eligibility-rule" else ranking_body(pql)
    response = xc.create(kind, body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] in ("pql_syntax_error", "pql_compile_error")
    error = problem["errors"][0]
    assert error["path"] == f"/_instance/{member}/xdm:value"
    assert error["line"] == 1 and 1 <= error["column"] <= len(pql) + 1
    assert 0 <= error["position"] <= len(pql)


def test_patching_a_rule_to_bad_pql_is_refused(xc: Xcore, world: World) -> None:
    rule = world["rule"]["instanceId"]
    ops = [{"op": "replace", "path": "/_instance/xdm:condition/xdm:value", "value": "a.b.c(\n  1,"}]
    response = xc.patch(rule, ops)
    assert response.status_code == 422
    assert response.json()["errors"][0]["line"] == 2
    assert xc.get(rule).json()["repo:etag"] == 1
