"""Engine ranking: priority, random ties, formulas and scores, criteria groups, itemCount, duplicates."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import decisioning_fixtures as fx
import pytest

from offer_catalog.decisioning.catalog import build_snapshot
from offer_catalog.decisioning.engine import decide


def options(*names: str) -> list[str]:
    return [fx.oid(n) for n in names]


def test_higher_priority_wins_and_options_come_in_rank_order() -> None:
    snap = fx.catalog(
        fx.offer("low", priority=1),
        fx.offer("high", priority=9),
        fx.offer("mid", priority=5),
        fx.activity([fx.criterion(options=options("low", "high", "mid"))]),
    )
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 3)))) == ["high", "mid", "low"]
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB)))) == ["high"]


def test_ties_are_broken_at_random_and_reproducibly() -> None:
    names = [f"t{i}" for i in range(5)]
    snap = fx.catalog(
        fx.offer("top", priority=9),
        *(fx.offer(n, priority=3) for n in names),
        fx.activity([fx.criterion(options=options("top", *names))]),
    )
    winners = Counter(
        fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 2)), seed=seed))[1] for seed in range(500)
    )
    assert set(winners) == set(names)  # every tied offer wins sometimes
    assert all(60 <= count <= 140 for count in winners.values())  # roughly uniform (expected 100)
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 2)), seed=7)) == fx.picked(
        fx.run(snap, fx.request((fx.ACT, fx.WEB, 2)), seed=7)
    )
    assert all(
        fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 2)), seed=s))[0] == "top" for s in range(20)
    )


def test_ties_at_the_boundary_stay_fair_when_some_are_ineligible() -> None:
    names = [f"t{i}" for i in range(4)]
    snap = fx.catalog(
        fx.rule("r:never", "false"),
        fx.offer("t0", priority=3, rule="r:never"),
        *(fx.offer(n, priority=3) for n in names[1:]),
        fx.activity([fx.criterion(options=options(*names))]),
    )
    winners = Counter(fx.picked(fx.run(snap, fx.request(), seed=seed))[0] for seed in range(300))
    assert set(winners) == {"t1", "t2", "t3"}
    assert min(winners.values()) > 60


def test_ranking_formula_orders_by_score_and_returns_it() -> None:
    formula = (
        'if(offer.characteristics.get("code") = homeAddress.city, offer.rank.priority * 10, '
        + "offer.rank.priority)"
    )
    snap = fx.catalog(
        fx.ranking("f:city", formula),
        fx.offer("paris", priority=2, **{"xdm:characteristics": {"code": "Paris"}}),
        fx.offer("rome", priority=5, **{"xdm:characteristics": {"code": "Rome"}}),
        fx.activity([fx.criterion(options=options("paris", "rome"), function="f:city")]),
    )
    response = fx.run(
        snap, fx.request((fx.ACT, fx.WEB, 2), profile={"homeAddress": {"city": "Paris"}})
    ).response
    opts = response["xdm:propositions"][0]["xdm:options"]
    assert [(o["xdm:id"], o["xdm:score"]) for o in opts] == [(fx.oid("paris"), 20.0), (fx.oid("rome"), 5.0)]


def test_formula_that_is_unknown_ranks_last_without_score() -> None:
    snap = fx.catalog(
        fx.ranking("f:pts", "offer.rank.priority * loyalty.boost"),
        fx.offer("a", priority=2, **{"xdm:characteristics": {}}),
        fx.offer("b", priority=9),
        fx.activity([fx.criterion(options=options("a", "b"), function="f:pts")]),
    )
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 2), profile={"loyalty": {}}))) in (
        ["a", "b"],
        ["b", "a"],
    )
    opts = fx.run(snap, fx.request((fx.ACT, fx.WEB, 2), profile={"loyalty": {"boost": 2}})).response[
        "xdm:propositions"
    ][0]["xdm:options"]
    assert [o["xdm:score"] for o in opts] == [18.0, 4.0]
    unknown = fx.run(snap, fx.request((fx.ACT, fx.WEB, 1), profile={})).response["xdm:propositions"][0][
        "xdm:options"
    ][0]
    assert "xdm:score" not in unknown


def test_scored_offers_rank_before_unscored_ones() -> None:
    snap = fx.catalog(
        fx.ranking("f:gold", 'if(offer.characteristics.get("code") = "a", 1, offer.nope)'),
        fx.offer("a", priority=0),
        fx.offer("b", priority=50),
        fx.offer("c", priority=50),
        fx.activity([fx.criterion(options=options("b", "c", "a"), function="f:gold")]),
    )
    for seed in range(10):
        assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 3)), seed=seed))[0] == "a"


def test_formula_ties_are_random() -> None:
    snap = fx.catalog(
        fx.ranking("f:one", "1"),
        *(fx.offer(n) for n in "abc"),
        fx.activity([fx.criterion(options=options(*"abc"), function="f:one")]),
    )
    assert {fx.picked(fx.run(snap, fx.request(), seed=s))[0] for s in range(60)} == set("abc")


def test_unknown_or_unsupported_ranking_falls_back_to_priority() -> None:
    crit = fx.criterion(options=options("a", "b"), function="f:missing")
    strategy = fx.criterion(options=options("a", "b"))
    strategy["xdm:ranking"]["xdm:order"] = {
        "xdm:orderEvaluationType": "rankingStrategy",
        "xdm:rankingStrategy": "x",
    }
    for c in (crit, strategy):
        snap = fx.catalog(fx.offer("a", priority=1), fx.offer("b", priority=2), fx.activity([c]))
        assert fx.picked(fx.run(snap, fx.request())) == ["b"]
        assert snap.diagnostics


def test_criteria_groups_are_used_in_priority_order_and_only_when_needed() -> None:
    snap = fx.catalog(
        fx.offer("g1", priority=1),
        fx.offer("g2a", priority=100),
        fx.offer("g2b", priority=99),
        fx.activity(
            [
                fx.criterion(options=options("g2a", "g2b"), priority=1),
                fx.criterion(options=options("g1"), priority=7),
            ]
        ),
    )
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 1)))) == ["g1"]
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 2)))) == ["g1", "g2a"]
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 5)))) == ["g1", "g2a", "g2b"]


def test_offers_picked_in_an_earlier_group_are_not_reevaluated() -> None:
    snap = fx.catalog(
        fx.offer("a", priority=5),
        fx.offer("b", priority=1),
        fx.activity(
            [
                fx.criterion(options=options("a"), priority=2),
                fx.criterion(options=options("a", "b"), priority=1),
            ]
        ),
    )
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 3)))) == ["a", "b"]


def test_combined_criteria_are_stack_ranked_together_with_the_best_score() -> None:
    snap = fx.catalog(
        fx.rule("r:gold", 'loyalty.tier = "gold"'),
        fx.ranking("f:double", "offer.rank.priority * 2"),
        fx.ranking("f:bad", "offer.nope"),
        fx.offer("a", priority=3),
        fx.offer("b", priority=4),
        fx.offer("c", priority=7),
        fx.activity(
            [
                fx.criterion(options=options("a", "b"), function="f:double"),
                fx.criterion(options=options("b", "c"), function="f:bad"),
                fx.criterion(options=options("a", "c")),
                fx.criterion(
                    options=options("c"), constraint={"xdm:eligibilityRule": "r:gold"}, function="f:double"
                ),
            ]
        ),
    )
    opts = fx.run(snap, fx.request((fx.ACT, fx.WEB, 3))).response["xdm:propositions"][0]["xdm:options"]
    # a: max(6 by formula, 3 static) = 6; b: max(8, unknown) = 8; c: max(unknown, 7 static) = 7, no score
    assert [(o["xdm:id"], o.get("xdm:score")) for o in opts] == [
        (fx.oid("b"), 8.0),
        (fx.oid("c"), None),
        (fx.oid("a"), 6.0),
    ]
    gold = fx.run(snap, fx.request((fx.ACT, fx.WEB, 1), profile={"loyalty": {"tier": "gold"}})).response
    assert gold["xdm:propositions"][0]["xdm:options"][0] == {
        "xdm:id": fx.oid("c"),
        "repo:etag": 1,
        "xdm:score": 14.0,
    }


def test_static_combined_criteria_merge_candidates() -> None:
    snap = fx.catalog(
        fx.rule("r:no", "false"),
        fx.offer("a", priority=3),
        fx.offer("b", priority=4),
        fx.activity(
            [
                fx.criterion(options=options("a", "b"), constraint={"xdm:eligibilityRule": "r:no"}),
                fx.criterion(options=options("a")),
            ]
        ),
    )
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 2)))) == ["a"]


@pytest.mark.parametrize(("count", "expected"), [(None, 1), (1, 1), (3, 3), (30, 4)])
def test_item_count(count: int | None, expected: int) -> None:
    snap = fx.catalog(
        *(fx.offer(n, priority=i) for i, n in enumerate("abcd")),
        fx.activity([fx.criterion(options=options(*"abcd"))]),
    )
    scope = (fx.ACT, fx.WEB) if count is None else (fx.ACT, fx.WEB, count)
    assert len(fx.picked(fx.run(snap, fx.request(scope)))) == expected


def test_fewer_qualifying_offers_than_requested_returns_only_those() -> None:
    snap = fx.catalog(
        fx.offer("a"), fx.offer("b", status="draft"), fx.activity([fx.criterion(options=options("a", "b"))])
    )
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 5)))) == ["a"]


ACT2 = "xcore:offer-activity:a2"


def two_scopes(**flags: bool) -> list[list[str] | str]:
    snap = fx.catalog(
        fx.offer("a", priority=3),
        fx.offer("b", priority=2),
        fx.offer("c", priority=1),
        fx.activity([fx.criterion(options=options("a", "b", "c"))]),
        fx.activity([fx.criterion(options=options("a", "b", "c"))], ident=ACT2),
    )
    dup = {f"xdm:{k}": v for k, v in flags.items()}
    body = fx.request(
        (fx.ACT, fx.WEB, 2),
        (fx.ACT, fx.MAIL, 2),
        (ACT2, fx.WEB, 2),
        **({"xdm:allowDuplicatePropositions": dup} if dup else {}),
    )
    result = fx.run(snap, body)
    return [fx.picked(result, i) for i in range(3)]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"acrossActivities": True, "acrossPlacements": True}, [["a", "b"], ["a", "b"], ["a", "b"]]),
        ({"acrossActivities": True, "acrossPlacements": False}, [["a", "b"], ["c"], ["a", "b"]]),
        ({"acrossActivities": False, "acrossPlacements": True}, [["a", "b"], ["a", "b"], ["c"]]),
        (
            {"acrossActivities": False, "acrossPlacements": False},
            [["a", "b"], ["c"], "fallback:" + fx.FALLBACK],
        ),
        # defaults: no duplicates across activities (the runtime tutorial: "by default, Decisioning
        # Service arbitrates between the activities"), across placements per the placements (false)
        ({}, [["a", "b"], ["c"], "fallback:" + fx.FALLBACK]),
    ],
)
def test_duplicates_across_scopes(flags: dict[str, bool], expected: list[Any]) -> None:
    assert two_scopes(**flags) == expected


def test_placement_setting_allows_duplicates_when_every_placement_does() -> None:
    snap = build_snapshot(
        [
            fx.placement(fx.WEB, allowDuplicatePlacements=True),
            fx.placement(fx.MAIL, **{"xdm:allowDuplicatePlacements": True}),
            *catalog_docs(),
        ]
    )
    result = decide(snap, fx.request((fx.ACT, fx.WEB), (fx.ACT, fx.MAIL)), now=fx.NOW, rng=random.Random(1))
    assert fx.picked(result, 0) == fx.picked(result, 1) == ["a"]


def catalog_docs() -> list[dict[str, Any]]:
    return [
        fx.fallback(),
        fx.offer("a", priority=2),
        fx.offer("b"),
        fx.activity([fx.criterion(options=options("a", "b"))]),
    ]


def test_same_scope_twice_is_a_duplicate_unless_all_duplicates_are_allowed() -> None:
    snap = fx.catalog(
        fx.offer("a", priority=2), fx.offer("b"), fx.activity([fx.criterion(options=options("a", "b"))])
    )
    result = fx.run(
        snap,
        fx.request(
            (fx.ACT, fx.WEB),
            (fx.ACT, fx.WEB),
            **{"xdm:allowDuplicatePropositions": {"xdm:acrossActivities": False}},
        ),
    )
    assert [fx.picked(result, 0), fx.picked(result, 1)] == [["a"], ["b"]]
    allowed = {"xdm:acrossActivities": True, "xdm:acrossPlacements": True}
    result = fx.run(
        snap, fx.request((fx.ACT, fx.WEB), (fx.ACT, fx.WEB), **{"xdm:allowDuplicatePropositions": allowed})
    )
    assert [fx.picked(result, 0), fx.picked(result, 1)] == [["a"], ["a"]]


def test_collections_select_candidates() -> None:
    snap = fx.catalog(
        fx.offer("a", priority=3, tags=("t:x",)),
        fx.offer("b", priority=2, tags=("t:x", "t:y")),
        fx.offer("c", priority=1, tags=("t:y",)),
        fx.collection("c:any", "anyTags", ["t:x", "t:y"]),
        fx.collection("c:all", "allTags", ["t:x", "t:y"]),
        fx.collection("c:list", "offers", [fx.oid("c"), fx.oid("a")]),
        fx.activity(
            [
                fx.criterion(filter_id="c:any", placements=(fx.WEB,)),
                fx.criterion(filter_id="c:all", placements=(fx.MAIL,)),
            ]
        ),
        fx.activity([fx.criterion(filter_id="c:list")], ident=ACT2),
    )
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 5)))) == ["a", "b", "c"]
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.MAIL, 5)))) == ["b"]
    assert fx.picked(fx.run(snap, fx.request((ACT2, fx.WEB, 5)))) == ["a", "c"]


def test_a_whole_tie_block_is_taken_when_more_are_needed() -> None:
    snap = fx.catalog(
        fx.offer("a", priority=2),
        fx.offer("b", priority=2),
        fx.offer("c", priority=1),
        fx.activity([fx.criterion(options=options("a", "b", "c"))]),
    )
    got = fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 5))))
    assert sorted(got[:2]) == ["a", "b"] and got[2] == "c"


def test_formula_groups_apply_eligibility_and_constraints() -> None:
    snap = fx.catalog(
        fx.rule("r:no", "false"),
        fx.rule("r:cheap", "offer.rank.priority < 5"),
        fx.ranking("f:p", "offer.rank.priority"),
        fx.offer("a", priority=9, status="approved", rule="r:no"),
        fx.offer("b", priority=8),
        fx.offer("c", priority=3),
        fx.activity(
            [
                fx.criterion(
                    options=options("a", "b", "c"),
                    function="f:p",
                    constraint={"xdm:eligibilityRule": "r:cheap"},
                )
            ]
        ),
    )
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB, 3)))) == ["c"]


def test_formula_values_that_are_not_finite_numbers_rank_last() -> None:
    snap = fx.catalog(
        fx.ranking("f:x", 'offer.characteristics.get("x")'),
        fx.offer("half", **{"xdm:characteristics": {"x": 0.5}}),
        fx.offer("inf", **{"xdm:characteristics": {"x": 1e308 * 10}}),
        fx.offer("huge", **{"xdm:characteristics": {"x": 10**400}}),
        fx.offer("text", **{"xdm:characteristics": {"x": "9"}}),
        fx.offer("two", **{"xdm:characteristics": {"x": 2}}),
        fx.offer("late", end="2026-02-01T00:00:00Z", **{"xdm:characteristics": {"x": 99}}),
        fx.activity(
            [fx.criterion(options=options("half", "inf", "huge", "text", "two", "late"), function="f:x")]
        ),
    )
    opts = fx.run(snap, fx.request((fx.ACT, fx.WEB, 6))).response["xdm:propositions"][0]["xdm:options"]
    assert [(o["xdm:id"].rsplit(":", 1)[-1], o.get("xdm:score")) for o in opts][:2] == [
        ("two", 2.0),
        ("half", 0.5),
    ]
    assert {o["xdm:id"].rsplit(":", 1)[-1] for o in opts[2:]} == {"inf", "huge", "text"}
    assert all("xdm:score" not in o for o in opts[2:])


def test_formula_group_where_no_offer_passes_its_constraint() -> None:
    snap = fx.catalog(
        fx.rule("r:cheap", "offer.rank.priority < 0"),
        fx.ranking("f:p", "offer.rank.priority"),
        fx.offer("a", priority=1),
        fx.offer("b", priority=2),
        fx.activity(
            [
                fx.criterion(
                    options=options("a", "b"), function="f:p", constraint={"xdm:eligibilityRule": "r:cheap"}
                )
            ]
        ),
    )
    assert fx.picked(fx.run(snap, fx.request())) == "fallback:" + fx.FALLBACK
