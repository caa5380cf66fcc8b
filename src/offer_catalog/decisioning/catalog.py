"""Build the compiled catalog snapshot from stored Offer Library instances (pure, no I/O).

Input: an iterable of `{"schema": kind, "@id": id, "repo:etag": int, "instance": {...xdm body...}}`.
`schema` is a kind name (`personalized-offer`, `fallback-offer`, `offer-placement`, `tag`,
`offer-filter`, `eligibility-rule`, `ranking-function`, `offer-activity`) or a full schema URI
(`https://ns.adobe.com/experience/offer-management/personalized-offer;version=0.5`). `instance` may
also be spelled `_instance`; `@id` and `repo:etag` default to the instance's own. Unknown kinds are
ignored. Problems never fail the build: they become `Snapshot.diagnostics`, and the object concerned
is left out of decisions (an offer) or treated as never true (a rule).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Final

from offer_catalog.decisioning.capping import parse_caps
from offer_catalog.decisioning.model import (
    Activity,
    Criterion,
    Diagnostic,
    Entry,
    FallbackOffer,
    Group,
    Offer,
    Placement,
    ScopePlan,
    Snapshot,
)
from offer_catalog.decisioning.pql import CompiledExpr, PqlSyntaxError, compile_rule, segment_ids
from offer_catalog.decisioning.pql.batch import Prepared
from offer_catalog.decisioning.pql.values import parse_instant

KINDS: Final = {
    "personalized-offer": "offer",
    "fallback-offer": "fallback",
    "offer-placement": "placement",
    "placement": "placement",
    "tag": "tag",
    "offer-filter": "filter",
    "eligibility-rule": "rule",
    "ranking-function": "ranking",
    "offer-activity": "activity",
}
NEVER: Final = compile_rule("false")


def kind_of(schema: str) -> str | None:
    """The engine kind of a schema name or URI, or None when the engine does not use it."""
    return KINDS.get(schema.rsplit("/", 1)[-1].split(";", 1)[0].strip())


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


class _Builder:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.bodies: dict[str, list[tuple[str, int, Mapping[str, Any]]]] = defaultdict(list)

    def note(self, ident: str, code: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(ident, code, message))

    def add(self, doc: Mapping[str, Any]) -> None:
        kind = kind_of(str(doc.get("schema", "")))
        body = doc.get("instance", doc.get("_instance"))
        if kind is None or not isinstance(body, Mapping):
            return
        ident = doc.get("@id", body.get("@id"))
        if not isinstance(ident, str):
            self.note("", "missing_id", f"a {kind} instance has no @id")
            return
        if body.get("@id") != ident:
            body = {**body, "@id": ident}
        etag = doc.get("repo:etag", body.get("repo:etag", 1))
        self.bodies[kind].append((ident, etag if isinstance(etag, int) else 1, body))

    def compile(self, ident: str, text: Any) -> CompiledExpr | None:
        if not isinstance(text, str):
            self.note(ident, "missing_expression", "no PQL text found")
            return None
        try:
            return compile_rule(text)
        except PqlSyntaxError as exc:
            self.note(ident, exc.code, str(exc))
            return None

    def rules(self, kind: str, keys: tuple[str, ...]) -> dict[str, CompiledExpr]:
        out: dict[str, CompiledExpr] = {}
        for ident, _etag, body in self.bodies[kind]:
            compiled = self.compile(ident, _expression(body, keys))
            if compiled is not None:
                out[ident] = compiled
        return out

    def offer(
        self, ident: str, etag: int, body: Mapping[str, Any], rules: Mapping[str, CompiledExpr]
    ) -> Offer:
        valid = True
        window = field(body, "selectionConstraint", {})
        start = epoch(field(window, "startDate"), -math.inf)
        end = epoch(field(window, "endDate"), math.inf)
        if start is None or end is None:
            self.note(ident, "invalid_date", "unreadable selectionConstraint start or end date")
            valid, start, end = False, math.inf, -math.inf
        rule: CompiledExpr | None = None
        rule_id = field(window, "eligibilityRule")
        if rule_id is not None:
            rule = rules.get(rule_id)
            if rule is None:
                self.note(
                    ident, "unknown_rule", f"eligibility rule {rule_id!r} is missing or does not compile"
                )
                rule = NEVER
        caps, problem = parse_caps(body)
        if problem:
            self.note(ident, "invalid_capping", problem)
            valid = False
        priority = field(field(body, "rank", {}), "priority", 0)
        if not isinstance(priority, int | float) or isinstance(priority, bool):
            self.note(ident, "invalid_priority", "rank priority is not a number")
            valid, priority = False, 0
        return Offer(
            id=ident,
            etag=etag,
            priority=int(priority),
            start=start,
            end=end,
            rule=rule,
            representations=self.representations(ident, body),
            caps=caps,
            body=body,
            approved=field(body, "status") == "approved",
            valid=valid,
        )

    def representations(self, ident: str, body: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
        out: dict[str, Mapping[str, Any]] = {}
        for rep in field(body, "representations", []):
            placement = field(rep, "placement") if isinstance(rep, Mapping) else None
            if not isinstance(placement, str):
                continue
            if placement in out:
                self.note(ident, "duplicate_representation", f"two representations for {placement!r}")
                continue
            out[placement] = rep
        return out


def _expression(body: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = field(body, key)
        if isinstance(value, Mapping):
            value = field(value, "value")
        if value is not None:
            return value
    return None


def build_snapshot(instances: Iterable[Mapping[str, Any]]) -> Snapshot:
    """Compile a container's stored instances into a `Snapshot` the engine decides over."""
    b = _Builder()
    for doc in instances:
        b.add(doc)
    rules = b.rules("rule", ("condition", "valueAsText"))
    ranking = b.rules("ranking", ("expression", "condition"))
    placements = {
        ident: Placement(ident, etag, body, bool(field(body, "allowDuplicatePlacements", False)))
        for ident, etag, body in b.bodies["placement"]
    }
    offers = {ident: b.offer(ident, etag, body, rules) for ident, etag, body in b.bodies["offer"]}
    fallbacks = {
        ident: FallbackOffer(ident, etag, b.representations(ident, body), body)
        for ident, etag, body in b.bodies["fallback"]
    }
    for ident, _etag, body in b.bodies["activity"]:
        if field(body, "fallback") not in fallbacks:
            b.note(ident, "unknown_fallback", f"fallback offer {field(body, 'fallback')!r} not found")
    filters = _filters(b, offers)
    activities = {
        ident: _activity(b, ident, etag, body, offers, filters, rules, ranking, placements)
        for ident, etag, body in b.bodies["activity"]
    }
    return Snapshot(
        offers=offers,
        fallbacks=fallbacks,
        placements=placements,
        activities=activities,
        rules=rules,
        ranking_functions=ranking,
        filters=filters,
        diagnostics=tuple(b.diagnostics),
    )


