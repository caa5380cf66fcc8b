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
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final

from offer_catalog.decisioning.capping import expiry_text, parse_caps
from offer_catalog.decisioning.model import Diagnostic, FallbackOffer, Offer, Placement, Snapshot
from offer_catalog.decisioning.plans import NEVER, TagIndex, compile_activity, compile_filter, epoch, field
from offer_catalog.decisioning.pql import CompiledExpr, PqlSyntaxError, compile_rule

__all__ = ["KINDS", "NEVER", "Builder", "build_snapshot", "epoch", "field", "kind_of"]

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
RULE_KEYS: Final = ("condition", "valueAsText")
RANKING_KEYS: Final = ("expression", "condition")


def kind_of(schema: str) -> str | None:
    """The engine kind of a schema name or URI, or None when the engine does not use it."""
    return KINDS.get(schema.rsplit("/", 1)[-1].split(";", 1)[0].strip())


class Builder:
    """Compiles instances one at a time, collecting the problems found as diagnostics."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.bodies: dict[str, list[tuple[str, int, Mapping[str, Any]]]] = defaultdict(list)

    def note(self, ident: str, code: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(ident, code, message))

    def add(self, doc: Mapping[str, Any]) -> None:
        parsed = self.parse(doc)
        if parsed is not None:
            kind, ident, etag, body = parsed
            self.bodies[kind].append((ident, etag, body))

    def parse(self, doc: Mapping[str, Any]) -> tuple[str, str, int, Mapping[str, Any]] | None:
        """(engine kind, @id, etag, body) of a stored instance; None when the engine does not use it."""
        kind = kind_of(str(doc.get("schema", "")))
        body = doc.get("instance", doc.get("_instance"))
        if kind is None or not isinstance(body, Mapping):
            return None
        ident = doc.get("@id", body.get("@id"))
        if not isinstance(ident, str):
            self.note("", "missing_id", f"a {kind} instance has no @id")
            return None
        if body.get("@id") != ident:
            body = {**body, "@id": ident}
        etag = doc.get("repo:etag", body.get("repo:etag", 1))
        return kind, ident, etag if isinstance(etag, int) else 1, body

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
            compiled = self.compile(ident, expression(body, keys))
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
        elif end < start:  # stored as Adobe stores it (its own examples have one); never eligible
            self.note(ident, "never_eligible", "selectionConstraint endDate is before startDate")
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
        if math.isfinite(start) and start <= end:  # lifetime counters restart every 2 years from start
            day = datetime.fromtimestamp(start, UTC).date().isoformat()
            caps = tuple(replace(rule, lifetime_start=day) if rule.unit is None else rule for rule in caps)
        if start <= end:  # per-profile counters expire at the offer's end date (section 4)
            expiry = expiry_text(end)
            caps = tuple(replace(rule, offer_end=expiry) if rule.per_profile else rule for rule in caps)
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


def expression(body: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = field(body, key)
        if isinstance(value, Mapping):
            value = field(value, "value")
        if value is not None:
            return value
    return None


def build_snapshot(instances: Iterable[Mapping[str, Any]]) -> Snapshot:
    """Compile a container's stored instances into a `Snapshot` the engine decides over."""
    b = Builder()
    for doc in instances:
        b.add(doc)
    rules = b.rules("rule", RULE_KEYS)
    ranking = b.rules("ranking", RANKING_KEYS)
    placements = {ident: placement(ident, etag, body) for ident, etag, body in b.bodies["placement"]}
    offers = {ident: b.offer(ident, etag, body, rules) for ident, etag, body in b.bodies["offer"]}
    fallbacks = {
        ident: FallbackOffer(ident, etag, b.representations(ident, body), body)
        for ident, etag, body in b.bodies["fallback"]
    }
    for ident, _etag, body in b.bodies["activity"]:
        check_fallback(b, ident, body, fallbacks)
    index = TagIndex(offers.values())
    filters = {ident: compile_filter(b, ident, body, index) for ident, _etag, body in b.bodies["filter"]}
    activities = {
        ident: compile_activity(b, ident, etag, body, offers, filters, rules, ranking, placements)
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


def placement(ident: str, etag: int, body: Mapping[str, Any]) -> Placement:
    """A placement as the engine sees it."""
    return Placement(ident, etag, body, bool(field(body, "allowDuplicatePlacements", False)))


def check_fallback(b: Builder, ident: str, body: Mapping[str, Any], fallbacks: Mapping[str, Any]) -> None:
    """Note an activity whose fallback offer is missing (its decisions fail with `fallback_not_found`)."""
    if field(body, "fallback") not in fallbacks:
        b.note(ident, "unknown_fallback", f"fallback offer {field(body, 'fallback')!r} not found")
