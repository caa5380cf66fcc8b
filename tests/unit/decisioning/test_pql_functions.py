"""PQL functions beyond their documented examples: edge cases, missing values, event history, context data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from offer_catalog.decisioning.pql import MISSING, Env, compile_rule

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
EVENTS = [
    {"eventType": "commerce.purchases", "timestamp": "2024-06-14T10:00:00Z", "value": 250.0, "sku": "PS"},
    {"eventType": "web.pageViews", "timestamp": "2024-06-01T10:00:00Z", "value": 30},
    {"eventType": "commerce.purchases", "timestamp": "2024-05-01T10:00:00Z", "value": 500, "sku": "XB"},
]
PROFILE: dict[str, Any] = {
    "xEvent": EVENTS,
    "tags": ["a", "b", "a", 1, 1.0, True, None, [1], [1], {"k": 1}, {"k": 1}],
    "words": ["x", "y"],
    "n": 3,
    "text": "Hello",
    "orders": [{"price": 5}, {"price": "n/a"}, {"price": 7}],
    "dates": ["2024-01-02", "2023-05-06"],
    "mixed": [1, "a"],
    "huge": [10**400, 1.5],
}
CONTEXT = [
    {"@type": "_xdm.context.weather;version=1", "xdm:data": {"xdm:sky": "rain", "xdm:temp": 12}},
    {"@type": "_xdm.context.weather;version=1", "xdm:data": {"xdm:sky": "sun", "xdm:temp": 25}},
    {"@type": "_xdm.context.device;version=1", "xdm:data": {"xdm:os": "ios"}},
]


def run(text: str, profile: dict[str, Any] | None = None) -> Any:
    return compile_rule(text).evaluate(Env(PROFILE if profile is None else profile, context=CONTEXT, now=NOW))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # event history: select, its aggregates, and the aggregate-over form
        ('select X from xEvent where X.eventType = "commerce.purchases"', [EVENTS[0], EVENTS[2]]),
        ('(select X from xEvent where X.eventType = "commerce.purchases").count()', 2),
        ('(select X from xEvent where X.eventType = "commerce.purchases").sum(X.value)', 750),
        ("(select X from xEvent where X.timestamp occurs <= 30 days before now).count() >= 2", True),
        ("(select X from xEvent where X.timestamp occurs last month).head().value", 500),
        ("(select X from xEvent).average(value)", 260.0),
        ("count X over X from xEvent where X.sku.isNotNull()", 2),
        ("sum X.value over X from xEvent", 780.0),
        ("avg X.value over X from xEvent where X.value > 100", 375.0),
        ("average X.value over X from xEvent where X.value > 1000", MISSING),
        ("min X.value over X from xEvent", 30),
        ("max X.timestamp over X from xEvent", "2024-06-14T10:00:00Z"),
        ("sum X.value over X from missing", MISSING),
        ('select X from xEvent where X.eventType = "none"', []),
        ("select X from n", MISSING),
        # a selection is a condition: true when not empty
        ("select X from xEvent where X.value > 400 and n = 3", [EVENTS[2]]),  # `where` takes the rest
        ("(select X from xEvent where X.value > 400) and n = 3", True),
        ("(select X from xEvent where X.value > 900) or n = 3", True),
        ("(select X from xEvent where X.value > 900) or n = 4", False),
        ("not (select X from xEvent where X.value > 900)", True),
        ('if(select X from xEvent where X.value > 900, "some", "none")', "none"),
        ('if(select X from xEvent where X.value > 400, "some", "none")', "some"),
        # context data: every entry of the schema, or the first for a path
        (
            'select C from @{_xdm.context.weather;version=1} where C.xdm:sky = "sun"',
            [{"xdm:sky": "sun", "xdm:temp": 25}],
        ),
        ("(select C from @{_XDM.context.WEATHER;version=1} where C.temp > 10).count()", 2),
        ("(select C from @{_xdm.context.device;version=1}).count()", 1),
        ("(select C from @{_xdm.context.none;version=1}).count()", 0),
        ('exists C from @{_xdm.context.weather;version=1} where C.sky = "rain"', True),
        ("@{_xdm.context.weather;version=1}.xdm:sky", "rain"),
        ("(select X from context).count()", 1),
        # quantifiers over nested arrays, variables shadowing and restoring
        ('exists X from xEvent where X.eventType = "web.pageViews", X from tags where X = "a"', True),
        ('let X = (1) in (exists X from words where X = "y") and X = 1', True),
        ('forall W from words : W.startsWith("x") or W = "y"', True),
        ('forall W from words where W = "x" : W = "x"', True),
        # arrays
        ("tags.distinct()", ["a", "b", 1, True, None, [1], {"k": 1}]),
        ("n.distinct()", MISSING),
        ("tags.intersects(n)", MISSING),
        ("tags.intersection(n)", MISSING),
        ("tags.subsetOf(n)", MISSING),
        ('["a", 1].subsetOf(tags)', True),
        ("words.head()", "x"),
        ("[].head()", MISSING),
        ("n.last()", MISSING),
        ("orders.topN(price, 1)", [{"price": 7}]),
        ("orders.topN(price, -1)", MISSING),
        ('orders.topN(price, "2")', MISSING),
        ("orders.filter(price > 5)", [{"price": 7}]),
        ("orders.count(price > 4)", 2),
        ("orders.sum(price)", 12),
        ("orders.sum(o.price)", 12),  # `o` names the element itself
        ("orders.map(o.price)", [5, "n/a", 7]),
        ("orders.filter(price > n)", [{"price": 5}, {"price": 7}]),  # n: not a field, so the profile's
        ("orders.groupBy(price).keys()", [5, "n/a", 7]),
        ("[[1], [2]].groupBy(x).keys()", []),
        ("n.filter(x > 1)", MISSING),
        ("dates.max()", "2024-01-02"),
        ("mixed.max()", MISSING),
        ("huge.sum()", MISSING),
        ("huge.average()", MISSING),
        ("text.count()", 5),
        ("words.count()", 2),
        # strings
        ('text like "H%"', True),
        ('text like "h%"', False),
        ("text like text", True),
        ('n like "3"', MISSING),
        ('text.matches("H.*" + "o")', True),
        ('text.matches(text + "(")', MISSING),
        ("text.matches(n)", MISSING),
        ('text.regexGroup("(l+)", 1)', "ll"),
        ('text.regexGroup("(l+)", 2)', MISSING),
        ('text.regexGroup("(x)?H", 1)', MISSING),
        ('text.regexGroup("l", n)', MISSING),
        ('n.regexGroup("l")', MISSING),
        ("text.regexGroup(text)", "Hello"),
        ('text.regexGroup(text + "(")', MISSING),
        ('"\\u00e9t\\u00e9".matches("\\u00e9t\\u00e9")', True),
        ('"a.b".matches("a\\\\.b")', True),
        ('"axb".matches("a\\\\.b")', False),
        # dates
        ("timestamp occurs this hour", MISSING),
        ('"2024-06-15T12:30:00Z" occurs this hour', True),
        ('"2024-06-15T13:00:00Z" occurs next hour', True),
        ('"2024-06-15" occurs this day', True),
        ('"2024-06-15T12:00:00Z" occurs on now', True),
        ('"2024-06-15" occurs between yesterday and now', True),
        ('"2024-06-13" occurs between yesterday and now', False),
        ('"2024-06-15T11:00:00Z" occurs between yesterday and now', True),
        ('"2024-06-15T12:00:00Z" occurs between date(2024, 6, 1) and "2024-06-15T12:00:00Z"', True),
        ('"2024-06-15T11:00:00Z" occurs after "bad"', MISSING),
        ('"2024-06-15T11:00:00Z" occurs between "bad" and now', MISSING),
        ('"2024-06-15T11:00:00Z" occurs = 1 hours before "bad"', MISSING),
        ('"x".getYear()', MISSING),
        ("today = date(2024, 6, 15) and tomorrow > today and yesterday < today and now > today", True),
        ("date(10000, 1, 1)", MISSING),
        ('"0001-01-01" occurs last year', False),
    ],
)
def test_functions(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_period_beyond_the_calendar_is_missing() -> None:
    env = Env({"t": "9999-12-31"}, now=datetime(9999, 12, 31, tzinfo=UTC))
    assert compile_rule("t occurs next year").evaluate(env) is MISSING
    assert compile_rule("t occurs last year").evaluate(env) is False


def test_selection_rule_tests_true_only_when_something_is_selected() -> None:
    env = Env(PROFILE, now=NOW)
    assert compile_rule('select X from xEvent where X.sku = "PS"').test(env) is True
    assert compile_rule('select X from xEvent where X.sku = "none"').test(env) is False


def test_variables_do_not_leak_out_of_their_clause() -> None:
    env = Env(PROFILE, now=NOW)
    compile_rule("exists X from xEvent where X.value > 1").evaluate(env)
    compile_rule("let S = (1) in S").evaluate(env)
    assert env.vars == {}
    assert env.item is MISSING


def test_events_carried_in_the_profile_drive_a_rule() -> None:
    rule = compile_rule(
        '(select E from xEvent where E.eventType = "commerce.purchases"'
        " and E.timestamp occurs <= 7 days before now).count() >= 1"
    )
    assert rule.test(Env(PROFILE, now=NOW)) is True
    assert rule.test(Env({"xEvent": EVENTS[1:]}, now=NOW)) is False
    assert rule.test(Env({"xdm:xEvent": EVENTS}, now=NOW)) is True
    assert rule.test(Env({}, now=NOW)) is False
