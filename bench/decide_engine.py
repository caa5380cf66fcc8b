"""Decision engine benchmark: in-process decisions per second on one core, snapshot build time and memory.

Run: .venv/bin/python bench/decide_engine.py [--write]
(~25 s; --write also updates docs/benchmarks/decide_engine.md)

An in-memory container: 10,000 personalized offers (10 placement groups of 5 placements, each offer
represented on its group's placements), 200 decision rules (segment checks, attribute and context
comparisons) on 60% of the offers, 10% with a global cap and 10% with a daily per-profile cap,
50 placements, 40 collections of 500 offers (20 tag-based, 20 explicit lists), 20 activities of 2-3
criteria (profile constraints: none, rule, segments; 3 activities rank by a formula).

Scenarios, each run for a fixed wall-clock budget over 2,000 generated profiles and rated per CPU
second of the process (robust to other load on a shared machine), increments applied to an
in-memory counter dict as the caller would:
- 3 scopes x 1 item (the headline "3-item request", priority-ranked activities),
- 1 scope x 3 items,
- 3 scopes x 1 item on formula-ranked activities (every candidate is scored),
- the headline again on a snapshot whose priority groups are demoted to "sort per decision" groups
  (every candidate's key computed and sorted at each decision instead of walking the precomputed
  priority order): the same-run baseline showing what the precomputed order and early stop buy.
Ratios are printed against the 2,000 decisions/s target and against that same-run baseline.
"""

from __future__ import annotations

import dataclasses
import gc
import platform
import random
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from offer_catalog.decisioning.catalog import build_snapshot
from offer_catalog.decisioning.engine import DecisionResult, decide
from offer_catalog.decisioning.model import Snapshot
from offer_catalog.decisioning.sizing import approximate_size

TARGET = 2_000  # decisions per second, one core
BUDGET = 4.0  # seconds per scenario
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
N_OFFERS, N_RULES, N_PLACEMENTS, N_ACTIVITIES, N_SEGMENTS = 10_000, 200, 50, 20, 100
GROUPS = 10  # placement groups of 5
COLLECTION_SIZE = 500
CTX = "_xdm.context.additionalParameters;version=1"
HTML = "https://ns.adobe.com/experience/offer-management/content-component-html"
TIERS = ["bronze", "silver", "gold", "platinum"]
COUNTRIES = ["FR", "DE", "US", "GB", "IT"]
CITIES = ["Paris", "Berlin", "Austin", "London", "Rome", "Lyon"]
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks" / "decide_engine.md"


def _doc(schema: str, ident: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"schema": schema, "@id": ident, "repo:etag": 1, "instance": body}


def _rule_text(rng: random.Random, i: int) -> str:
    seg = f"seg-{rng.randrange(N_SEGMENTS)}"
    templates = [
        f'inSegment("{seg}")',
        f'loyalty.tier in ["gold", "platinum"] and loyalty.points > {rng.randrange(100, 5000)}',
        f'person.age >= {rng.randrange(18, 60)} and homeAddress.country = "{rng.choice(COUNTRIES)}"',
        f'@{{{CTX}}}.xdm:device = "mobile" or inSegment("{seg}")',
        f'not inSegment("{seg}") and loyalty.points >= {rng.randrange(0, 3000)}',
        f'person.name.firstName.startsWith("{rng.choice("ABCDEJMS")}", false) or loyalty.tier != "bronze"',
        f'homeAddress.city = "{rng.choice(CITIES)}" and @{{{CTX}}}.xdm:weather = "hot"',
        f'person.age < {rng.randrange(25, 80)} and (inSegment("{seg}") or loyalty.points > 1000)',
    ]
    return templates[i % len(templates)]


