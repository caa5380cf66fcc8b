"""Engine pipeline, one rule per test: status, placement, dates, eligibility, profile constraints,
inactive activities, fallback, and the response shape."""

from __future__ import annotations

from typing import Any

import decisioning_fixtures as fx
import pytest

from offer_catalog.decisioning.catalog import build_snapshot
from offer_catalog.decisioning.engine import decide
from offer_catalog.decisioning.request import DecisionRequestError, parse_request

ALL = [fx.oid("a"), fx.oid("b")]


def one_criterion(*offers: dict[str, Any], **crit: Any) -> Any:
    ids = [o["@id"] for o in offers]
    return fx.catalog(*offers, fx.activity([fx.criterion(options=ids, **crit)]))


@pytest.mark.parametrize(
    ("status", "kept"),
    [("approved", True), ("draft", False), ("pending", False), ("rejected", False), ("archived", False)],
)
def test_only_approved_offers_are_candidates(status: str, kept: bool) -> None:
    snap = one_criterion(fx.offer("a", status=status, priority=9), fx.offer("b", priority=1))
    assert fx.picked(fx.run(snap, fx.request())) == (["a"] if kept else ["b"])


def test_offer_without_representation_for_the_placement_is_excluded() -> None:
    snap = one_criterion(fx.offer("a", priority=9, placements=(fx.MAIL,)), fx.offer("b", priority=1))
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB)))) == ["b"]
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.MAIL)))) == ["a"]


@pytest.mark.parametrize(
    ("start", "end", "kept"),
    [
        ("2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", False),  # not started
        ("2026-01-01T00:00:00Z", "2026-11-22T11:59:59Z", False),  # ended
        ("2026-11-22T12:00:00Z", "2026-11-22T12:00:00Z", True),  # both bounds inclusive
        ("2026-11-22T13:00:00+01:00", "2027-01-01T00:00:00Z", True),  # offsets honoured
    ],
)
def test_offer_date_window(start: str, end: str, kept: bool) -> None:
    snap = one_criterion(fx.offer("a", priority=9, start=start, end=end), fx.offer("b", priority=1))
    assert fx.picked(fx.run(snap, fx.request())) == (["a"] if kept else ["b"])


def test_offer_without_dates_is_always_in_window() -> None:
    doc = fx.offer("a")
    del doc["instance"]["xdm:selectionConstraint"]
    assert fx.picked(fx.run(one_criterion(doc), fx.request())) == ["a"]


@pytest.mark.parametrize(
    ("profile", "kept"),
    [
        ({"loyalty": {"tier": "gold"}}, True),
        ({"loyalty": {"tier": "silver"}}, False),
        ({}, False),  # missing attribute: false, not an error
        ({"loyalty": {"tier": 3}}, False),  # type mismatch: false
    ],
)
def test_offer_eligibility_rule(profile: dict[str, Any], kept: bool) -> None:
    snap = fx.catalog(
        fx.rule("r:gold", 'loyalty.tier = "gold"'),
        fx.offer("a", priority=9, rule="r:gold"),
        fx.offer("b", priority=1),
        fx.activity([fx.criterion(options=ALL)]),
    )
    assert fx.picked(fx.run(snap, fx.request(profile=profile))) == (["a"] if kept else ["b"])


def test_offer_rule_can_read_the_offer_and_context() -> None:
    snap = fx.catalog(
        fx.rule("r:city", 'offer.characteristics.get("code") = context.code'),
        fx.offer("a", priority=9, rule="r:city"),
        fx.offer("b", priority=5, rule="r:city"),
        fx.activity([fx.criterion(options=ALL)]),
    )
    ctx = [{"@type": "t", "xdm:data": {"xdm:code": "b"}}]
    assert fx.picked(fx.run(snap, fx.request(context=ctx))) == ["b"]


def test_offer_rule_missing_or_broken_makes_the_offer_ineligible() -> None:
    snap = fx.catalog(
        fx.rule("r:broken", "loyalty.tier = "),
        fx.offer("a", priority=9, rule="r:broken"),
        fx.offer("b", priority=8, rule="r:absent"),
        fx.activity([fx.criterion(options=[fx.oid("a"), fx.oid("b")])]),
    )
    assert fx.picked(fx.run(snap, fx.request())) == "fallback:" + fx.FALLBACK
    assert {d.code for d in snap.diagnostics} >= {"pql_syntax_error", "unknown_rule"}


MEMBER = {"segmentMembership": {"ups": {"s1": {"status": "realized"}, "s2": {"status": "exited"}}}}


