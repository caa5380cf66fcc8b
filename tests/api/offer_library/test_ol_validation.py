"""Rules of each kind: required members, types, enums, formats, date order, representations."""

from __future__ import annotations

from typing import Any

import pytest

from support.offer_library import (
    World,
    Xcore,
    filter_body,
    put_at,
    ranking_body,
    representation,
    valid_body,
)


def valid(kind: str, w: World) -> dict[str, Any]:
    return valid_body(kind, w, name="x" if kind in ("personalized-offer", "offer-placement", "tag") else None)


REQUIRED = [
    ("personalized-offer", ["xdm:name", "xdm:status", "xdm:rank", "xdm:selectionConstraint"]),
    ("fallback-offer", ["xdm:name", "xdm:status"]),
    ("offer-placement", ["xdm:name", "xdm:channel", "xdm:componentType"]),
    ("tag", ["xdm:name"]),
    ("offer-filter", ["xdm:name", "xdm:filterType", "xdm:ids"]),
    ("eligibility-rule", ["xdm:name", "xdm:condition"]),
    ("ranking-function", ["xdm:name", "xdm:expression"]),
    ("offer-activity", ["xdm:name", "xdm:status", "xdm:fallback", "xdm:criteria"]),
]


@pytest.mark.parametrize(("kind", "member"), [(k, m) for k, members in REQUIRED for m in members])
def test_required_members(xc: Xcore, world: World, kind: str, member: str) -> None:
    body = {k: v for k, v in valid(kind, world).items() if k != member}
    response = xc.create(kind, body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert {
        "path": f"/_instance/{member}",
        "code": "required",
        "message": f"{member} is required",
    } in problem["errors"]


# (kind, pointer under _instance, bad value, expected error code)
BAD_VALUES = [
    ("personalized-offer", "/xdm:name", 5, "type"),
    ("personalized-offer", "/xdm:status", "live", "enum"),
    ("personalized-offer", "/xdm:rank/xdm:priority", -1, "minimum"),
    ("personalized-offer", "/xdm:rank/xdm:priority", 1.5, "type"),
    ("personalized-offer", "/xdm:rank/xdm:priority", True, "type"),
    ("personalized-offer", "/xdm:cappingConstraint/xdm:globalCap", 0, "minimum"),
    ("personalized-offer", "/xdm:selectionConstraint/xdm:startDate", "2023-10-01", "format"),
    ("personalized-offer", "/xdm:selectionConstraint/xdm:endDate", "tomorrow", "format"),
    ("personalized-offer", "/xdm:tags", "xcore:tag:1", "type"),
    ("personalized-offer", "/xdm:characteristics", {"a": 1}, "type"),
    ("personalized-offer", "/xdm:representations/0/xdm:components/0/@type", "https://example.com/x", "enum"),
    ("personalized-offer", "/xdm:representations/0/xdm:components/0/dc:format", "html", "format"),
    ("personalized-offer", "/xdm:representations/0/xdm:components/0/dc:language", ["en us"], "format"),
    ("personalized-offer", "/xdm:representations/0/xdm:channel", "web", "format"),
    # An absolute URI as RFC 3986 writes it (a scheme and non-space text is not enough).
    ("personalized-offer", "/xdm:representations/0/xdm:channel", "https://x/{y}", "format"),
    (
        "personalized-offer",
        "/xdm:representations/0/xdm:components/0/xdm:deliveryURL",
        "http://[::g]/",
        "format",
    ),
    (
        "personalized-offer",
        "/xdm:frequencyCappingConstraints",
        [{"xdm:limit": 1, "xdm:scope": "x", "xdm:entity": "offer"}],
        "enum",
    ),
    ("offer-placement", "/xdm:componentType", "text", "enum"),
    ("offer-placement", "/xdm:contentTypes", ["text"], "format"),
    ("tag", "/xdm:name", "", "min_length"),
    ("offer-filter", "/xdm:filterType", "any-tags", "enum"),
    ("offer-filter", "/xdm:ids", [], "min_items"),
    ("eligibility-rule", "/xdm:condition/xdm:type", "SQL", "enum"),
    ("eligibility-rule", "/xdm:condition/xdm:value", "x" * 15_001, "max_length"),
    ("ranking-function", "/xdm:expression/xdm:value", "1" * 8_001, "max_length"),
    ("offer-activity", "/xdm:status", "approved", "enum"),
    ("offer-activity", "/xdm:criteria", [], "min_items"),
    ("offer-activity", "/xdm:criteria/0/xdm:placements", [], "min_items"),
    ("offer-activity", "/xdm:criteria/0/xdm:ranking/xdm:order/xdm:orderEvaluationType", "random", "enum"),
    ("offer-activity", "/xdm:criteria/0/xdm:profileConstraints/xdm:profileConstraintType", "x", "enum"),
]


@pytest.mark.parametrize(("kind", "pointer", "value", "code"), BAD_VALUES)
def test_bad_values(xc: Xcore, world: World, kind: str, pointer: str, value: Any, code: str) -> None:
    response = xc.create(kind, put_at(valid(kind, world), pointer, value))
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["code"] == code and e["path"].startswith("/_instance" + pointer) for e in errors), errors


