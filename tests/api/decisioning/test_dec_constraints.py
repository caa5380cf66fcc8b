"""Every profileConstraintType and ranking form either decides or is refused when saved (both stores)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dec_support import (
    RECEIPT,
    SCHEMAS,
    XCORE,
    Catalog,
    activity,
    auth,
    chosen,
    decide,
    decision_request,
    profile,
)
from starlette.testclient import TestClient


def _save(client: TestClient, catalog: Catalog, kind: str, body: dict[str, Any]) -> Any:
    headers = {
        **auth(),
        "Content-Type": f'application/schema-instance+json; version=1; schema="{SCHEMAS[kind]}"',
        "Accept": RECEIPT,
    }
    return client.post(f"{XCORE}/{catalog.container}/instances", headers=headers, content=json.dumps(body))


def _activity(
    catalog: Catalog, constraints: dict[str, Any], ranking: dict[str, Any] | None = None
) -> dict[str, Any]:
    body = activity("constrained", catalog["web"], catalog["all"], catalog["fallback"])
    body["xdm:criteria"][0]["xdm:profileConstraints"] = constraints
    if ranking is not None:
        body["xdm:criteria"][0]["xdm:ranking"] = ranking
    return body


def _names(client: TestClient, catalog: Catalog, activity_id: str, prof: dict[str, Any]) -> list[str]:
    response = decide(client, catalog.container, decision_request(activity_id, catalog["web"], prof, items=3))
    assert response.status_code == 200, response.text
    return chosen(response.json(), catalog)


def test_the_rules_type_applies_its_rule(client: TestClient, catalog: Catalog) -> None:
    body = _activity(
        catalog, {"xdm:profileConstraintType": "rules", "xdm:eligibilityRule": catalog["r_gold"]}
    )
    activity_id = catalog.xc.make_id("offer-activity", body)
    assert _names(client, catalog, activity_id, profile("g@x.y", tier="gold", segments=("vip",))) == [
        "vip",
        "gold",
        "adult",
    ]
    assert _names(client, catalog, activity_id, profile("s@x.y", tier="silver", segments=("vip",))) == [
        "fallback"
    ]


def test_segment_constraints_apply(client: TestClient, catalog: Catalog) -> None:
    segments = [{"xdm:id": "vip"}, {"xdm:id": "gamer"}]
    any_id = catalog.xc.make_id(
        "offer-activity",
        _activity(catalog, {"xdm:profileConstraintType": "anySegments", "xdm:segmentIdentities": segments}),
    )
    all_id = catalog.xc.make_id(
        "offer-activity",
        _activity(catalog, {"xdm:profileConstraintType": "allSegments", "xdm:segmentIdentities": segments}),
    )
    one = profile("one@x.y", age=40, segments=("gamer",))
    both = profile("both@x.y", age=40, segments=("gamer", "vip"))
    assert _names(client, catalog, any_id, one) == ["adult"]
    assert _names(client, catalog, all_id, one) == ["fallback"]
    assert _names(client, catalog, all_id, both) == ["vip", "adult"]


def test_scoring_functions_rank(client: TestClient, catalog: Catalog) -> None:
    formula = catalog.xc.make_id(
        "ranking-function",
        {
            "xdm:name": "reverse priority",
            "xdm:expression": {
                "xdm:type": "PQL",
                "xdm:format": "pql/text",
                "xdm:value": "100 - offer.rank.priority",
            },
        },
    )
    ranking = {
        "xdm:priority": 0,
        "xdm:order": {"xdm:orderEvaluationType": "scoringFunction", "xdm:function": formula},
    }
    activity_id = catalog.xc.make_id(
        "offer-activity", _activity(catalog, {"xdm:profileConstraintType": "none"}, ranking)
    )
    assert _names(client, catalog, activity_id, profile("r@x.y", tier="gold", segments=("vip",))) == [
        "adult",
        "gold",
        "vip",
    ]


@pytest.mark.parametrize(
    ("constraints", "ranking", "pointer", "code"),
    [
        (
            {"xdm:profileConstraintType": "rules"},
            None,
            "/xdm:profileConstraints/xdm:eligibilityRule",
            "required",
        ),
        (
            {"xdm:profileConstraintType": "eligibilityRule"},
            None,
            "/xdm:profileConstraints/xdm:eligibilityRule",
            "required",
        ),
        (
            {"xdm:profileConstraintType": "anySegments", "xdm:segmentIdentities": []},
            None,
            "/xdm:profileConstraints/xdm:segmentIdentities",
            "empty_segments",
        ),
        (
            {"xdm:profileConstraintType": "allSegments"},
            None,
            "/xdm:profileConstraints/xdm:segmentIdentities",
            "required",
        ),
        (
            {"xdm:profileConstraintType": "sometimes"},
            None,
            "/xdm:profileConstraints/xdm:profileConstraintType",
            "enum",
        ),
        (
            {"xdm:profileConstraintType": "none"},
            {
                "xdm:order": {
                    "xdm:orderEvaluationType": "rankingStrategy",
                    "xdm:rankingStrategy": "xcore:strategy:1",
                }
            },
            "/xdm:ranking/xdm:order/xdm:orderEvaluationType",
            "unsupported_ranking",
        ),
        (
            {"xdm:profileConstraintType": "none"},
            {"xdm:order": {"xdm:orderEvaluationType": "scoringFunction"}},
            "/xdm:ranking/xdm:order/xdm:function",
            "required",
        ),
    ],
)
def test_unusable_forms_are_refused_when_saved(
    client: TestClient,
    catalog: Catalog,
    constraints: dict[str, Any],
    ranking: dict[str, Any] | None,
    pointer: str,
    code: str,
) -> None:
    response = _save(client, catalog, "offer-activity", _activity(catalog, constraints, ranking))
    assert response.status_code == 422, response.text
    found = {(e["path"], e["code"]) for e in response.json()["errors"]}
    assert (f"/_instance/xdm:criteria/0{pointer}", code) in found, found


def test_a_custom_query_needs_custom_events(client: TestClient, catalog: Catalog) -> None:
    body = {
        "xdm:name": "odd",
        "xdm:status": "approved",
        "xdm:representations": [],
        "xdm:selectionConstraint": {
            "xdm:startDate": "2020-01-01T00:00:00Z",
            "xdm:endDate": "2099-01-01T00:00:00Z",
        },
        "xdm:rank": {"xdm:priority": 1},
        "xdm:frequencyCappingConstraints": [
            {
                "xdm:limit": 1,
                "xdm:scope": "global",
                "xdm:entity": "offer",
                "xdm:events": ["click"],
                "xdm:customQuery": "true",
            }
        ],
    }
    response = _save(client, catalog, "personalized-offer", body)
    assert response.status_code == 422, response.text
    assert any(
        e["code"] == "custom_query_without_custom_events"
        and e["path"] == "/_instance/xdm:frequencyCappingConstraints/0/xdm:customQuery"
        for e in response.json()["errors"]
    )