@pytest.mark.parametrize(
    ("constraint", "eligible"),
    [
        ({"xdm:profileConstraintType": "none"}, True),
        ({"xdm:profileConstraintType": "eligibilityRule", "xdm:eligibilityRule": "r:s1"}, True),
        ({"xdm:eligibilityRule": "r:s1"}, True),  # type implied by the rule
        ({"xdm:profileConstraintType": "eligibilityRule", "xdm:eligibilityRule": "r:s2"}, False),
        ({"xdm:profileConstraintType": "eligibilityRule", "xdm:eligibilityRule": "r:absent"}, False),
        ({"xdm:profileConstraintType": "eligibilityRule"}, False),
        (
            {
                "xdm:profileConstraintType": "anySegments",
                "xdm:segmentIdentities": [{"xdm:id": "s2"}, {"xdm:id": "s1"}],
            },
            True,
        ),
        ({"xdm:segmentIdentities": [{"_id": "s1"}]}, True),  # anySegments implied
        ({"xdm:profileConstraintType": "anySegments", "xdm:segmentIdentities": [{"xdm:id": "s2"}]}, False),
        ({"xdm:profileConstraintType": "anySegments", "xdm:segmentIdentities": []}, False),
        ({"xdm:profileConstraintType": "allSegments", "xdm:segmentIdentities": ["s1"]}, True),
        ({"xdm:profileConstraintType": "allSegments", "xdm:segmentIdentities": ["s1", {"@id": "s2"}]}, False),
        ({"xdm:profileConstraintType": "allSegments", "xdm:segmentIdentities": []}, True),
        ({"xdm:profileConstraintType": "allSegments", "xdm:segmentIdentities": [3, {"xdm:id": 4}]}, True),
        (
            {
                "xdm:profileConstraintType": "anySegments",
                "xdm:segmentIdentities": [
                    {
                        "@id": "https://data.adobe.io/entities/segmentIdentity/s1",
                        "xdm:namespace": {"xdm:code": "ups"},
                    }
                ],
            },
            True,
        ),
        ({"xdm:profileConstraintType": "rules"}, False),  # unsupported: never eligible, diagnosed
    ],
)
def test_profile_constraint(constraint: dict[str, Any], eligible: bool) -> None:
    snap = fx.catalog(
        fx.rule("r:s1", 'inSegment("s1")'),
        fx.rule("r:s2", 'inSegment("s2")'),
        fx.offer("a"),
        fx.activity([fx.criterion(options=[fx.oid("a")], constraint=constraint)]),
    )
    assert fx.picked(fx.run(snap, fx.request(profile=MEMBER))) == (
        ["a"] if eligible else "fallback:" + fx.FALLBACK
    )


def test_profile_constraint_reading_the_offer_is_evaluated_per_offer() -> None:
    snap = fx.catalog(
        fx.rule("r:cheap", "offer.rank.priority < 5"),
        fx.offer("a", priority=9),
        fx.offer("b", priority=3),
        fx.activity([fx.criterion(options=ALL, constraint={"xdm:eligibilityRule": "r:cheap"})]),
    )
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 2)))) == ["b"]


def test_draft_activity_is_an_error() -> None:
    snap = fx.catalog(fx.offer("a"), fx.activity([fx.criterion(options=[fx.oid("a")])], status="draft"))
    with pytest.raises(DecisionRequestError) as info:
        fx.run(snap, fx.request())
    assert info.value.code == "activity_not_live"
    assert info.value.pointer == "/xdm:propositionRequests/0"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("2026-01-01T00:00:00Z", "2026-11-01T00:00:00Z"),
        ("bad", None),
    ],
)
def test_live_activity_outside_its_window_proposes_the_fallback(start: str, end: str | None) -> None:
    doc = fx.activity([fx.criterion(options=[fx.oid("a")])], start=start, end=end or "2027-01-01T00:00:00Z")
    snap = fx.catalog(fx.offer("a"), doc)
    assert fx.picked(fx.run(snap, fx.request())) == "fallback:" + fx.FALLBACK


def test_fallback_when_nothing_qualifies_and_options_otherwise() -> None:
    snap = one_criterion(fx.offer("a", status="draft"))
    proposition = fx.run(snap, fx.request()).response["xdm:propositions"][0]
    assert "xdm:options" not in proposition
    assert proposition["xdm:fallback"] == {"xdm:id": fx.FALLBACK, "repo:etag": 3}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (fx.request(("xcore:offer-activity:nope", fx.WEB)), "unknown_activity"),
        (fx.request((fx.ACT, "xcore:offer-placement:nope")), "unknown_placement"),
        (fx.request((fx.ACT, "xcore:offer-placement:other")), "placement_not_in_activity"),
    ],
)
def test_request_ids_are_checked_against_the_catalog(body: dict[str, Any], code: str) -> None:
    snap = fx.catalog(
        {
            "schema": "offer-placement",
            "@id": "xcore:offer-placement:other",
            "instance": {"xdm:name": "other"},
        },
        fx.offer("a"),
        fx.activity([fx.criterion(options=[fx.oid("a")])]),
    )
    with pytest.raises(DecisionRequestError) as info:
        fx.run(snap, body)
    assert info.value.code == code


def test_missing_fallback_offer_is_an_error() -> None:
    snap = fx.catalog(
        fx.offer("a"),
        fx.activity([fx.criterion(options=[fx.oid("a")])], fallback_id="xcore:fallback-offer:nope"),
    )
    with pytest.raises(DecisionRequestError) as info:
        fx.run(snap, fx.request())
    assert info.value.code == "fallback_not_found"
    assert any(d.code == "unknown_fallback" for d in snap.diagnostics)