def test_every_problem_is_listed(xc: Xcore) -> None:
    response = xc.create("offer-placement", {"xdm:name": 1, "xdm:channel": "web"})
    paths = {(e["path"], e["code"]) for e in response.json()["errors"]}
    assert paths == {
        ("/_instance/xdm:name", "type"),
        ("/_instance/xdm:channel", "format"),
        ("/_instance/xdm:componentType", "required"),
    }
    assert "and 2 more" in response.json()["detail"]


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        ("2023-10-01T16:00:00Z", "2023-12-13T16:00:00Z", True),
        ("2023-12-13T16:00:00Z", "2021-12-13T16:00:00Z", False),  # the documented example's own mistake
        ("2023-10-01T16:00:00Z", "2023-10-01T16:00:00Z", False),
        ("2023-10-01T18:00:00+02:00", "2023-10-01T16:30:00Z", True),
        ("2023-10-01T16:00:00.5Z", "2023-10-01T16:00:00.25Z", False),
    ],
)
def test_start_before_end(xc: Xcore, world: World, start: str, end: str, ok: bool) -> None:
    # an offer's window is stored either way (never eligible when it ends first: see the decisioning
    # diagnostics tests); a decision's dates must be in order
    body = valid("personalized-offer", world)
    body["xdm:selectionConstraint"] |= {"xdm:startDate": start, "xdm:endDate": end}
    assert xc.create("personalized-offer", body).status_code == 201
    activity = valid("offer-activity", world) | {"xdm:startDate": start, "xdm:endDate": end}
    response = xc.create("offer-activity", activity)
    assert response.status_code == (201 if ok else 422), response.text
    if not ok:
        assert response.json()["errors"][0]["path"] == "/_instance/xdm:endDate"
        assert response.json()["errors"][0]["code"] == "date_order"


@pytest.mark.parametrize("kind", ["personalized-offer", "fallback-offer"])
def test_one_representation_per_placement(xc: Xcore, world: World, kind: str) -> None:
    body = valid(kind, world)
    body["xdm:representations"] = [
        *body["xdm:representations"],
        representation(world["placement"]["@id"], "again"),
    ]
    response = xc.create(kind, body)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "path": "/_instance/xdm:representations/1/xdm:placement",
        "code": "duplicate_placement",
        "message": f"representation 0 already targets placement {world['placement']['@id']}",
    }