def build_container(seed: int = 42) -> list[dict[str, Any]]:
    """The stored instances of one container, as the HTTP layer would hand them to build_snapshot."""
    rng = random.Random(seed)
    docs: list[dict[str, Any]] = []
    placements = [f"xcore:offer-placement:p{i}" for i in range(N_PLACEMENTS)]
    for p in placements:
        docs.append(_doc("offer-placement", p, {"xdm:name": p, "xdm:componentType": HTML}))
    rules = [f"xcore:eligibility-rule:r{i}" for i in range(N_RULES)]
    for i, r in enumerate(rules):
        docs.append(
            _doc("eligibility-rule", r, {"xdm:name": r, "xdm:condition": {"xdm:value": _rule_text(rng, i)}})
        )
    docs.append(
        _doc(
            "ranking-function",
            "xcore:ranking-function:city",
            {
                "xdm:name": "city boost",
                "xdm:expression": {
                    "xdm:value": 'if(offer.characteristics.get("city") = homeAddress.city, '
                    "offer.rank.priority * 2, offer.rank.priority) + loyalty.points / 1000"
                },
            },
        )
    )
    group_offers: list[list[str]] = [[] for _ in range(GROUPS)]
    for i in range(N_OFFERS):
        ident = f"xcore:personalized-offer:o{i}"
        group = i % GROUPS
        group_offers[group].append(ident)
        body: dict[str, Any] = {
            "xdm:name": f"Offer {i}",
            "xdm:status": "approved" if rng.random() < 0.95 else "draft",
            "xdm:representations": [
                {
                    "xdm:channel": "https://ns.adobe.com/xdm/channel-types/web",
                    "xdm:placement": placements[group * 5 + k],
                    "xdm:components": [
                        {"@type": HTML, "dc:format": "text/html", "xdm:content": f"<p>{i}</p>"}
                    ],
                }
                for k in range(5)
            ],
            "xdm:selectionConstraint": {
                "xdm:startDate": "2026-01-01T00:00:00Z",
                "xdm:endDate": "2026-12-31T00:00:00Z" if rng.random() < 0.9 else "2026-06-30T00:00:00Z",
            },
            "xdm:rank": {"xdm:priority": rng.randrange(0, 50)},
            "xdm:tags": [f"xcore:tag:g{group}-t{rng.randrange(2)}"],
            "xdm:characteristics": {"city": rng.choice(CITIES), "code": f"C{i}"},
        }
        if rng.random() < 0.6:
            body["xdm:selectionConstraint"]["xdm:eligibilityRule"] = rng.choice(rules)
        roll = rng.random()
        if roll < 0.1:
            body["xdm:cappingConstraint"] = {"xdm:globalCap": rng.randrange(1000, 100000)}
        elif roll < 0.2:
            body["xdm:frequencyCappingConstraints"] = [
                {
                    "xdm:limit": 2,
                    "xdm:scope": "profile",
                    "xdm:entity": "offer",
                    "xdm:repeat": {"xdm:enabled": True, "xdm:unit": "day"},
                }
            ]
        docs.append(_doc("personalized-offer", ident, body))
    for g in range(GROUPS):
        for t in range(2):
            docs.append(_doc("tag", f"xcore:tag:g{g}-t{t}", {"xdm:name": f"g{g}-t{t}"}))
    collections: list[tuple[str, int]] = []
    for c in range(40):
        group = c % GROUPS
        ident = f"xcore:offer-filter:c{c}"
        if c < 20:  # tag-based: each group tag holds ~500 offers
            body = {
                "xdm:name": ident,
                "xdm:filterType": "anyTags",
                "xdm:ids": [f"xcore:tag:g{group}-t{c // GROUPS}"],
            }
        else:
            body = {
                "xdm:name": ident,
                "xdm:filterType": "offers",
                "xdm:ids": rng.sample(group_offers[group], COLLECTION_SIZE),
            }
        docs.append(_doc("offer-filter", ident, body))
        collections.append((ident, group))
    docs.append(
        _doc(
            "fallback-offer",
            "xcore:fallback-offer:f",
            {
                "xdm:name": "fallback",
                "xdm:status": "approved",
                "xdm:representations": [
                    {"xdm:placement": p, "xdm:components": [{"@type": HTML, "xdm:content": "-"}]}
                    for p in placements
                ],
            },
        )
    )
    for a in range(N_ACTIVITIES):
        group = a % GROUPS
        mine = [c for c, g in collections if g == group]
        criteria = []
        for k in range(2 + a % 2):
            constraint: dict[str, Any] = [
                {"xdm:profileConstraintType": "none"},
                {"xdm:profileConstraintType": "eligibilityRule", "xdm:eligibilityRule": rng.choice(rules)},
                {
                    "xdm:profileConstraintType": "anySegments",
                    "xdm:segmentIdentities": [
                        {"xdm:id": f"seg-{rng.randrange(N_SEGMENTS)}"} for _ in range(10)
                    ],
                },
            ][(a + k) % 3]
            ranking: dict[str, Any] = {"xdm:priority": 2 - k}
            if a >= N_ACTIVITIES - 3 and k == 0:
                ranking["xdm:order"] = {
                    "xdm:orderEvaluationType": "scoringFunction",
                    "xdm:function": "xcore:ranking-function:city",
                }
            criteria.append(
                {
                    "xdm:placements": placements[group * 5 : group * 5 + 5],
                    "xdm:optionSelection": {"xdm:filter": mine[k % len(mine)]},
                    "xdm:profileConstraints": constraint,
                    "xdm:ranking": ranking,
                }
            )
        docs.append(
            _doc(
                "offer-activity",
                f"xcore:offer-activity:a{a}",
                {
                    "xdm:name": f"Activity {a}",
                    "xdm:status": "live",
                    "xdm:startDate": "2026-01-01T00:00:00Z",
                    "xdm:endDate": "2027-01-01T00:00:00Z",
                    "xdm:criteria": criteria,
                    "xdm:fallback": "xcore:fallback-offer:f",
                },
            )
        )
    return docs


