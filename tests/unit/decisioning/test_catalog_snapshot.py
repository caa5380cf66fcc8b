"""Snapshot compilation: input shapes, kinds, collections, legacy activities, diagnostics, size."""

from __future__ import annotations

import math
from typing import Any

from decisioning_fixtures import (
    FALLBACK,
    MAIL,
    WEB,
    activity,
    catalog,
    collection,
    criterion,
    fallback,
    offer,
    oid,
    picked,
    placement,
    request,
    rule,
    run,
)

from offer_catalog.decisioning.catalog import build_snapshot, kind_of
from offer_catalog.decisioning.sizing import approximate_size


def test_kinds_from_names_and_schema_uris() -> None:
    assert kind_of("personalized-offer") == "offer"
    assert (
        kind_of("https://ns.adobe.com/experience/offer-management/personalized-offer;version=0.5") == "offer"
    )
    assert (
        kind_of("https://ns.adobe.com/experience/offer-management/offer-activity;version=0.5") == "activity"
    )
    assert kind_of("https://ns.adobe.com/experience/offer-management/ranking-function") == "ranking"
    assert kind_of("decision-something") is None


def test_input_shape_variants() -> None:
    hal = {
        "schema": "https://ns.adobe.com/experience/offer-management/offer-placement;version=0.4",
        "_instance": {"@id": WEB, "repo:etag": 7, "xdm:name": "web"},
    }
    snap = build_snapshot(
        [
            hal,
            {"schema": "tag", "@id": "t1", "instance": {"xdm:name": "t"}},
            {"schema": "unknown-kind", "@id": "x", "instance": {}},
            {"schema": "offer-placement", "@id": "bad", "instance": "not a body"},
            {"schema": "offer-placement", "instance": {"xdm:name": "no id"}},
            {"schema": "offer-placement", "@id": MAIL, "repo:etag": "x", "instance": {}},
        ]
    )
    assert snap.placements[WEB].etag == 7 and snap.placements[WEB].body["@id"] == WEB
    assert snap.placements[MAIL].etag == 1
    assert [d.code for d in snap.diagnostics] == ["missing_id"]


def test_offer_model() -> None:
    snap = catalog(offer("a", priority=4, start="2026-01-01T00:00:00Z", end="2026-02-01T00:00:00+01:00"))
    model = snap.offers[oid("a")]
    assert model.priority == 4 and model.approved and model.valid
    assert model.end - model.start == 31 * 86400 - 3600
    assert set(model.representations) == {WEB, MAIL}
    assert model.body["@id"] == oid("a")


def test_offer_diagnostics() -> None:
    bad_date = offer("d", start="someday")
    bad_priority = offer("p")
    bad_priority["instance"]["xdm:rank"] = {"xdm:priority": "high"}
    dup = offer("r", placements=(WEB, WEB))
    dup["instance"]["xdm:representations"].append("junk")
    dup["instance"]["xdm:representations"].append({"xdm:components": []})
    snap = catalog(bad_date, bad_priority, dup)
    assert {d.code for d in snap.diagnostics} == {
        "invalid_date",
        "invalid_priority",
        "duplicate_representation",
    }
    assert not snap.offers[oid("d")].valid and not snap.offers[oid("p")].valid
    assert snap.offers[oid("r")].valid
    assert snap.offers[oid("d")].start == math.inf


def test_rule_and_ranking_expression_spellings() -> None:
    snap = build_snapshot(
        [
            rule("r1", "true"),
            {"schema": "eligibility-rule", "@id": "r2", "instance": {"xdm:condition": "false"}},
            {"schema": "eligibility-rule", "@id": "r3", "instance": {"condition": {"value": "1 = 1"}}},
            {"schema": "eligibility-rule", "@id": "r4", "instance": {"xdm:valueAsText": "2 = 2"}},
            {"schema": "eligibility-rule", "@id": "r5", "instance": {"xdm:name": "no text"}},
            {"schema": "ranking-function", "@id": "f1", "instance": {"xdm:condition": {"xdm:value": "3"}}},
            {"schema": "ranking-function", "@id": "f2", "instance": {"expression": {"value": "4"}}},
        ]
    )
    assert set(snap.rules) == {"r1", "r2", "r3", "r4"}
    assert set(snap.ranking_functions) == {"f1", "f2"}
    assert [d.code for d in snap.diagnostics] == ["missing_expression"]


