"""Compiled activity plans and collections: the parts of a snapshot that depend on many objects.

Shared by the full build (`catalog.build_snapshot`) and the incremental one (`live.LiveCatalog`),
so both compile an activity or a collection with the same code. Pure, no I/O.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Protocol

from offer_catalog.decisioning.model import Activity, Criterion, Entry, Group, Offer, Placement, ScopePlan
from offer_catalog.decisioning.pql import CompiledExpr, compile_rule, segment_ids
from offer_catalog.decisioning.pql.batch import Prepared
from offer_catalog.decisioning.pql.values import parse_instant

NEVER: Final = compile_rule("false")


class Notes(Protocol):
    """Where compilation problems go (`Snapshot.diagnostics`)."""

    def note(self, ident: str, code: str, message: str) -> None: ...


def field(body: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """`body["xdm:name"]`, else `body["name"]`, else `default`."""
    value = body.get("xdm:" + name)
    if value is None:
        value = body.get(name)
    return default if value is None else value


def epoch(value: Any, default: float) -> float | None:
    """An RFC 3339 date-time as epoch seconds; `default` when absent, None when unreadable."""
    if value is None:
        return default
    parsed = parse_instant(value) if isinstance(value, str) else None
    return None if parsed is None else parsed.timestamp()


def offer_tags(offer: Offer) -> frozenset[str]:
    """The tag ids an offer carries (what `anyTags` / `allTags` collections select on)."""
    return frozenset(t for t in field(offer.body, "tags", []) if isinstance(t, str))


class TagIndex:
    """Offer ids per tag, in offer order (the order collections list their offers in)."""

    def __init__(self, offers: Iterable[Offer] = ()) -> None:
        self.by_tag: dict[str, list[str]] = defaultdict(list)
        self.tags_of: dict[str, frozenset[str]] = {}
        for offer in offers:
            tags = self.tags_of[offer.id] = offer_tags(offer)
            for tag in tags:
                self.by_tag[tag].append(offer.id)

    def remove(self, offer_id: str) -> frozenset[str]:
        """Forget an offer; its former tags."""
        tags = self.tags_of.pop(offer_id, frozenset())
        for tag in tags:
            ids = self.by_tag[tag]
            ids.pop(bisect.bisect_left(ids, offer_id))
        return tags

    def add_sorted(self, offer: Offer) -> frozenset[str]:
        """Index an offer in id order (for offers kept sorted by id, as the store lists them)."""
        tags = self.tags_of[offer.id] = offer_tags(offer)
        for tag in tags:
            bisect.insort(self.by_tag[tag], offer.id)
        return tags


def compile_filter(b: Notes, ident: str, body: Mapping[str, Any], index: TagIndex) -> tuple[str, ...]:
    """The offer ids a collection (`offer-filter`) selects, in order."""
    kind = field(body, "filterType", "offers")
    ids = [i for i in field(body, "ids", []) if isinstance(i, str)]
    if kind == "offers":
        return tuple(dict.fromkeys(ids))
    if kind == "anyTags":
        return tuple(dict.fromkeys(o for tag in ids for o in index.by_tag.get(tag, ())))
    if kind == "allTags":
        wanted = frozenset(ids)
        first = index.by_tag.get(ids[0], []) if ids else []
        return tuple(o for o in first if wanted <= index.tags_of[o])
    b.note(ident, "invalid_filter", f"unsupported filterType {kind!r}")
    return ()


def filter_tags(body: Mapping[str, Any]) -> frozenset[str]:
    """The tags a tag-based collection reads (empty for an explicit list)."""
    if field(body, "filterType", "offers") == "offers":
        return frozenset()
    return frozenset(i for i in field(body, "ids", []) if isinstance(i, str))


@dataclass(frozen=True, slots=True)
class References:
    """What an activity reads besides offers: collections, rules and functions, placements, fallback."""

    filters: frozenset[str]
    rules: frozenset[str]
    all_placements: bool
    fallback: str


def activity_references(body: Mapping[str, Any]) -> References:
    """The collections, rules and ranking functions an activity names (recompile it when they change)."""
    filters: set[str] = set()
    rules: set[str] = set()
    all_placements = False
    raw = field(body, "criteria")
    if not isinstance(raw, list):
        filters.add(str(field(body, "filter")))
        all_placements = not field(body, "placement")
        raw = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        filter_id = field(field(item, "optionSelection", {}), "filter")
        if isinstance(filter_id, str):
            filters.add(filter_id)
        rank = field(item, "ranking", field(item, "rank", {}))
        function_id = field(field(rank, "order", {}), "function") if isinstance(rank, Mapping) else None
        rule_id = field(field(item, "profileConstraints", {}), "eligibilityRule")
        rules.update(r for r in (function_id, rule_id) if isinstance(r, str))
        if not [p for p in field(item, "placements", []) if isinstance(p, str)]:
            all_placements = True
    return References(frozenset(filters), frozenset(rules), all_placements, str(field(body, "fallback")))


def compile_activity(
    b: Notes,
    ident: str,
    etag: int,
    body: Mapping[str, Any],
    offers: Mapping[str, Offer],
    filters: Mapping[str, tuple[str, ...]],
    rules: Mapping[str, CompiledExpr],
    ranking: Mapping[str, CompiledExpr],
    placements: Mapping[str, Placement],
) -> Activity:
    start = epoch(field(body, "startDate"), -math.inf)
    end = epoch(field(body, "endDate"), math.inf)
    if start is None or end is None:
        b.note(ident, "invalid_date", "unreadable activity start or end date")
        start, end = math.inf, -math.inf
    raw = field(body, "criteria")
    if not isinstance(raw, list):  # the older single-placement form
        legacy = field(body, "placement")
        raw = [
            {
                "xdm:placements": [legacy] if legacy else [],
                "xdm:optionSelection": {"xdm:filter": field(body, "filter")},
            }
        ]
    per_placement: dict[str, list[tuple[Criterion, tuple[str, ...]]]] = defaultdict(list)
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            b.note(ident, "invalid_criterion", f"criterion {index} is not an object")
            continue
        criterion = _criterion(b, ident, index, item, rules, ranking)
        selected = _selection(b, ident, field(item, "optionSelection", {}), filters)
        targets = [p for p in field(item, "placements", []) if isinstance(p, str)] or list(placements)
        for placement in targets:
            per_placement[placement].append((criterion, selected))
    scopes = {p: _plan(p, crits, offers) for p, crits in per_placement.items()}
    fallback = field(body, "fallback")
    return Activity(ident, etag, str(field(body, "status", "")), start, end, fallback, body, scopes)


def _selection(
    b: Notes, ident: str, selection: Mapping[str, Any], filters: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    options = field(selection, "options")
    if isinstance(options, list):
        return tuple(o for o in options if isinstance(o, str))
    filter_id = field(selection, "filter")
    if filter_id not in filters:
        b.note(ident, "unknown_filter", f"collection {filter_id!r} not found")
        return ()
    return filters[filter_id]


def _criterion(
    b: Notes,
    ident: str,
    index: int,
    item: Mapping[str, Any],
    rules: Mapping[str, CompiledExpr],
    ranking: Mapping[str, CompiledExpr],
) -> Criterion:
    rank = field(item, "ranking", field(item, "rank", {}))
    priority = field(rank, "priority", 0)
    priority = priority if isinstance(priority, int) else 0
    order = field(rank, "order", {})
    formula: CompiledExpr | None = None
    function_id = field(order, "function")
    kind = field(order, "orderEvaluationType", "scoringFunction" if function_id else "static")
    if kind == "scoringFunction":
        formula = ranking.get(function_id) if isinstance(function_id, str) else None
        if formula is None:
            b.note(
                ident,
                "unknown_ranking_function",
                f"criterion {index}: ranking function {function_id!r} not usable",
            )
    elif kind != "static":
        b.note(ident, "unsupported_ranking", f"criterion {index}: {kind!r} ranks by offer priority here")
    constraint = field(item, "profileConstraints", {})
    rule_id = field(constraint, "eligibilityRule")
    segments = _segments(field(constraint, "segmentIdentities", []))
    default = "eligibilityRule" if rule_id else ("anySegments" if segments else "none")
    ctype = field(constraint, "profileConstraintType", default)
    base = Criterion(index=index, priority=priority, formula=formula)
    if ctype == "none":
        return base
    if ctype == "anySegments":
        return Criterion(index=index, priority=priority, any_segments=segments, formula=formula)
    if ctype == "allSegments":
        return Criterion(index=index, priority=priority, all_segments=segments, formula=formula)
    usable = ctype in ("eligibilityRule", "rules") and isinstance(rule_id, str)  # `rules`: its one rule
    rule = rules.get(rule_id) if usable else None
    if rule is None:
        b.note(ident, "invalid_profile_constraint", f"criterion {index}: {ctype!r} constraint is not usable")
        rule = NEVER
    return Criterion(
        index=index, priority=priority, rule=rule, formula=formula, invariant=not rule.uses_offer
    )


def _segments(items: Any) -> frozenset[str]:
    ids: list[str] = []
    for item in items if isinstance(items, list) else []:
        value = item if isinstance(item, str) else None
        if isinstance(item, Mapping):
            value = item.get("xdm:id", item.get("@id", item.get("id", item.get("_id"))))
        if isinstance(value, str):
            ids.append(value)
            if "/" in value:  # URI-form segment identities end with the segment id
                ids.append(value.rstrip("/").rsplit("/", 1)[-1])
    return segment_ids(ids)


def _plan(
    placement: str, crits: list[tuple[Criterion, tuple[str, ...]]], offers: Mapping[str, Offer]
) -> ScopePlan:
    crits.sort(key=lambda pair: (-pair[0].priority, pair[0].index))
    groups: list[Group] = []
    i = 0
    while i < len(crits):
        j = i
        while j < len(crits) and crits[j][0].priority == crits[i][0].priority:
            j += 1
        groups.append(_group(placement, crits[i:j], offers))
        i = j
    return ScopePlan(tuple(groups))


def _group(
    placement: str,
    crits: list[tuple[Criterion, tuple[str, ...]]],
    offers: Mapping[str, Offer],
    previous: Group | None = None,
) -> Group:
    selected: dict[str, list[Criterion]] = {}
    candidates = tuple(dict.fromkeys(offer_id for _criterion, ids in crits for offer_id in ids))
    for criterion, ids in crits:
        for offer_id in ids:
            offer = offers.get(offer_id)
            if (
                offer is None
                or not (offer.valid and offer.approved)
                or placement not in offer.representations
            ):
                continue
            owners = selected.setdefault(offer_id, [])
            if criterion not in owners:
                owners.append(criterion)
    kept = {e.offer.id: e for e in previous.entries} if previous is not None else {}
    entries = [_entry(kept.get(o), offers[o], tuple(c)) for o, c in selected.items()]
    criteria = tuple(criterion for criterion, _ids in crits)
    selections = tuple(ids for _criterion, ids in crits)
    if any(criterion.formula is not None for criterion in criteria):
        bodies = [entry.offer.body for entry in entries]
        scorers = {c: Prepared(c.formula, bodies) for c in criteria if c.formula is not None}
        return Group(
            static=False,
            criteria=criteria,
            entries=tuple(entries),
            scorers=scorers,
            candidates=candidates,
            selections=selections,
        )
    entries.sort(key=lambda e: -e.offer.priority)
    blocks: list[list[Entry]] = []
    for entry in entries:
        if blocks and blocks[-1][0].offer.priority == entry.offer.priority:
            blocks[-1].append(entry)
        else:
            blocks.append([entry])
    return Group(
        static=True,
        criteria=criteria,
        entries=tuple(entries),
        blocks=tuple(tuple(b) for b in blocks),
        candidates=candidates,
        selections=selections,
    )


def _entry(kept: Entry | None, offer: Offer, criteria: tuple[Criterion, ...]) -> Entry:
    if kept is not None and kept.offer is offer and kept.criteria == criteria:
        return kept
    return Entry(offer, criteria)


def patch_activity(activity: Activity, changed: set[str], offers: Mapping[str, Offer]) -> Activity:
    """The activity with the groups listing a changed offer compiled again (its other groups kept).

    Equal to compiling the activity again when only offers changed (not the activity, its
    collections, rules, ranking functions or the set of placements).
    """
    scopes = {}
    for placement, plan in activity.scopes.items():
        groups = tuple(
            group
            if changed.isdisjoint(group.candidates)
            else _group(placement, list(zip(group.criteria, group.selections, strict=True)), offers, group)
            for group in plan.groups
        )
        same = all(new is old for new, old in zip(groups, plan.groups, strict=True))
        scopes[placement] = plan if same else ScopePlan(groups)
    return replace(activity, scopes=scopes)