def profiles(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Generated profiles with identities, attributes, ~10 realized segments and context data."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        segments = {f"seg-{s}": {"status": "realized"} for s in rng.sample(range(N_SEGMENTS), 10)}
        segments[f"seg-{rng.randrange(N_SEGMENTS)}"] = {"status": "exited"}
        out.append(
            {
                "xdm:identityMap": {"Email": [{"xdm:id": f"user{i}@example.com"}]},
                "xdm:profileData": {
                    "person": {
                        "name": {"firstName": rng.choice(["Ann", "Bob", "Eve", "Joe", "Sam"])},
                        "age": rng.randrange(18, 90),
                    },
                    "homeAddress": {"city": rng.choice(CITIES), "country": rng.choice(COUNTRIES)},
                    "loyalty": {"tier": rng.choice(TIERS), "points": rng.randrange(0, 6000)},
                    "segmentMembership": {"ups": segments},
                },
                "xdm:contextData": [
                    {
                        "@type": CTX,
                        "xdm:data": {
                            "xdm:device": rng.choice(["mobile", "desktop"]),
                            "xdm:weather": rng.choice(["hot", "cold"]),
                        },
                    }
                ],
            }
        )
    return out


def scope(activity: int, placement_offset: int, items: int) -> dict[str, Any]:
    group = activity % GROUPS
    return {
        "xdm:activityId": f"xcore:offer-activity:a{activity}",
        "xdm:placementId": f"xcore:offer-placement:p{group * 5 + placement_offset}",
        "xdm:itemCount": items,
    }


def apply(counters: dict[str, int], result: DecisionResult) -> None:
    """The caller's conditional all-or-nothing apply (here: in memory)."""
    if all(counters.get(i.key, 0) + i.amount <= i.limit for i in result.increments):
        for i in result.increments:
            counters[i.key] = counters.get(i.key, 0) + i.amount


def measure(
    snap: Snapshot, scopes: list[dict[str, Any]], people: list[dict[str, Any]], *, explain: bool = False
) -> tuple[float, int]:
    """Decisions per CPU second over BUDGET wall seconds, and the average number of options x100."""
    rng = random.Random(1)
    counters: dict[str, int] = {}
    bodies = [
        {
            "xdm:propositionRequests": scopes,
            "xdm:profiles": [p],
            "xdm:responseFormat": {"xdm:includeContent": True},
            "xdm:explain": explain,
        }
        for p in people
    ]
    done = options = 0
    gc.collect()
    start = time.process_time()  # CPU time of this process: robust to other load on a shared machine
    deadline = time.perf_counter() + BUDGET
    while time.perf_counter() < deadline:
        for body in bodies[done % len(bodies) : done % len(bodies) + 50]:
            result = decide(snap, body, now=NOW, counters=counters, rng=rng)
            apply(counters, result)
            options += sum(len(p.get("xdm:options", ())) for p in result.response["xdm:propositions"])
            done += 1
    elapsed = time.process_time() - start
    return done / elapsed, round(100 * options / max(done, 1))


def sorted_per_decision(snap: Snapshot) -> Snapshot:
    """The same snapshot with every group marked non-static: candidates sorted at each decision."""
    activities = {}
    for ident, activity in snap.activities.items():
        scopes = {
            p: dataclasses.replace(
                plan, groups=tuple(dataclasses.replace(g, static=False) for g in plan.groups)
            )
            for p, plan in activity.scopes.items()
        }
        activities[ident] = dataclasses.replace(activity, scopes=scopes)
    return dataclasses.replace(snap, activities=activities)


def main() -> None:
    write = "--write" in sys.argv
    docs = build_container()
    start = time.perf_counter()
    snap = build_snapshot(docs)
    build_s = time.perf_counter() - start
    del snap
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    snap = build_snapshot(docs)
    traced = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    approx = approximate_size(snap)
    candidates = sum(
        len(g.entries) for a in snap.activities.values() for p in a.scopes.values() for g in p.groups
    )
    people = profiles(2_000)
    scenarios = [
        ("3 scopes x 1 item (priority)", [scope(0, 0, 1), scope(1, 1, 1), scope(2, 2, 1)], snap),
        ("1 scope x 3 items (priority)", [scope(3, 0, 3)], snap),
        ("3 scopes x 1 item (formula)", [scope(17, 0, 1), scope(18, 1, 1), scope(19, 2, 1)], snap),
        (
            "3 scopes x 1 item, sort per decision (baseline)",
            [scope(0, 0, 1), scope(1, 1, 1), scope(2, 2, 1)],
            sorted_per_decision(snap),
        ),
    ]
    results = [(name, *measure(s, scopes, people)) for name, scopes, s in scenarios]
    three = [scope(0, 0, 1), scope(1, 1, 1), scope(2, 2, 1)]
    results.insert(3, ("3 scopes x 1 item (priority), explain", *measure(snap, three, people, explain=True)))
    baseline = results[-1][1]
    lines = [
        f"python {platform.python_version()} on {platform.machine()}, one core, {BUDGET:.0f} s per scenario; "
        "rates are decisions per CPU second of the process",
        f"container: {N_OFFERS:,} offers, {N_RULES} rules, {N_PLACEMENTS} placements, "
        f"{N_ACTIVITIES} activities, "
        f"40 collections of {COLLECTION_SIZE}; {candidates:,} (activity, placement, group) candidate entries",
        f"snapshot build: {build_s:.2f} s; memory: {traced / 2**20:.1f} MiB allocated (tracemalloc), "
        f"{approx / 2**20:.1f} MiB reachable (approximate_size, includes the instance bodies); "
        f"{len(snap.diagnostics)} diagnostics",
        "",
        "| scenario | decisions/s | vs 2,000/s target | vs baseline | options per decision |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, rate, options in results:
        lines.append(
            f"| {name} | {rate:,.0f} | {rate / TARGET:.2f}x | {rate / baseline:.2f}x | {options / 100:.2f} |"
        )
    report = "\n".join(lines)
    print(report)
    if write:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(
            "# Decision engine benchmark\n\n"
            "Reproduce: `.venv/bin/python bench/decide_engine.py --write` "
            "(about 25 s, in-process, one core).\n"
            "The module docstring of `bench/decide_engine.py` describes the container and scenarios.\n"
            "Timings are only meaningful as ratios within one run (shared, noisy machines).\n\n"
            f"Latest run ({datetime.now(UTC).date().isoformat()}):\n\n{report}\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