@pytest.mark.parametrize(
    "member",
    ["xdm:selectionConstraint", "xdm:rank", "xdm:cappingConstraint", "xdm:frequencyCappingConstraints"],
)
def test_a_fallback_offer_has_no_constraints(xc: Xcore, world: World, member: str) -> None:
    offer = valid("personalized-offer", world)
    body = valid("fallback-offer", world) | {member: offer.get(member, [])}
    response = xc.create("fallback-offer", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "forbidden"


def test_collection_id_lists(xc: Xcore, world: World) -> None:
    tag = world["tag"]["@id"]
    assert (
        xc.create("offer-filter", {"xdm:name": "c", "xdm:filterType": "allTags", "ids": [tag]}).status_code
        == 201
    )
    both = xc.create(
        "offer-filter", {"xdm:name": "c", "xdm:filterType": "allTags", "ids": [tag], "xdm:ids": [tag]}
    )
    assert both.json()["errors"][0]["code"] == "conflict"
    offer_in_tags = xc.create("offer-filter", filter_body([world["offer"]["@id"]], "anyTags"))
    assert offer_in_tags.json()["errors"][0] == {
        "path": "/_instance/xdm:ids/0",
        "code": "reference_kind",
        "message": "a anyTags filter lists tags",
    }


def test_ranking_function_takes_one_expression(xc: Xcore) -> None:
    body = ranking_body()
    assert (
        xc.create("ranking-function", {"xdm:name": "r", "xdm:condition": body["xdm:expression"]}).status_code
        == 201
    )
    both = xc.create("ranking-function", body | {"xdm:condition": body["xdm:expression"]})
    assert both.json()["errors"][0]["code"] == "conflict"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"xdm:optionSelection": {}}, "/_instance/xdm:criteria/0/xdm:optionSelection"),
        (
            {"xdm:optionSelection": {"xdm:filter": "F", "xdm:options": ["O"]}},
            "/_instance/xdm:criteria/0/xdm:optionSelection",
        ),
        (
            {"xdm:profileConstraints": {"xdm:profileConstraintType": "eligibilityRule"}},
            "/_instance/xdm:criteria/0/xdm:profileConstraints/xdm:eligibilityRule",
        ),
        (
            {"xdm:profileConstraints": {"xdm:profileConstraintType": "anySegments"}},
            "/_instance/xdm:criteria/0/xdm:profileConstraints/xdm:segmentIdentities",
        ),
        (
            {"xdm:ranking": {"xdm:order": {"xdm:orderEvaluationType": "scoringFunction"}}},
            "/_instance/xdm:criteria/0/xdm:ranking/xdm:order/xdm:function",
        ),
        (
            {"xdm:ranking": {"xdm:order": {"xdm:orderEvaluationType": "rankingStrategy"}}},
            "/_instance/xdm:criteria/0/xdm:ranking/xdm:order/xdm:rankingStrategy",
        ),
    ],
)
def test_activity_criteria_are_complete(xc: Xcore, world: World, change: dict[str, Any], path: str) -> None:
    body = valid("offer-activity", world)
    body["xdm:criteria"][0] = body["xdm:criteria"][0] | change
    if "xdm:filter" in change.get("xdm:optionSelection", {}):
        body["xdm:criteria"][0]["xdm:optionSelection"] = {
            "xdm:filter": world["filter"]["@id"],
            "xdm:options": [world["offer"]["@id"]],
        }
    response = xc.create("offer-activity", body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == path


def test_the_older_single_placement_activity(xc: Xcore, world: World) -> None:
    w = world
    body = {
        "xdm:name": "old form",
        "xdm:status": "draft",
        "xdm:placement": w["placement"]["@id"],
        "xdm:filter": w["filter"]["@id"],
        "xdm:fallback": w["fallback"]["@id"],
    }
    assert xc.create("offer-activity", body).status_code == 201
    without_filter = {k: v for k, v in body.items() if k != "xdm:filter"}
    assert (
        xc.create("offer-activity", without_filter).json()["errors"][0]["path"] == "/_instance/xdm:criteria"
    )


def test_unknown_members_are_kept(xc: Xcore, world: World) -> None:
    body = valid("tag", world) | {"xdm:customField": {"nested": [1, 2]}}
    iid = xc.make("tag", body)["instanceId"]
    assert xc.instance(iid)["xdm:customField"] == {"nested": [1, 2]}
