"""PQL in decisions: event history carried with the profile, context-data selection, ranking formulas."""

from __future__ import annotations

from typing import Any

import pytest
from decisioning_fixtures import (
    ACT,
    WEB,
    activity,
    catalog,
    criterion,
    offer,
    oid,
    picked,
    ranking,
    request,
    rule,
    run,
)

ALL = [oid("a"), oid("b")]
PURCHASE = {
    "eventType": "commerce.purchases",
    "timestamp": "2026-11-20T09:00:00Z",
    "commerce": {"order": {"priceTotal": 120.0}},
}
VIEW = {"eventType": "web.webpagedetails.pageViews", "timestamp": "2026-11-21T09:00:00Z"}
OLD_PURCHASE = {**PURCHASE, "timestamp": "2026-09-01T09:00:00Z"}
RECENT_BUYER = (
    '(select X from xEvent where X.eventType = "commerce.purchases"'
    " and X.timestamp occurs <= 7 days before now).count() >= 1"
)


@pytest.mark.parametrize(
    ("events", "kept"),
    [([PURCHASE, VIEW], True), ([VIEW], False), ([OLD_PURCHASE], False), ([], False), (None, False)],
)
def test_rule_over_event_history_in_the_profile(events: list[dict[str, Any]] | None, kept: bool) -> None:
    snap = catalog(
        rule("r:buyer", RECENT_BUYER),
        offer("a", priority=9, rule="r:buyer"),
        offer("b", priority=1),
        activity([criterion(options=ALL)]),
    )
    profile = {} if events is None else {"xEvent": events}
    assert picked(run(snap, request(profile=profile))) == (["a"] if kept else ["b"])


def test_rule_selecting_context_data_entries() -> None:
    snap = catalog(
        rule("r:rain", 'exists C from @{_xdm.context.weather} where C.xdm:sky = "rain"'),
        offer("a", priority=9, rule="r:rain"),
        offer("b", priority=1),
        activity([criterion(options=ALL)]),
    )
    sunny = {"@type": "_xdm.context.weather", "xdm:data": {"xdm:sky": "sun"}}
    rainy = {"@type": "_xdm.context.weather", "xdm:data": {"xdm:sky": "rain"}}
    assert picked(run(snap, request(context=[sunny, rainy]))) == ["a"]
    assert picked(run(snap, request(context=[sunny]))) == ["b"]


def test_ranking_formula_over_event_history_and_offer() -> None:
    formula = ranking(
        "f:spend",
        'if(offer.characteristics.get("code") = "b", sum X.commerce.order.priceTotal over X from xEvent, 50)',
    )
    snap = catalog(
        formula,
        offer("a", priority=9),
        offer("b", priority=1),
        activity([criterion(options=ALL, function="f:spend")]),
    )
    assert picked(run(snap, request((ACT, WEB), profile={"xEvent": [PURCHASE]}))) == ["b"]  # 120 > 50
    assert picked(run(snap, request((ACT, WEB), profile={"xEvent": []}))) == ["a"]  # 0 < 50