def _filters(b: _Builder, offers: Mapping[str, Offer]) -> dict[str, tuple[str, ...]]:
    by_tag: dict[str, list[str]] = defaultdict(list)
    tags_of: dict[str, frozenset[str]] = {}
    for offer in offers.values():
        tags = frozenset(t for t in field(offer.body, "tags", []) if isinstance(t, str))
        tags_of[offer.id] = tags
        for tag in tags:
            by_tag[tag].append(offer.id)
    out: dict[str, tuple[str, ...]] = {}
    for ident, _etag, body in b.bodies["filter"]:
        kind = field(body, "filterType", "offers")
        ids = [i for i in field(body, "ids", []) if isinstance(i, str)]
        if kind == "offers":
            out[ident] = tuple(dict.fromkeys(ids))
        elif kind == "anyTags":
            out[ident] = tuple(dict.fromkeys(o for tag in ids for o in by_tag.get(tag, ())))
        elif kind == "allTags":
            wanted = frozenset(ids)
            first = by_tag.get(ids[0], []) if ids else []
            out[ident] = tuple(o for o in first if wanted <= tags_of[o])
        else:
            b.note(ident, "invalid_filter", f"unsupported filterType {kind!r}")
            out[ident] = ()
    return out


def _activity(
    b: _Builder,
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
    b: _Builder, ident: str, selection: Mapping[str, Any], filters: Mapping[str, tuple[str, ...]]
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
    b: _Builder,
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
    placement: str, crits: list[tuple[Criterion, tuple[str, ...]]], offers: Mapping[str, Offer]
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
    entries = [Entry(offers[o], tuple(c)) for o, c in selected.items()]
    criteria = tuple(criterion for criterion, _ids in crits)
    if any(criterion.formula is not None for criterion in criteria):
        bodies = [entry.offer.body for entry in entries]
        scorers = {c: Prepared(c.formula, bodies) for c in criteria if c.formula is not None}
        return Group(
            static=False, criteria=criteria, entries=tuple(entries), scorers=scorers, candidates=candidates
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
    )
