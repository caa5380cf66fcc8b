"""PQL in decisions: event history carried with the profile, context-data selection, ranking formulas."""

from __future__ import annotations

from typing import Any

import decisioning_fixtures as fx
import pytest

ALL = [fx.oid("a"), fx.oid("b")]
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
    snap = fx.catalog(
        fx.rule("r:buyer", RECENT_BUYER),
        fx.offer("a", priority=9, rule="r:buyer"),
        fx.offer("b", priority=1),
        fx.activity([fx.criterion(options=ALL)]),
    )
    profile = {} if events is None else {"xEvent": events}
    assert fx.picked(fx.run(snap, fx.request(profile=profile))) == (["a"] if kept else ["b"])


def test_rule_selecting_context_data_entries() -> None:
    snap = fx.catalog(
        fx.rule("r:rain", 'exists C from @{_xdm.context.weather} where C.xdm:sky = "rain"'),
        fx.offer("a", priority=9, rule="r:rain"),
        fx.offer("b", priority=1),
        fx.activity([fx.criterion(options=ALL)]),
    )
    sunny = {"@type": "_xdm.context.weather", "xdm:data": {"xdm:sky": "sun"}}
    rainy = {"@type": "_xdm.context.weather", "xdm:data": {"xdm:sky": "rain"}}
    assert fx.picked(fx.run(snap, fx.request(context=[sunny, rainy]))) == ["a"]
    assert fx.picked(fx.run(snap, fx.request(context=[sunny]))) == ["b"]


def test_ranking_formula_over_event_history_and_offer() -> None:
    formula = fx.ranking(
        "f:spend",
        'if(offer.characteristics.get("code") = "b", sum X.commerce.order.priceTotal over X from xEvent, 50)',
    )
    snap = fx.catalog(
        formula,
        fx.offer("a", priority=9),
        fx.offer("b", priority=1),
        fx.activity([fx.criterion(options=ALL, function="f:spend")]),
    )
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB), profile={"xEvent": [PURCHASE]}))) == [
        "b"
    ]  # 120 > 50
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB), profile={"xEvent": []}))) == ["a"]  # 0 < 50