def test_response_shape_with_content_and_metadata() -> None:
    snap = one_criterion(fx.offer("a", priority=4))
    body = fx.request(
        **{
            "xdm:responseFormat": {
                "xdm:includeContent": True,
                "xdm:includeMetadata": {
                    "xdm:activity": ["name"],
                    "xdm:option": ["name", "characteristics", "xdm:priority", "description"],
                    "xdm:placement": ["name", "channel"],
                },
            }
        }
    )
    response = fx.run(snap, body).response
    assert response["ode:createDate"] == int(fx.NOW.timestamp() * 1000)
    assert len(response["xdm:propositionId"]) == 36
    proposition = response["xdm:propositions"][0]
    assert proposition["xdm:activity"] == {"xdm:id": fx.ACT, "repo:etag": 4, "xdm:name": f"Activity {fx.ACT}"}
    assert proposition["xdm:placement"] == {
        "xdm:id": fx.WEB,
        "repo:etag": 2,
        "xdm:name": "web",
        "xdm:channel": "https://ns.adobe.com/xdm/channel-types/web",
    }
    assert proposition["xdm:options"] == [
        {
            "xdm:id": fx.oid("a"),
            "repo:etag": 1,
            "xdm:name": "Offer a",
            "xdm:characteristics": {"code": "a"},
            "xdm:priority": 4,
            "@type": "https://ns.adobe.com/experience/offer-management/content-component-html",
            "dc:format": "text/html",
            "dc:language": ["en"],
            "xdm:content": f"a@{fx.WEB}",
        }
    ]


def test_fallback_content_and_several_components() -> None:
    snap = one_criterion(fx.offer("a", status="draft"))
    body = fx.request((fx.ACT, fx.MAIL), **{"xdm:responseFormat": {"xdm:includeContent": True}})
    fallback = fx.run(snap, body).response["xdm:propositions"][0]["xdm:fallback"]
    assert fallback["xdm:content"] == "fallback"
    two = fx.offer("b")
    two["instance"]["xdm:representations"][0]["xdm:components"].append(
        {"@type": "x", "dc:format": "image/png"}
    )
    option = fx.run(
        one_criterion(two), fx.request(**{"xdm:responseFormat": {"xdm:includeContent": True}})
    ).response
    got = option["xdm:propositions"][0]["xdm:options"][0]
    assert got["xdm:content"] == f"b@{fx.WEB}"
    assert len(got["xdm:components"]) == 2
    odd = fx.offer("c")
    odd["instance"]["xdm:representations"][0]["xdm:components"] = ["not an object"]
    got = fx.run(
        one_criterion(odd), fx.request(**{"xdm:responseFormat": {"xdm:includeContent": True}})
    ).response
    assert got["xdm:propositions"][0]["xdm:options"][0] == {"xdm:id": fx.oid("c"), "repo:etag": 1}


def test_content_missing_for_the_placement_gives_ids_only() -> None:
    snap = build_snapshot(
        [
            {"schema": "offer-placement", "@id": fx.WEB, "instance": {}},
            {"schema": "fallback-offer", "@id": fx.FALLBACK, "instance": {"xdm:representations": []}},
            fx.offer("a", status="draft", placements=(fx.WEB,)),
            fx.activity([fx.criterion(options=[fx.oid("a")], placements=(fx.WEB,))]),
        ]
    )
    body = fx.request(**{"xdm:responseFormat": {"xdm:includeContent": True}})
    assert fx.run(snap, body).response["xdm:propositions"][0]["xdm:fallback"] == {
        "xdm:id": fx.FALLBACK,
        "repo:etag": 1,
    }


def test_each_profile_gets_its_own_response() -> None:
    snap = fx.catalog(
        fx.rule("r:gold", 'loyalty.tier = "gold"'),
        fx.offer("a", rule="r:gold"),
        fx.activity([fx.criterion(options=[fx.oid("a")])]),
    )
    body = fx.request(profile={"loyalty": {"tier": "gold"}})
    body["xdm:profiles"].append({"xdm:identityMap": {"ECID": [{"xdm:id": "2"}]}, "xdm:profileData": {}})
    result = fx.run(snap, body)
    assert len(result.responses) == 2
    assert result.responses[0]["xdm:propositions"][0]["xdm:options"][0]["xdm:id"] == fx.oid("a")
    assert "xdm:fallback" in result.responses[1]["xdm:propositions"][0]
    assert result.responses[0]["xdm:propositionId"] != result.responses[1]["xdm:propositionId"]


def test_decide_accepts_a_parsed_request_naive_clock_and_default_rng() -> None:
    snap = one_criterion(fx.offer("a"))
    result = decide(snap, parse_request(fx.request()), now=fx.NOW.replace(tzinfo=None))
    assert fx.picked(result) == ["a"]
    assert result.increments == ()
