"""A compiled catalog kept current by recompiling only what a change touches (pure, no I/O).

`LiveCatalog.apply(changes)` takes changed stored instances (a new body, or None for a deletion)
and returns the new `Snapshot`. It compiles each object with the same functions as the full build
(`catalog.build_snapshot`), and recompiles what depends on a changed object through indexes:

- a rule or ranking function: the offers whose eligibility rule it is, the activities naming it;
- an offer: the collections reading one of its (old or new) tags, and, in the activities whose
  plans list it as a candidate, the criteria groups listing it (they hold the compiled offer);
- a collection whose content changed: the activities selecting from it;
- a placement created or deleted: the activities with a criterion for every placement;
- a fallback offer: the `unknown_fallback` notes of the activities naming it.

The result equals the full build of the same instances (decisions, collections, diagnostics; a
property test checks it), provided each instance's `@id` is its stored id, as the store keeps them.
Snapshots already handed out are never modified: each `apply` returns new top-level mappings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Final

from offer_catalog.decisioning.catalog import (
    RANKING_KEYS,
    RULE_KEYS,
    Builder,
    check_fallback,
    expression,
    placement,
)
from offer_catalog.decisioning.model import Activity, Diagnostic, FallbackOffer, Offer, Placement, Snapshot
from offer_catalog.decisioning.plans import (
    References,
    TagIndex,
    activity_references,
    compile_activity,
    compile_filter,
    field,
    filter_tags,
    patch_activity,
)
from offer_catalog.decisioning.pql import CompiledExpr

# A change: (stored kind, stored id, the instance as `load_container_instances` gives it, or None).
Change = tuple[str, str, Mapping[str, Any] | None]
# Diagnostics are kept per (phase, object id) and listed in the full build's order.
PHASES: Final = ("missing", "rule", "ranking", "offer", "fallback", "fallback-check", "filter", "activity")
KINDS: Final = ("rule", "ranking", "placement", "offer", "fallback", "filter", "activity")


class LiveCatalog:
    """The compiled objects of one container plus the indexes that say what depends on what."""

    def __init__(self) -> None:
        self.bodies: dict[str, dict[str, tuple[int, Mapping[str, Any]]]] = {k: {} for k in KINDS}
        self.keys: dict[tuple[str, str], tuple[str, str]] = {}  # stored (kind, id) -> (kind, @id)
        self.rules: dict[str, CompiledExpr] = {}
        self.ranking: dict[str, CompiledExpr] = {}
        self.placements: dict[str, Placement] = {}
        self.offers: dict[str, Offer] = {}
        self.fallbacks: dict[str, FallbackOffer] = {}
        self.filters: dict[str, tuple[str, ...]] = {}
        self.activities: dict[str, Activity] = {}
        self.notes: dict[str, dict[str, tuple[Diagnostic, ...]]] = {p: {} for p in PHASES}
        self.tags = TagIndex()
        self.offers_of_rule: dict[str, set[str]] = defaultdict(set)
        self.filters_of_tag: dict[str, set[str]] = defaultdict(set)
        self.tags_read: dict[str, frozenset[str]] = {}  # collection id -> the tags it selects on
        self.refs: dict[str, References] = {}
        self.readers: dict[str, set[str]] = defaultdict(set)  # filter/rule/function id -> activities
        self.users: dict[str, set[str]] = defaultdict(set)  # offer id -> activities listing it
        self.snapshot = self.apply(())

    @classmethod
    def build(cls, instances: Iterable[Mapping[str, Any]]) -> LiveCatalog:
        """A catalog compiled from every instance of a container (the full build).

        Each instance is keyed by its `schema` and `@id`, as later changes name it.
        """
        live = cls()
        live.apply((str(doc.get("schema", "")), _key(doc, index), doc) for index, doc in enumerate(instances))
        return live

    def apply(self, changes: Iterable[Change]) -> Snapshot:
        """Take changed instances, recompile what depends on them; the new snapshot."""
        dirty: dict[str, set[str]] = {k: set() for k in KINDS}
        for stored_kind, stored_id, doc in changes:
            self._take(dirty, (stored_kind, stored_id), doc)
        changed_rules = self._expressions(dirty["rule"], self.rules, "rule", RULE_KEYS)
        changed_rules |= self._expressions(dirty["ranking"], self.ranking, "ranking", RANKING_KEYS)
        placements_moved = self._placements(dirty["placement"])
        offers = set(dirty["offer"]).union(*(self.offers_of_rule.get(r, ()) for r in changed_rules))
        changed_tags = self._offers(offers)
        self._fallbacks(dirty["fallback"])
        filters = set(dirty["filter"]).union(*(self.filters_of_tag.get(t, ()) for t in changed_tags))
        changed_filters = self._filters(filters)
        activities = set(dirty["activity"]).union(
            *(self.readers.get(i, ()) for i in changed_filters | changed_rules)
        )
        if placements_moved:
            activities.update(a for a, refs in self.refs.items() if refs.all_placements)
        self._activities(activities)
        for ident in set().union(*(self.users.get(o, ()) for o in offers)) - activities:
            self.activities[ident] = patch_activity(self.activities[ident], offers, self.offers)
        checks = activities.union(*(self.readers.get(f, ()) for f in dirty["fallback"]))
        for ident in checks:
            self._note_fallback(ident)
        self.snapshot = Snapshot(
            offers=dict(self.offers),
            fallbacks=dict(self.fallbacks),
            placements=dict(self.placements),
            activities=dict(self.activities),
            rules=dict(self.rules),
            ranking_functions=dict(self.ranking),
            filters=dict(self.filters),
            diagnostics=tuple(
                d for phase in PHASES for _i, ds in sorted(self.notes[phase].items()) for d in ds
            ),
        )
        return self.snapshot

    def _take(self, dirty: dict[str, set[str]], key: tuple[str, str], doc: Mapping[str, Any] | None) -> None:
        old = self.keys.pop(key, None)
        self.notes["missing"].pop("\0".join(key), None)
        if old is not None:
            self.bodies[old[0]].pop(old[1], None)
            dirty[old[0]].add(old[1])
        if doc is None:
            return
        b = Builder()
        parsed = b.parse(doc)
        self._keep("missing", "\0".join(key), b)
        if parsed is not None and parsed[0] in dirty:
            kind, ident, etag, body = parsed
            self.bodies[kind][ident] = (etag, body)
            self.keys[key] = (kind, ident)
            dirty[kind].add(ident)

    def _keep(self, phase: str, ident: str, b: Builder) -> None:
        if b.diagnostics:
            self.notes[phase][ident] = tuple(b.diagnostics)
        else:
            self.notes[phase].pop(ident, None)

    def _expressions(
        self, idents: set[str], out: dict[str, CompiledExpr], phase: str, keys: tuple[str, ...]
    ) -> set[str]:
        for ident in idents:
            out.pop(ident, None)
            found = self.bodies[phase].get(ident)
            b = Builder()
            if found is not None:
                compiled = b.compile(ident, expression(found[1], keys))
                if compiled is not None:
                    out[ident] = compiled
            self._keep(phase, ident, b)
        return set(idents)

    def _placements(self, idents: set[str]) -> bool:
        before = set(self.placements)
        for ident in idents:
            found = self.bodies["placement"].get(ident)
            if found is None:
                self.placements.pop(ident, None)
            else:
                self.placements[ident] = placement(ident, *found)
        if before == set(self.placements):
            return False
        self.placements = dict(sorted(self.placements.items()))
        return True

    def _offers(self, idents: set[str]) -> set[str]:
        changed_tags: set[str] = set()
        added = False
        for ident in idents:
            old = self.offers.get(ident)  # replaced in place below: the dict keeps its id order
            old_tags = self.tags.remove(ident) if old is not None else frozenset()
            if old is not None:
                rule_id = field(field(old.body, "selectionConstraint", {}), "eligibilityRule")
                self.offers_of_rule.get(rule_id, set()).discard(ident)
            found = self.bodies["offer"].get(ident)
            b = Builder()
            new_tags: frozenset[str] = frozenset()
            if found is not None:
                offer = self.offers[ident] = b.offer(ident, found[0], found[1], self.rules)
                added = added or old is None
                new_tags = self.tags.add_sorted(offer)
                rule_id = field(field(offer.body, "selectionConstraint", {}), "eligibilityRule")
                if isinstance(rule_id, str):
                    self.offers_of_rule[rule_id].add(ident)
            elif old is not None:
                del self.offers[ident]
            self._keep("offer", ident, b)
            changed_tags |= old_tags ^ new_tags
        if added:
            self.offers = dict(sorted(self.offers.items()))
        return changed_tags

    def _fallbacks(self, idents: set[str]) -> None:
        for ident in idents:
            found = self.bodies["fallback"].get(ident)
            b = Builder()
            if found is None:
                self.fallbacks.pop(ident, None)
            else:
                etag, body = found
                self.fallbacks[ident] = FallbackOffer(ident, etag, b.representations(ident, body), body)
            self._keep("fallback", ident, b)

    def _filters(self, idents: set[str]) -> set[str]:
        changed: set[str] = set()
        for ident in idents:
            old = self.filters.pop(ident, None)
            for tag in self.tags_read.pop(ident, ()):
                self.filters_of_tag[tag].discard(ident)
            found = self.bodies["filter"].get(ident)
            b = Builder()
            if found is not None:
                self.filters[ident] = compile_filter(b, ident, found[1], self.tags)
                tags = self.tags_read[ident] = filter_tags(found[1])
                for tag in tags:
                    self.filters_of_tag[tag].add(ident)
            self._keep("filter", ident, b)
            if self.filters.get(ident) != old:
                changed.add(ident)
        return changed

    def _activities(self, idents: set[str]) -> None:
        added = False
        for ident in idents:
            old = self.activities.get(ident)
            if old is not None:
                for offer_id in _candidates(old):
                    self.users[offer_id].discard(ident)
            refs = self.refs.pop(ident, None)
            if refs is not None:
                for name in refs.filters | refs.rules | {refs.fallback}:
                    self.readers[name].discard(ident)
            found = self.bodies["activity"].get(ident)
            b = Builder()
            if found is not None:
                etag, body = found
                added = added or old is None
                activity = self.activities[ident] = compile_activity(
                    b, ident, etag, body, self.offers, self.filters, self.rules, self.ranking, self.placements
                )
                for offer_id in _candidates(activity):
                    self.users[offer_id].add(ident)
                refs = self.refs[ident] = activity_references(body)
                for name in refs.filters | refs.rules | {refs.fallback}:
                    self.readers[name].add(ident)
            elif old is not None:
                del self.activities[ident]
            self._keep("activity", ident, b)
        if added:
            self.activities = dict(sorted(self.activities.items()))

    def _note_fallback(self, ident: str) -> None:
        found = self.bodies["activity"].get(ident)
        b = Builder()
        if found is not None:
            check_fallback(b, ident, found[1], self.fallbacks)
        self._keep("fallback-check", ident, b)


def _candidates(activity: Activity) -> set[str]:
    return {o for plan in activity.scopes.values() for group in plan.groups for o in group.candidates}


def _key(doc: Mapping[str, Any], index: int) -> str:
    ident = doc.get("@id")
    return ident if isinstance(ident, str) else f"\0{index:012d}"
