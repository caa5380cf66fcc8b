"""Decision request validation: stable error codes and pointers, defaults, both field spellings."""

from __future__ import annotations

from typing import Any

import pytest
from decisioning_fixtures import ACT, WEB, request

from offer_catalog.decisioning.request import DecisionRequestError, parse_request


def with_(**changes: Any) -> dict[str, Any]:
    body = request()
    body.update(changes)
    return body


def profile(**fields: Any) -> dict[str, Any]:
    return with_(**{"xdm:profiles": [{"xdm:identityMap": {"Email": [{"xdm:id": "x"}]}, **fields}]})


SCOPE = {"xdm:activityId": ACT, "xdm:placementId": WEB}


@pytest.mark.parametrize(
    ("body", "code", "pointer"),
    [
        ([], "invalid_request", ""),
        ({"xdm:profiles": []}, "invalid_request", "/xdm:propositionRequests"),
        (with_(**{"xdm:propositionRequests": "x"}), "invalid_request", "/xdm:propositionRequests"),
        (with_(**{"xdm:propositionRequests": []}), "invalid_request", "/xdm:propositionRequests"),
        (with_(**{"xdm:propositionRequests": [SCOPE] * 31}), "too_many_scopes", "/xdm:propositionRequests"),
        (with_(**{"xdm:propositionRequests": ["x"]}), "invalid_request", "/xdm:propositionRequests/0"),
        (
            with_(**{"xdm:propositionRequests": [{"xdm:activityId": ACT}]}),
            "invalid_request",
            "/xdm:propositionRequests/0",
        ),
        (
            with_(**{"xdm:propositionRequests": [{**SCOPE, "xdm:placementId": 3}]}),
            "invalid_request",
            "/xdm:propositionRequests/0/xdm:placementId",
        ),
        (
            with_(**{"xdm:propositionRequests": [{**SCOPE, "xdm:itemCount": 0}]}),
            "invalid_item_count",
            "/xdm:propositionRequests/0/xdm:itemCount",
        ),
        (
            with_(**{"xdm:propositionRequests": [{**SCOPE, "xdm:itemCount": 31}]}),
            "invalid_item_count",
            "/xdm:propositionRequests/0/xdm:itemCount",
        ),
        (
            with_(**{"xdm:propositionRequests": [{**SCOPE, "xdm:itemCount": True}]}),
            "invalid_request",
            "/xdm:propositionRequests/0/xdm:itemCount",
        ),
        (
            with_(**{"xdm:propositionRequests": [{**SCOPE, "xdm:itemCount": "2"}]}),
            "invalid_request",
            "/xdm:propositionRequests/0/xdm:itemCount",
        ),
        (with_(**{"xdm:profiles": []}), "invalid_request", "/xdm:profiles"),
        (with_(**{"xdm:profiles": ["x"]}), "invalid_request", "/xdm:profiles/0"),
        (with_(**{"xdm:profiles": [{}]}), "missing_identity", "/xdm:profiles/0/xdm:identityMap"),
        (
            with_(**{"xdm:profiles": [{"xdm:identityMap": {"Email": []}}]}),
            "missing_identity",
            "/xdm:profiles/0/xdm:identityMap",
        ),
        (
            with_(**{"xdm:profiles": [{"xdm:identityMap": {"Email": [{"xdm:id": ""}]}}]}),
            "missing_identity",
            "/xdm:profiles/0/xdm:identityMap",
        ),
        (
            with_(**{"xdm:profiles": [{"xdm:identityMap": []}]}),
            "invalid_request",
            "/xdm:profiles/0/xdm:identityMap",
        ),
        (profile(**{"xdm:profileData": []}), "invalid_request", "/xdm:profiles/0/xdm:profileData"),
        (profile(**{"xdm:contextData": {}}), "invalid_request", "/xdm:profiles/0/xdm:contextData"),
        (profile(**{"xdm:contextData": ["x"]}), "invalid_request", "/xdm:profiles/0/xdm:contextData/0"),
        (profile(**{"xdm:decisionRequestId": 5}), "invalid_request", "/xdm:profiles/0/xdm:decisionRequestId"),
        (
            with_(**{"xdm:allowDuplicatePropositions": {"xdm:acrossActivities": "yes"}}),
            "invalid_request",
            "/xdm:allowDuplicatePropositions/xdm:acrossActivities",
        ),
        (
            with_(**{"xdm:responseFormat": {"xdm:includeContent": 1}}),
            "invalid_request",
            "/xdm:responseFormat/xdm:includeContent",
        ),
        (
            with_(**{"xdm:responseFormat": {"xdm:includeMetadata": {"xdm:option": "name"}}}),
            "invalid_request",
            "/xdm:responseFormat/xdm:includeMetadata/xdm:option",
        ),
        (with_(**{"xdm:dryRun": "true"}), "invalid_request", "/xdm:dryRun"),
    ],
)
def test_invalid_requests(body: Any, code: str, pointer: str) -> None:
    with pytest.raises(DecisionRequestError) as info:
        parse_request(body)
    assert (info.value.code, info.value.pointer) == (code, pointer)
    assert info.value.message == str(info.value)


