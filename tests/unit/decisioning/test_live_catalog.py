"""Incremental snapshot updates (`LiveCatalog`) decide exactly like a full rebuild.

Property: for a random catalog and any random sequence of changes (creates, edits, deletions of
every kind of instance, alone or several at once), the snapshot kept current incrementally gives
the same decisions, for every (activity, placement) scope and several profiles, as a snapshot built
from scratch from the same instances; collections and diagnostics are equal too.
"""

from __future__ import annotations

import random
from typing import Any

from decisioning_fixtures import (
    NOW,
    activity,
    collection,
    criterion,
    fallback,
    offer,
    oid,
    placement,
    ranking,
    rule,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offer_catalog.decisioning.catalog import build_snapshot
from offer_catalog.decisioning.engine import decide
from offer_catalog.decisioning.live import LiveCatalog
from offer_catalog.decisioning.model import Snapshot
from offer_catalog.decisioning.request import DecisionRequestError

PLACEMENTS = [f"xcore:offer-placement:p{i}" for i in range(3)]
OFFERS = [f"o{i}" for i in range(8)]
RULES = [f"xcore:eligibility-rule:r{i}" for i in range(3)]
FUNCTIONS = [f"xcore:ranking-function:f{i}" for i in range(2)]
TAGS = [f"xcore:tag:t{i}" for i in range(3)]
FILTERS = [f"xcore:offer-filter:c{i}" for i in range(3)]
FALLBACKS = [f"xcore:fallback-offer:fb{i}" for i in range(2)]
ACTIVITIES = [f"xcore:offer-activity:a{i}" for i in range(3)]
RULE_TEXTS = [
    'loyalty.tier = "gold"',
    "person.age > 30",
    'inSegment("s1")',
    "true",
    "offer.rank.priority >= 2",
    "person.age >",  # does not compile: a diagnostic, a rule that is never true
]
FUNCTION_TEXTS = ["offer.rank.priority * 2", "person.age + offer.rank.priority", "10"]
PROFILES = [
    {"loyalty": {"tier": "gold"}, "person": {"age": 40}},
    {
        "loyalty": {"tier": "silver"},
        "person": {"age": 20},
        "segmentMembership": {"ups": {"s1": {"status": "realized"}}},
    },
]

pick = st.sampled_from
subset = st.lists


def _offer(ident: str, d: st.DrawFn) -> dict[str, Any]:
    return offer(
        ident,
        priority=d(st.integers(0, 3)),
        status=d(pick(["approved", "approved", "draft"])),
        placements=tuple(d(subset(pick(PLACEMENTS), min_size=1, max_size=3, unique=True))),
        rule=d(st.none() | pick(RULES)),
        tags=tuple(d(subset(pick(TAGS), max_size=3, unique=True))),
        end=d(pick(["2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "2026-02-01T00:00:00Z"])),
        caps=d(st.none() | st.just({"xdm:globalCap": 2})),
        etag=d(st.integers(1, 50)),
    )


def _filter(ident: str, d: st.DrawFn) -> dict[str, Any]:
    kind = d(pick(["offers", "anyTags", "allTags"]))
    pool = [oid(o) for o in [*OFFERS, "o9"]] if kind == "offers" else TAGS
    return collection(ident, kind, d(subset(pick(pool), max_size=4, unique=True)))


def _criterion(d: st.DrawFn) -> dict[str, Any]:
    constraint = d(
        pick(
            [
                None,
                {"xdm:profileConstraintType": "none"},
                {"xdm:profileConstraintType": "eligibilityRule", "xdm:eligibilityRule": d(pick(RULES))},
                {"xdm:profileConstraintType": "anySegments", "xdm:segmentIdentities": [{"xdm:id": "s1"}]},
            ]
        )
    )
    by_list = d(st.booleans())
    return criterion(
        options=[oid(o) for o in d(subset(pick(OFFERS), max_size=4, unique=True))] if by_list else None,
        filter_id=None if by_list else d(pick([*FILTERS, "xcore:offer-filter:missing"])),
        placements=tuple(d(subset(pick(PLACEMENTS), max_size=2, unique=True))),
        priority=d(st.integers(0, 1)),
        constraint=constraint,
        function=d(st.none() | pick(FUNCTIONS)),
    )


def _activity(ident: str, d: st.DrawFn) -> dict[str, Any]:
    criteria = [_criterion(d) for _ in range(d(st.integers(1, 3)))]
    doc = activity(
        criteria, ident, fallback_id=d(pick([*FALLBACKS, *FALLBACKS, "xcore:fallback-offer:missing"]))
    )
    doc["repo:etag"] = d(st.integers(1, 50))
    return doc


@st.composite
def instance(draw: st.DrawFn, key: tuple[str, str] | None = None) -> dict[str, Any]:
    """A random instance; `key` (kind, @id) picks which one, else any."""
    kind, ident = key or draw(pick(sorted(_all_keys())))
    if kind == "personalized-offer":
        return _offer(ident.rsplit(":", 1)[-1], draw)
    if kind == "offer-placement":
        return placement(ident, **({"xdm:allowDuplicatePlacements": True} if draw(st.booleans()) else {}))
    if kind == "eligibility-rule":
        return rule(ident, draw(pick(RULE_TEXTS)))
    if kind == "ranking-function":
        return ranking(ident, draw(pick(FUNCTION_TEXTS)))
    if kind == "offer-filter":
        return _filter(ident, draw)
    if kind == "fallback-offer":
        return fallback(ident, tuple(draw(subset(pick(PLACEMENTS), max_size=3, unique=True))))
    return _activity(ident, draw)


def _all_keys() -> set[tuple[str, str]]:
    return {
        *(("personalized-offer", oid(o)) for o in OFFERS),
        *(("offer-placement", p) for p in PLACEMENTS),
        *(("eligibility-rule", r) for r in RULES),
        *(("ranking-function", f) for f in FUNCTIONS),
        *(("offer-filter", f) for f in FILTERS),
        *(("fallback-offer", f) for f in FALLBACKS),
        *(("offer-activity", a) for a in ACTIVITIES),
    }


@st.composite
def catalogs(draw: st.DrawFn) -> dict[tuple[str, str], dict[str, Any]]:
    """Every placement, fallback and activity, and most of the other instances."""
    always = {k for k in _all_keys() if k[0] in ("offer-placement", "fallback-offer", "offer-activity")}
    others = sorted(_all_keys() - always)
    keys = sorted(always) + draw(subset(pick(others), min_size=len(others) // 2, unique=True))
    return {key: draw(instance(key)) for key in keys}


# A batch of changes: (kind, @id) -> a new instance, or None (deleted).
changes = subset(
    st.lists(
        pick(sorted(_all_keys())).flatmap(lambda k: st.tuples(st.just(k), st.none() | instance(k))),
        min_size=1,
        max_size=4,
    ),
    min_size=1,
    max_size=6,
)


def _decisions(snapshot: Snapshot) -> list[Any]:
    out: list[Any] = []
    for act in ACTIVITIES:
        for place in PLACEMENTS:
            for number, profile in enumerate(PROFILES):
                body = {
                    "xdm:propositionRequests": [
                        {"xdm:activityId": act, "xdm:placementId": place, "xdm:itemCount": 2}
                    ],
                    "xdm:profiles": [
                        {"xdm:identityMap": {"Email": [{"xdm:id": f"u{number}"}]}, "xdm:profileData": profile}
                    ],
                }
                try:
                    result = decide(snapshot, body, now=NOW, counters={}, rng=random.Random(number))
                    out.append(result.response)
                except DecisionRequestError as exc:
                    out.append(exc.code)
    return out


def _same(live: Snapshot, full: Snapshot) -> None:
    assert _decisions(live) == _decisions(full)
    assert live.filters == full.filters
    assert list(live.offers) == list(full.offers)
    assert {k: o.etag for k, o in live.offers.items()} == {k: o.etag for k, o in full.offers.items()}
    assert set(live.placements) == set(full.placements)
    assert set(live.rules) == set(full.rules)
    assert set(live.fallbacks) == set(full.fallbacks)
    assert live.diagnostics == full.diagnostics


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=catalogs(), batches=changes)
def test_incremental_updates_decide_like_a_full_rebuild(
    start: dict[tuple[str, str], dict[str, Any]],
    batches: list[list[tuple[tuple[str, str], dict[str, Any] | None]]],
) -> None:
    docs = dict(start)
    live = LiveCatalog.build(docs[k] for k in sorted(docs))
    _same(live.snapshot, build_snapshot(docs[k] for k in sorted(docs)))
    for batch in batches:
        applied = []
        for key, doc in batch:
            if doc is None:
                docs.pop(key, None)
            else:
                docs[key] = doc
            applied.append((key[0], key[1], doc))
        snapshot = live.apply(applied)
        _same(snapshot, build_snapshot(docs[k] for k in sorted(docs)))


def test_full_build_through_the_live_catalog_equals_build_snapshot() -> None:
    docs = [
        placement(PLACEMENTS[0]),
        fallback(FALLBACKS[0], (PLACEMENTS[0],)),
        rule(RULES[0], RULE_TEXTS[0]),
        offer("o1", placements=(PLACEMENTS[0],), tags=(TAGS[0],), priority=2),
        offer("o2", placements=(PLACEMENTS[0],), tags=(TAGS[0],), rule=RULES[0]),
        collection(FILTERS[0], "anyTags", [TAGS[0]]),
        activity(
            [criterion(filter_id=FILTERS[0], placements=(PLACEMENTS[0],))],
            ACTIVITIES[0],
            fallback_id=FALLBACKS[0],
        ),
    ]
    _same(LiveCatalog.build(docs).snapshot, build_snapshot(docs))


def test_an_offer_edit_recompiles_only_the_activities_listing_it() -> None:
    docs = {
        "p": placement(PLACEMENTS[0]),
        "fb": fallback(FALLBACKS[0], (PLACEMENTS[0],)),
        "o1": offer("o1", placements=(PLACEMENTS[0],)),
        "o2": offer("o2", placements=(PLACEMENTS[0],)),
        "a0": activity(
            [criterion(options=[oid("o1")], placements=(PLACEMENTS[0],))],
            ACTIVITIES[0],
            fallback_id=FALLBACKS[0],
        ),
        "a1": activity(
            [criterion(options=[oid("o2")], placements=(PLACEMENTS[0],))],
            ACTIVITIES[1],
            fallback_id=FALLBACKS[0],
        ),
    }
    live = LiveCatalog.build(docs.values())
    before = live.snapshot
    edited = offer("o2", placements=(PLACEMENTS[0],), priority=5, etag=2)
    after = live.apply([("personalized-offer", oid("o2"), edited)])
    assert after.activities[ACTIVITIES[0]] is before.activities[ACTIVITIES[0]]  # untouched
    assert after.activities[ACTIVITIES[1]] is not before.activities[ACTIVITIES[1]]
    assert after.offers[oid("o1")] is before.offers[oid("o1")]
    assert after.offers[oid("o2")].etag == 2
    assert before.offers[oid("o2")].etag == 1  # a snapshot handed out never changes
