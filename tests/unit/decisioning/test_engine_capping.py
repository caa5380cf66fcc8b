"""Capping: global and profile caps, frequency rules per offer and per placement, period buckets,
the increments returned, dry runs and the conditional-apply/retry contract."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import decisioning_fixtures as fx
import pytest

from offer_catalog.decisioning.capping import (
    CounterIncrement,
    MappingCounters,
    counter_key,
    parse_caps,
    period_of,
    profile_scope,
)
from offer_catalog.decisioning.engine import DecisionResult

ME = profile_scope("Email", "user@example.com")
A = fx.oid("a")


def capped_catalog(**caps: Any) -> Any:
    return fx.catalog(
        fx.offer("a", priority=9, **caps),
        fx.offer("b", priority=1),
        fx.activity([fx.criterion(options=[A, fx.oid("b")])]),
    )


def apply(counters: dict[str, int], result: DecisionResult) -> bool:
    """The caller's side of the contract: all-or-nothing conditional increments."""
    if any(counters.get(i.key, 0) + i.amount > i.limit for i in result.increments):
        return False
    for i in result.increments:
        counters[i.key] = counters.get(i.key, 0) + i.amount
    return True


def serve(snap: Any, times: int, *, body: dict[str, Any] | None = None, now: datetime = fx.NOW) -> list[Any]:
    counters: dict[str, int] = {}
    out = []
    for _ in range(times):
        result = fx.run(snap, body or fx.request(), counters=counters, now=now)
        assert apply(counters, result)
        out.append(fx.picked(result))
    return out


def test_global_cap() -> None:
    snap = capped_catalog(caps={"xdm:globalCap": 2})
    assert serve(snap, 3) == [["a"], ["a"], ["b"]]
    other = fx.request(identity="someone-else")
    key = counter_key(A, "global", None, period_of(None, 1, fx.NOW.date()))
    assert fx.picked(fx.run(snap, other, counters={key: 2})) == ["b"]


def test_profile_cap_counts_per_identity() -> None:
    snap = capped_catalog(caps={"xdm:profileCap": 1})
    first = fx.run(snap, fx.request())
    # a per-profile counter expires at the offer's end date (docs/decisioning.md, section 4)
    expires = "2027-01-01T00:00:00.000000Z"
    assert first.increments == (CounterIncrement(f"{A}|{ME}|offer|total", 1, 1, A, None, None, expires),)
    counters = {i.key: i.amount for i in first.increments}
    assert fx.picked(fx.run(snap, fx.request(), counters=counters)) == ["b"]
    assert fx.picked(fx.run(snap, fx.request(identity="other@example.com"), counters=counters)) == ["a"]


def test_legacy_volume_and_frequency_names() -> None:
    snap = capped_catalog(caps={"xdm:volume": 5, "xdm:frequency": 1})
    keys = {i.key for i in fx.run(snap, fx.request()).increments}
    assert keys == {f"{A}|global|offer|total", f"{A}|{ME}|offer|total"}


def test_frequency_cap_per_offer_daily_resets_at_midnight_utc() -> None:
    rule = {
        "xdm:limit": 1,
        "xdm:scope": "profile",
        "xdm:entity": "offer",
        "xdm:repeat": {"xdm:enabled": True, "xdm:unit": "day"},
    }
    snap = capped_catalog(frequency=[rule])
    counters: dict[str, int] = {}
    late = datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC)
    result = fx.run(snap, fx.request(), counters=counters, now=late)
    assert result.increments[0].key == f"{A}|{ME}|offer|day:2026-11-22"
    assert (result.increments[0].period_start, result.increments[0].period_end) == (
        "2026-11-22",
        "2026-11-23",
    )
    apply(counters, result)
    assert fx.picked(fx.run(snap, fx.request(), counters=counters, now=late)) == ["b"]
    assert fx.picked(
        fx.run(snap, fx.request(), counters=counters, now=datetime(2026, 11, 23, tzinfo=UTC))
    ) == ["a"]


def test_frequency_cap_per_placement_counts_each_placement() -> None:
    rule = {"xdm:limit": 1, "xdm:scope": "global", "xdm:entity": "placement"}
    snap = capped_catalog(frequency=[rule])
    counters: dict[str, int] = {}
    apply(counters, fx.run(snap, fx.request((fx.ACT, fx.WEB)), counters=counters))
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB)), counters=counters)) == ["b"]
    mail = fx.run(snap, fx.request((fx.ACT, fx.MAIL)), counters=counters)
    assert fx.picked(mail) == ["a"]
    assert mail.increments[0].key == f"{A}|global|placement:{fx.MAIL}|total"


def test_deprecated_placement_restriction_on_a_placement_rule() -> None:
    rule = {"xdm:limit": 0, "xdm:scope": "global", "xdm:entity": "placement", "xdm:placement": fx.MAIL}
    snap = capped_catalog(frequency=[rule])
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.WEB)))) == ["a"]
    assert fx.picked(fx.run(snap, fx.request((fx.ACT, fx.MAIL)))) == ["b"]