def test_collections() -> None:
    snap = catalog(
        offer("a", tags=("t1",)),
        offer("b", tags=("t1", "t2")),
        offer("c", tags=("t2",)),
        collection("any", "anyTags", ["t1", "t2"]),
        collection("all", "allTags", ["t1", "t2"]),
        collection("none", "allTags", []),
        collection("list", "offers", [oid("c"), oid("c"), oid("a")]),
        {"schema": "offer-filter", "@id": "plain", "instance": {"filterType": "anyTags", "ids": ["t2"]}},
        {
            "schema": "offer-filter",
            "@id": "weird",
            "instance": {"xdm:filterType": "someTags", "xdm:ids": ["t2"]},
        },
    )
    assert snap.filters["any"] == (oid("a"), oid("b"), oid("c"))
    assert snap.filters["all"] == (oid("b"),)
    assert snap.filters["none"] == ()
    assert snap.filters["list"] == (oid("c"), oid("a"))
    assert snap.filters["plain"] == (oid("b"), oid("c"))
    assert snap.filters["weird"] == ()
    assert [d.code for d in snap.diagnostics] == ["invalid_filter"]


def test_activity_plans() -> None:
    snap = catalog(
        offer("a", priority=2),
        offer("b", priority=2),
        offer("c", priority=1, placements=(MAIL,)),
        offer("d", status="draft"),
        activity(
            [
                criterion(
                    options=[oid("a"), oid("b"), oid("a"), oid("c"), oid("d"), oid("ghost")], placements=()
                ),
                criterion(options=[oid("a")], priority=5, placements=(WEB,)),
            ]
        ),
    )
    plans = snap.activities["xcore:offer-activity:a1"].scopes
    assert set(plans) == {WEB, MAIL}  # an empty placement list means every placement
    web = plans[WEB].groups
    assert [g.static for g in web] == [True, True]
    assert [[e.offer.id for e in g.entries] for g in web] == [[oid("a")], [oid("a"), oid("b")]]
    assert [[len(b) for b in g.blocks] for g in web] == [[1], [2]]
    assert [e.offer.id for e in plans[MAIL].groups[0].entries] == [oid("a"), oid("b"), oid("c")]


def test_legacy_single_placement_activity() -> None:
    legacy = {
        "schema": "offer-activity",
        "@id": "xcore:offer-activity:old",
        "instance": {
            "xdm:name": "old",
            "xdm:status": "live",
            "xdm:placement": WEB,
            "xdm:filter": "c:list",
            "xdm:fallback": FALLBACK,
        },
    }
    snap = catalog(offer("a"), collection("c:list", "offers", [oid("a")]), legacy)
    assert picked(run(snap, request(("xcore:offer-activity:old", WEB)))) == ["a"]
    assert set(snap.activities["xcore:offer-activity:old"].scopes) == {WEB}


def test_activity_diagnostics() -> None:
    junk = activity([criterion(filter_id="c:missing")])
    junk["instance"]["xdm:criteria"].append("junk")
    ranked = criterion(options=[])
    ranked["xdm:ranking"]["xdm:priority"] = "high"
    junk["instance"]["xdm:criteria"].append(ranked)
    snap = catalog(junk)
    assert {d.code for d in snap.diagnostics} == {"unknown_filter", "invalid_criterion"}
    groups = snap.activities["xcore:offer-activity:a1"].scopes[WEB].groups
    assert len(groups) == 1  # the "high" priority is read as 0, same group


def test_approximate_size_grows_with_the_catalog() -> None:
    small = catalog(offer("a"))
    big = catalog(
        *(offer(f"o{i}", tags=("t",)) for i in range(200)),
        collection("c", "anyTags", ["t"]),
        activity([criterion(filter_id="c")]),
    )
    assert 0 < approximate_size(small) < approximate_size(big)
    shared: dict[str, Any] = {"k": [1, 2, 3]}
    assert approximate_size([shared, shared]) < approximate_size([shared, {"k": [1, 2, 3]}])


def test_fallback_placeholder_for_missing_body_fields() -> None:
    snap = build_snapshot([placement(WEB), fallback(placements=(WEB,))])
    assert set(snap.fallbacks[FALLBACK].representations) == {WEB}