def test_defaults() -> None:
    parsed = parse_request(request())
    assert parsed.scopes[0].item_count == 1
    assert parsed.across_activities is None and parsed.across_placements is None
    assert not parsed.include_content and not parsed.dry_run
    assert parsed.option_metadata == ()
    assert parsed.profiles[0].data == {} and parsed.profiles[0].context == ()


def test_full_request_of_the_reference() -> None:
    body = {
        "xdm:propositionRequests": [
            {"xdm:placementId": "p1", "xdm:activityId": "a1", "xdm:itemCount": 2},
            {"xdm:placementId": "p2", "xdm:activityId": "a2"},
        ],
        "xdm:profiles": [
            {
                "xdm:identityMap": {"SWCUSTID": [{"xdm:id": "123@abc.com"}], "ECID": [{"xdm:id": "9"}]},
                "xdm:decisionRequestId": "0AA00002",
                "xdm:contextData": [
                    {
                        "@type": "_xdm.context.additionalParameters;version=1",
                        "xdm:data": {"xdm:weather": "hot"},
                    }
                ],
            }
        ],
        "xdm:allowDuplicatePropositions": {"xdm:acrossActivities": True, "xdm:acrossPlacements": False},
        "xdm:mergePolicy": {"xdm:id": "5f3ed32f"},
        "xdm:responseFormat": {
            "xdm:includeContent": True,
            "xdm:includeMetadata": {
                "xdm:activity": ["name"],
                "xdm:option": ["name", "xdm:priority", 3],
                "xdm:placement": ["name"],
            },
        },
        "xdm:dryRun": True,
    }
    parsed = parse_request(body)
    assert [(s.activity_id, s.placement_id, s.item_count) for s in parsed.scopes] == [
        ("a1", "p1", 2),
        ("a2", "p2", 1),
    ]
    prof = parsed.profiles[0]
    assert (prof.namespace, prof.identity, prof.request_id) == ("SWCUSTID", "123@abc.com", "0AA00002")
    assert parsed.across_activities is True and parsed.across_placements is False
    assert parsed.include_content and parsed.dry_run
    assert parsed.option_metadata == ("name", "priority")
    assert parsed.activity_metadata == ("name",) and parsed.placement_metadata == ("name",)


def test_unprefixed_names_and_single_identity_object() -> None:
    body = {
        "propositionRequests": [{"activityId": "a", "placementId": "p", "itemCount": 3}],
        "profiles": [{"identityMap": {"ECID": {"id": "e1"}}, "profileData": {"x": 1}}],
    }
    parsed = parse_request(body)
    assert parsed.scopes[0].item_count == 3
    assert (parsed.profiles[0].namespace, parsed.profiles[0].identity) == ("ECID", "e1")
    assert parsed.profiles[0].data == {"x": 1}


def test_first_identity_skips_empty_namespaces() -> None:
    body = with_(**{"xdm:profiles": [{"xdm:identityMap": {"A": [], "B": ["junk", {"xdm:id": "b1"}]}}]})
    assert parse_request(body).profiles[0].namespace == "B"


def test_items_past_the_guardrail_of_100_are_served_fewer_in_later_scopes() -> None:
    body = with_(**{"xdm:propositionRequests": [{**SCOPE, "xdm:itemCount": 30}] * 4})
    assert [s.item_count for s in parse_request(body).scopes] == [30, 30, 30, 10]
    body = with_(**{"xdm:propositionRequests": [{**SCOPE, "xdm:itemCount": 30}] * 30})
    counts = [s.item_count for s in parse_request(body).scopes]
    assert sum(counts) == 100 and counts[:2] == [30, 30] and min(counts) == 1
    body = with_(**{"xdm:propositionRequests": [{**SCOPE, "xdm:itemCount": 3}] * 30})
    assert [s.item_count for s in parse_request(body).scopes] == [3] * 30