def test_any_single_cap_reached_caps_the_offer() -> None:
    daily = {
        "xdm:limit": 5,
        "xdm:scope": "global",
        "xdm:entity": "offer",
        "xdm:repeat": {"xdm:enabled": True, "xdm:unit": "week"},
    }
    snap = capped_catalog(caps={"xdm:globalCap": 10, "xdm:profileCap": 2}, frequency=[daily])
    assert serve(snap, 3) == [["a"], ["a"], ["b"]]


def test_rules_sharing_a_counter_use_the_smallest_limit() -> None:
    same = {"xdm:limit": 1, "xdm:scope": "global", "xdm:entity": "offer"}
    snap = capped_catalog(caps={"xdm:globalCap": 3}, frequency=[same])
    result = fx.run(snap, fx.request())
    assert [(i.key, i.limit) for i in result.increments] == [(f"{A}|global|offer|total", 1)]


def test_an_offer_proposed_twice_in_one_decision_is_counted_twice() -> None:
    snap = capped_catalog(caps={"xdm:globalCap": 2})
    allowed = {"xdm:acrossActivities": True, "xdm:acrossPlacements": True}
    body = fx.request(
        (fx.ACT, fx.WEB), (fx.ACT, fx.MAIL), (fx.ACT, fx.WEB), **{"xdm:allowDuplicatePropositions": allowed}
    )
    result = fx.run(snap, body)
    assert [fx.picked(result, i) for i in range(3)] == [["a"], ["a"], ["b"]]
    assert [(i.key, i.amount) for i in result.increments] == [(f"{A}|global|offer|total", 2)]


def test_counts_are_shared_across_profiles_of_one_request() -> None:
    snap = capped_catalog(caps={"xdm:globalCap": 1})
    body = fx.request()
    body["xdm:profiles"].append({"xdm:identityMap": {"ECID": [{"xdm:id": "2"}]}})
    result = fx.run(snap, body)
    assert [r["xdm:propositions"][0]["xdm:options"][0]["xdm:id"] for r in result.responses] == [
        A,
        fx.oid("b"),
    ]


def test_dry_run_obeys_caps_but_returns_no_increments() -> None:
    snap = capped_catalog(caps={"xdm:globalCap": 1})
    dry = fx.run(snap, fx.request(**{"xdm:dryRun": True}))
    assert dry.dry_run and dry.increments == ()
    assert fx.picked(dry) == ["a"]
    assert fx.picked(
        fx.run(snap, fx.request(**{"xdm:dryRun": True}), counters={f"{A}|global|offer|total": 1})
    ) == ["b"]


def test_capped_everything_gives_the_fallback() -> None:
    snap = fx.catalog(fx.offer("a", caps={"xdm:globalCap": 1}), fx.activity([fx.criterion(options=[A])]))
    assert (
        fx.picked(fx.run(snap, fx.request(), counters={f"{A}|global|offer|total": 1}))
        == "fallback:" + fx.FALLBACK
    )


def test_retry_contract_under_a_concurrent_decision() -> None:
    """Two decisions read the same counts; the second apply fails and its retry sees the cap."""
    snap = capped_catalog(caps={"xdm:globalCap": 1})
    counters: dict[str, int] = {}
    first = fx.run(snap, fx.request(), counters=dict(counters))
    second = fx.run(snap, fx.request(), counters=dict(counters))
    assert apply(counters, first)
    assert not apply(counters, second)
    retry = fx.run(snap, fx.request(), counters=counters)
    assert fx.picked(retry) == ["b"] and apply(counters, retry)
    assert counters == {f"{A}|global|offer|total": 1}


def test_counters_may_be_a_view_object() -> None:
    snap = capped_catalog(caps={"xdm:globalCap": 1})
    view = MappingCounters({f"{A}|global|offer|total": 1})
    assert fx.picked(fx.run(snap, fx.request(), counters=None)) == ["a"]
    from offer_catalog.decisioning.engine import decide

    assert fx.picked(decide(snap, fx.request(), now=fx.NOW, counters=view)) == ["b"]
    assert MappingCounters().count("x") == 0


@pytest.mark.parametrize(
    ("unit", "count", "day", "label", "start", "end"),
    [
        (None, 1, date(2026, 11, 22), "total", None, None),
        ("day", 1, date(2026, 11, 22), "day:2026-11-22", "2026-11-22", "2026-11-23"),
        ("week", 1, date(2026, 11, 22), "week:2026-11-22", "2026-11-22", "2026-11-29"),  # Sunday starts
        ("week", 1, date(2026, 11, 28), "week:2026-11-22", "2026-11-22", "2026-11-29"),  # Saturday ends
        ("week", 1, date(2026, 11, 29), "week:2026-11-29", "2026-11-29", "2026-12-06"),
        ("month", 1, date(2026, 11, 30), "month:2026-11", "2026-11-01", "2026-12-01"),
        ("month", 1, date(2026, 12, 1), "month:2026-12", "2026-12-01", "2027-01-01"),
        ("day", 3, date(1970, 1, 4), "day*3:1970-01-04", "1970-01-04", "1970-01-07"),
        ("week", 2, date(1970, 1, 10), "week*2:1969-12-28", "1969-12-28", "1970-01-11"),
        ("month", 2, date(2026, 12, 31), "month*2:2026-11", "2026-11-01", "2027-01-01"),
        ("month", 12, date(2026, 6, 1), "month*12:2026-01", "2026-01-01", "2027-01-01"),
    ],
)
def test_periods(
    unit: str | None, count: int, day: date, label: str, start: str | None, end: str | None
) -> None:
    period = period_of(unit, count, day)
    assert (period.label, period.start, period.end) == (label, start, end)


