"""Batch evaluation (one formula over many offers) must equal evaluating offer by offer."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from offer_catalog.decisioning.pql import MISSING, Env, compile_rule
from offer_catalog.decisioning.pql.batch import Prepared

NOW = datetime(2024, 1, 1, 12, tzinfo=UTC)
OFFERS: list[dict[str, Any]] = [
    {"xdm:rank": {"xdm:priority": 3}, "xdm:characteristics": {"city": "Paris", "n": "2", "seg": "s1"}},
    {"xdm:rank": {"xdm:priority": 2.5}, "xdm:characteristics": {"city": "Rome", "n": 7, "seg": "s2"}},
    {"xdm:rank": {"xdm:priority": 10**400}, "xdm:characteristics": {"city": None}},
    {"xdm:rank": {"xdm:priority": "high"}, "xdm:characteristics": {"city": 3}},
    {"xdm:rank": {"xdm:priority": True}},
    {"xdm:rank": {"xdm:priority": float("nan")}, "xdm:characteristics": {"n": float("inf")}},
    {"xdm:rank": {"xdm:priority": 0}, "xdm:characteristics": {"city": "paris", "n": 0}},
    {"xdm:rank": {"xdm:priority": 1}, "xdm:characteristics": {"city": "Pisa", "n": "2023-12-31T10:00:00Z"}},
    {},
]
PROFILE = {
    "homeAddress": {"city": "Paris"},
    "loyalty": {"points": 1200, "ratio": 0.5, "big": 10**400, "tier": "gold"},
    "segmentMembership": ["s1"],
}

ATOMS = [
    "offer.rank.priority",
    'offer.characteristics.get("city")',
    'offer.characteristics.get("n")',
    "offer.missing",
    "homeAddress.city",
    "loyalty.points",
    "loyalty.ratio",
    "loyalty.big",
    "loyalty.tier",
    "person.age",
    "2",
    "0",
    "1.5",
    "1e308",
    '"Paris"',
    "true",
    "null",
    "now",
    '"2024-01-01"',
    "offer.characteristics",
]
BINARY = ["+", "-", "*", "/", "%", "=", "!=", "<", ">=", "and", "or"]


def expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(BINARY), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
            inner.map(lambda e: f"(not ({e}))"),
            inner.map(lambda e: f"-({e})"),
            st.tuples(inner, inner).map(lambda t: f"max({t[0]}, {t[1]})"),
            inner.map(lambda e: f'(({e}) in [1, 3, "Paris", offer.rank.priority])'),
            inner.map(lambda e: f"exists({e})"),
            inner.map(lambda e: f"[{e}, 1].get(0)"),
            inner.map(lambda e: f"(!({e}))"),
            inner.map(lambda e: f"(exists X from [{e}, 2] where X = offer.rank.priority)"),
            inner.map(lambda e: f"(select X from [{e}, offer.rank.priority, 1] where X > 1)"),
            inner.map(lambda e: f"(let V = ({e}) in [V, offer.rank.priority].max())"),
            inner.map(lambda e: f"[{e}, offer.rank.priority, loyalty.points].topN(price, 2).count()"),
            inner.map(lambda e: f'(({e}) like "P%")'),
            inner.map(lambda e: f"(({e}) occurs before today)"),
            st.tuples(inner, inner).map(lambda t: f"[{t[0]}, 1].intersects([{t[1]}])"),
        )

    return st.recursive(st.sampled_from(ATOMS), extend, max_leaves=6)


def norm(value: Any) -> Any:
    if value is MISSING:
        return "<missing>"
    if isinstance(value, float) and math.isnan(value):
        return "<nan>"
    if isinstance(value, list):
        return [norm(v) for v in value]
    return (type(value).__name__, value)


def one_by_one(text: str) -> list[Any]:
    expr = compile_rule(text)
    env = Env(PROFILE, now=NOW)
    out = []
    for body in OFFERS:
        env.offer = body
        out.append(expr.evaluate(env))
    return out


@settings(max_examples=400, deadline=None)
@given(expressions())
def test_batch_equals_row_by_row(text: str) -> None:
    batch = Prepared(compile_rule(text), OFFERS).evaluate(Env(PROFILE, now=NOW))
    assert [norm(v) for v in batch] == [norm(v) for v in one_by_one(text)]


def test_examples_and_fallback_paths() -> None:
    cases = [
        'if(offer.characteristics.get("city") = homeAddress.city, offer.rank.priority * 2, 1) '
        "+ loyalty.points / 1000",
        'inSegment(offer.characteristics.get("seg"))',  # reads env and offer without an element-wise op
        "offer.rank.priority",  # offer-only: computed when prepared
        "offer.rank.priority + loyalty.big",  # float + huge int overflows: element-wise fallback
        "loyalty.points",  # profile-only: broadcast
        '(offer.characteristics).get("city").size()',
    ]
    for text in cases:
        prepared = Prepared(compile_rule(text), OFFERS)
        assert prepared.size == len(OFFERS)
        env = Env(PROFILE)
        assert [norm(v) for v in prepared.evaluate(env)] == [norm(v) for v in one_by_one(text)]
        assert env.offer is None