def test_weekly_cap_resets_on_sunday() -> None:
    rule = {
        "xdm:limit": 1,
        "xdm:scope": "global",
        "xdm:entity": "offer",
        "xdm:repeat": {"xdm:enabled": True, "xdm:unit": "week"},
    }
    snap = capped_catalog(frequency=[rule])
    saturday = datetime(2026, 11, 28, 23, tzinfo=UTC)
    counters = {f"{A}|global|offer|week:2026-11-22": 1}
    assert fx.picked(fx.run(snap, fx.request(), counters=counters, now=saturday)) == ["b"]
    assert fx.picked(
        fx.run(snap, fx.request(), counters=counters, now=datetime(2026, 11, 29, tzinfo=UTC))
    ) == ["a"]


def test_monthly_cap_resets_on_the_first() -> None:
    rule = {
        "xdm:limit": 1,
        "xdm:scope": "profile",
        "xdm:entity": "offer",
        "xdm:repeat": {"xdm:enabled": True, "xdm:unit": "month"},
    }
    snap = capped_catalog(frequency=[rule])
    counters = {f"{A}|{ME}|offer|month:2026-11": 1}
    assert fx.picked(
        fx.run(snap, fx.request(), counters=counters, now=datetime(2026, 11, 30, 23, tzinfo=UTC))
    ) == ["b"]
    assert fx.picked(
        fx.run(snap, fx.request(), counters=counters, now=datetime(2026, 12, 1, tzinfo=UTC))
    ) == ["a"]


def test_keys_escape_separators() -> None:
    assert profile_scope("N|s", "a%b") == "profile:N%7Cs:a%25b"
    period = period_of(None, 1, fx.NOW.date())
    assert counter_key("o|1", "global", "p|2", period) == "o%7C1|global|placement:p%7C2|total"


@pytest.mark.parametrize(
    ("body", "rules", "problem"),
    [
        ({}, 0, False),
        ({"xdm:cappingConstraint": {"xdm:globalCap": 3}}, 1, False),
        ({"xdm:cappingConstraint": {"xdm:globalCap": "3"}}, 0, True),
        ({"xdm:cappingConstraint": {"xdm:profileCap": -1}}, 0, True),
        (
            {
                "xdm:frequencyCappingConstraints": [
                    {"xdm:count": 2, "xdm:scope": "profile", "xdm:entity": "offer"}
                ]
            },
            1,
            False,
        ),
        ({"xdm:frequencyCappingConstraints": [{"xdm:limit": 2}]}, 1, False),  # global, offer by default
        ({"xdm:frequencyCappingConstraints": ["x"]}, 0, True),
        ({"xdm:frequencyCappingConstraints": [{"xdm:limit": True}]}, 0, True),
        ({"xdm:frequencyCappingConstraints": [{"xdm:limit": 1, "xdm:scope": "world"}]}, 0, True),
        ({"xdm:frequencyCappingConstraints": [{"xdm:limit": 1, "xdm:entity": "activity"}]}, 0, True),
        (
            {
                "xdm:frequencyCappingConstraints": [
                    {"xdm:limit": 1, "xdm:repeat": {"xdm:enabled": True, "xdm:unit": "year"}}
                ]
            },
            0,
            True,
        ),
        (
            {
                "xdm:frequencyCappingConstraints": [
                    {"xdm:limit": 1, "xdm:repeat": {"xdm:enabled": True, "xdm:unitCount": 0}}
                ]
            },
            0,
            True,
        ),
        (
            {
                "xdm:frequencyCappingConstraints": [
                    {"xdm:limit": 1, "xdm:repeat": {"xdm:enabled": False, "xdm:unit": "year"}}
                ]
            },
            1,
            False,
        ),
    ],
)
def test_parse_caps(body: dict[str, Any], rules: int, problem: bool) -> None:
    parsed, issue = parse_caps(body)
    assert len(parsed) == rules
    assert (issue is not None) is problem


def test_offer_with_malformed_caps_is_never_proposed() -> None:
    snap = capped_catalog(caps={"xdm:globalCap": "many"})
    assert fx.picked(fx.run(snap, fx.request())) == ["b"]
    assert [d.code for d in snap.diagnostics] == ["invalid_capping"]
