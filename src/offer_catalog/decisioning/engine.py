"""The decision engine: snapshot + request in, propositions + counter increments out. No I/O.

Pipeline for each profile, for each requested (activity, placement) scope in request order:

1. the activity must be `live` (else `DecisionRequestError("activity_not_live")`); outside its own
   date window it proposes its fallback;
2. criteria applying to the placement, in groups of equal criterion priority, highest first; a
   later group is used only while fewer than `itemCount` options were found;
3. a candidate is an approved offer of the criterion's collection or option list with a
   representation for the placement (precomputed in the snapshot), inside its date window, not
   already proposed (and not a forbidden duplicate of an earlier scope), whose eligibility rule is
   true and which passes one of its criteria's profile constraints in the group;
4. ranking: offer priority (highest first, ties in uniformly random order from `rng`) or the
   criterion's ranking formula (`xdm:score`); an offer selected by several criteria of a group
   takes its best score;
5. capping last, in rank order: an offer whose caps are reached is skipped for the next one;
6. no option found: the activity's fallback offer.

Capping contract. The engine only reads counters (`counters.count(key)`, a missing key is 0) and
returns `DecisionResult.increments`: one `CounterIncrement(key, amount, limit, ...)` per counter the
decision draws down (none for a dry run). The caller applies them all in one transaction as
conditional updates `UPDATE ... SET n = n + amount WHERE n + amount <= limit` (insert when absent).
If any update fails, the caps moved under a concurrent decision: roll the transaction back and call
`decide` again with fresh counts (a few retries; every retry sees strictly higher counts, so it
converges). A cap is then never exceeded. The profile scope of a counter is the first identity of
the profile's identity map.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from offer_catalog.decisioning.capping import (
    CapState,
    CounterIncrement,
    CounterView,
    MappingCounters,
    profile_scope,
)
from offer_catalog.decisioning.explain import cap_usage, explain_scope
from offer_catalog.decisioning.model import Activity, Criterion, Entry, Group, Offer, Snapshot
from offer_catalog.decisioning.output import option, reference
from offer_catalog.decisioning.pql import Env
from offer_catalog.decisioning.pql.values import is_number
from offer_catalog.decisioning.request import (
    DecisionRequest,
    DecisionRequestError,
    Profile,
    Scope,
    parse_request,
)
from offer_catalog.decisioning.runtime_views import legacy_scopes

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DecisionResult:
    """One response body per request profile (in order), and the counter increments to apply."""

    responses: tuple[dict[str, Any], ...]
    increments: tuple[CounterIncrement, ...]
    dry_run: bool = False
    capped: tuple[tuple[str, str, str], ...] = ()  # (profile scope, placement, offer) left out by a cap

    @property
    def response(self) -> dict[str, Any]:
        """The response body of the first (usually only) profile."""
        return self.responses[0]


def decide(
    snapshot: Snapshot,
    request: Mapping[str, Any] | DecisionRequest,
    *,
    now: datetime,
    counters: CounterView | Mapping[str, int] | None = None,
    rng: random.Random | None = None,
    profile_key: Callable[[str], str] | None = None,  # hash of a profile scope, for event-counted caps
) -> DecisionResult:
    """Decide every requested scope for every profile; raise `DecisionRequestError` for a bad request."""
    req = request if isinstance(request, DecisionRequest) else parse_request(request)
    if req.legacy_activities and not req.scopes:  # the older shape: each activity's placements
        req = replace(req, scopes=legacy_scopes(snapshot, req.legacy_activities))
    validate(snapshot, req)
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    view = MappingCounters(counters) if counters is None or isinstance(counters, Mapping) else counters
    caps = CapState(view, now, profile_key)
    rng = rng if rng is not None else random.Random()
    # "by default, Decisioning Service arbitrates between the activities" (runtime tutorial)
    across_activities = False if req.across_activities is None else req.across_activities
    across_placements = req.across_placements
    if across_placements is None:
        across_placements = all(snapshot.placements[s.placement_id].allow_duplicates for s in req.scopes)
    responses = []
    for profile in req.profiles:
        run = _Run(snapshot, req, profile, caps, now, rng, across_activities, across_placements)
        responses.append(run.response())
    increments = () if req.dry_run else tuple(caps.pending.values())
    return DecisionResult(tuple(responses), increments, req.dry_run, tuple(caps.refused))


def validate(snapshot: Snapshot, request: DecisionRequest) -> None:
    """Check the request's ids against the snapshot; raise `DecisionRequestError` naming the scope."""
    for i, scope in enumerate(request.scopes):
        pointer = f"/xdm:propositionRequests/{i}"
        activity = snapshot.activities.get(scope.activity_id)
        if activity is None:
            raise DecisionRequestError(
                "unknown_activity", f"no activity {scope.activity_id!r}", pointer=pointer
            )
        if scope.placement_id not in snapshot.placements:
            raise DecisionRequestError(
                "unknown_placement", f"no placement {scope.placement_id!r}", pointer=pointer
            )
        if activity.status != "live":
            raise DecisionRequestError(
                "activity_not_live", f"activity is {activity.status!r}", pointer=pointer
            )
        if scope.placement_id not in activity.scopes:
            raise DecisionRequestError(
                "placement_not_in_activity",
                "no criterion of the activity targets the placement",
                pointer=pointer,
            )
        if activity.fallback_id not in snapshot.fallbacks:
            raise DecisionRequestError(
                "fallback_not_found", "the activity's fallback offer is missing", pointer=pointer
            )


def _shuffled(block: Sequence[T], rng: random.Random) -> Iterator[T]:
    """The block in uniformly random order, drawn lazily (Fisher-Yates) so early stops stay cheap."""
    if len(block) == 1:
        yield block[0]
        return
    items = list(block)
    n = len(items)
    for i in range(n):
        j = i + int(rng.random() * (n - i))
        items[i], items[j] = items[j], items[i]
        yield items[i]


class _Run:
    """The state of one profile's decision: caches of rule results, picks so far, duplicate tracking."""

    def __init__(
        self,
        snapshot: Snapshot,
        request: DecisionRequest,
        profile: Profile,
        caps: CapState,
        now: datetime,
        rng: random.Random,
        across_activities: bool,
        across_placements: bool,
    ) -> None:
        self.snapshot = snapshot
        self.request = request
        self.caps = caps
        self.now = now
        self.now_ts = now.timestamp()
        self.rng = rng
        self.env = Env(profile.data, context=profile.context, now=now)
        self.scope_key = profile_scope(profile.namespace, profile.identity)
        self.rule_cache: dict[Any, bool] = {}
        self.allow_all = across_activities and across_placements
        self.across_activities = across_activities
        self.across_placements = across_placements
        self.taken: dict[str, list[tuple[str, str]]] = {}
        # With `explain`: the caps met and the last criteria group used while deciding the current scope.
        self.capped: dict[str, list[dict[str, Any]]] | None = {} if request.explain else None
        self.last_group = -1
        self.picked: list[str] = []

    def response(self) -> dict[str, Any]:
        proposition_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        explained: list[dict[str, Any]] = []
        if self.capped is None:
            propositions = [self.proposition(scope) for scope in self.request.scopes]
        else:
            propositions = []
            for scope in self.request.scopes:
                blocked = self.blocked(scope)
                self.capped, self.last_group = {}, -1
                propositions.append(self.proposition(scope))
                explained.append(
                    explain_scope(
                        self,
                        scope,
                        blocked=blocked,
                        capped=self.capped,
                        picks=self.picked,
                        last_group=self.last_group,
                    )
                )
        out = {
            "xdm:propositionId": proposition_id,
            "xdm:propositions": propositions,
            "ode:createDate": int(self.now.timestamp() * 1000),
        }
        if self.capped is not None:
            out["explanation"] = {"scopes": explained}
        return out

    def proposition(self, scope: Scope) -> dict[str, Any]:
        activity = self.snapshot.activities[scope.activity_id]
        placement = self.snapshot.placements[scope.placement_id]
        picks: list[tuple[Offer, float | None]] = []
        if activity.start <= self.now_ts <= activity.end:
            picks = self.fill(activity, scope)
        out: dict[str, Any] = {
            "xdm:activity": reference(activity, self.request.activity_metadata),
            "xdm:placement": reference(placement, self.request.placement_metadata),
        }
        if picks:
            out["xdm:options"] = [option(o, placement.id, self.request, score) for o, score in picks]
        else:
            fallback = self.snapshot.fallbacks[str(activity.fallback_id)]
            out["xdm:fallback"] = option(fallback, placement.id, self.request)
        for offer, _score in picks:
            self.taken.setdefault(offer.id, []).append((activity.id, placement.id))
        if self.capped is not None:  # explaining: the explanation reads this scope's picks
            self.picked = [offer.id for offer, _score in picks]
        return out

    def fill(self, activity: Activity, scope: Scope) -> list[tuple[Offer, float | None]]:
        picks: list[tuple[Offer, float | None]] = []
        excluded = self.blocked(scope)  # forbidden duplicates, then every offer picked here
        for index, group in enumerate(activity.scopes[scope.placement_id].groups):
            if len(picks) >= scope.item_count:
                break
            self.last_group = index
            live = tuple(c for c in group.criteria if not c.invariant or self.constraint_ok(c, None))
            if not live:  # every criterion of the group is ruled out for this profile
                continue
            if group.static:
                # When every criterion is offer-invariant and passed, entries need no constraint check.
                gate = None if len(live) == len(group.criteria) and all(c.invariant for c in live) else live
                for block in group.blocks:
                    self.take(self.in_block(block, gate, excluded), picks, excluded, scope)
                    if len(picks) >= scope.item_count:
                        break
            else:
                self.take(self.by_score(group, live, excluded), picks, excluded, scope)
        return picks

    def take(
        self,
        ranked: Iterator[tuple[Offer, float | None]],
        picks: list[tuple[Offer, float | None]],
        excluded: set[str],
        scope: Scope,
    ) -> None:
        """Admit eligible offers in rank order, capping last, until the scope is full."""
        for offer, score in ranked:
            if offer.caps and not self.caps.admit(offer.id, offer.caps, scope.placement_id, self.scope_key):
                if self.capped is not None:
                    self.capped[offer.id] = cap_usage(self, offer, scope.placement_id)
                continue
            picks.append((offer, score))
            excluded.add(offer.id)
            if len(picks) >= scope.item_count:
                return

    def in_block(
        self, block: tuple[Entry, ...], gate: tuple[Criterion, ...] | None, excluded: set[str]
    ) -> Iterator[tuple[Offer, None]]:
        """Eligible entries of one equal-priority block, in random order, drawn lazily."""
        for entry in _shuffled(block, self.rng):
            if self.eligible(entry.offer, excluded) and (gate is None or self.any_constraint(entry, gate)):
                yield entry.offer, None

    def by_score(
        self, group: Group, live: tuple[Criterion, ...], excluded: set[str]
    ) -> Iterator[tuple[Offer, float | None]]:
        """Eligible entries of a formula group, best score first, ties in random order.

        Scores come from the batched formulas; entries are then visited in score order and only
        checked for eligibility until the scope is full.
        """
        scores = {c: scorer.evaluate(self.env) for c, scorer in group.scorers.items() if c in live}
        criteria = group.criteria
        if len(criteria) == 1 and criteria[0].invariant and criteria[0].formula is not None:
            keys: list[float | None] = [
                -v if type(v) is float and -math.inf < v < math.inf else _key(v) for v in scores[criteria[0]]
            ]
            by_formula: list[bool] | None = None
        else:
            keys, by_formula = self.combined_keys(group, live, scores)
        present = [i for i, key in enumerate(keys) if key is not None]
        order = sorted(present, key=cast("Callable[[int], float]", keys.__getitem__))
        entries = group.entries
        for run in _runs(order, keys):
            for index in _shuffled(run, self.rng):
                offer = entries[index].offer
                if self.eligible(offer, excluded):
                    key = keys[index]
                    formula = by_formula is None or by_formula[index]
                    yield offer, (-key if formula and key is not None and key != math.inf else None)

    def combined_keys(
        self, group: Group, live: tuple[Criterion, ...], scores: Mapping[Criterion, list[Any]]
    ) -> tuple[list[float | None], list[bool]]:
        """Sort key per entry (-best score; inf when unknown; None when no live criterion accepts it)."""
        keys: list[float | None] = []
        by_formula: list[bool] = []
        for index, entry in enumerate(group.entries):
            best: float | None = None
            formula = present = False
            for criterion in entry.criteria:
                if criterion not in live or not (
                    criterion.invariant or self.constraint_ok(criterion, entry.offer)
                ):
                    continue
                present = True
                if criterion.formula is None:
                    value: float | None = float(entry.offer.priority)
                else:
                    key = _key(scores[criterion][index])
                    value = None if key == math.inf else -key
                if value is not None and (best is None or value > best):
                    best, formula = value, criterion.formula is not None
            keys.append((math.inf if best is None else -best) if present else None)
            by_formula.append(formula)
        return keys, by_formula

    def eligible(self, offer: Offer, excluded: set[str]) -> bool:
        """Not excluded (picked, or a forbidden duplicate), inside its dates, eligibility rule true."""
        if offer.id in excluded or not (offer.start <= self.now_ts <= offer.end):
            return False
        rule = offer.rule
        if rule is None:
            return True
        if rule.uses_offer:
            self.env.offer = offer.body
            return rule.test(self.env)
        result = self.rule_cache.get(rule)
        if result is None:
            result = self.rule_cache[rule] = rule.test(self.env)
        return result

    def blocked(self, scope: Scope) -> set[str]:
        """Offers proposed by earlier scopes that this scope may not propose again."""
        if self.allow_all:
            return set()
        out = set()
        for offer_id, uses in self.taken.items():
            for activity_id, placement_id in uses:
                same_activity = activity_id == scope.activity_id
                same_placement = placement_id == scope.placement_id
                if (
                    (same_activity and same_placement)
                    or (not same_activity and not self.across_activities)
                    or (not same_placement and not self.across_placements)
                ):
                    out.add(offer_id)
        return out

    def any_constraint(self, entry: Entry, live: tuple[Criterion, ...]) -> bool:
        """One of the entry's criteria still live for this profile accepts the offer."""
        for criterion in entry.criteria:
            if criterion in live and (criterion.invariant or self.constraint_ok(criterion, entry.offer)):
                return True
        return False

    def constraint_ok(self, criterion: Criterion, offer: Offer | None) -> bool:
        """The criterion's profile constraint; offer-invariant ones are evaluated once per profile."""
        if criterion.invariant:
            result = self.rule_cache.get(criterion)
            if result is None:
                result = self.rule_cache[criterion] = self._constraint(criterion, offer)
            return result
        return self._constraint(criterion, offer)

    def _constraint(self, criterion: Criterion, offer: Offer | None) -> bool:
        if criterion.rule is not None:
            self.env.offer = None if offer is None else offer.body
            return criterion.rule.test(self.env)
        if criterion.any_segments is not None:
            return not criterion.any_segments.isdisjoint(self.env.segments())
        if criterion.all_segments is not None:
            return criterion.all_segments <= self.env.segments()
        return True


def _key(value: Any) -> float:
    """Sort key of a formula value: its negation, or +inf (last) when it is not a finite number."""
    kind = type(value)
    if kind is float:
        return -value if -math.inf < value < math.inf else math.inf  # NaN fails both comparisons
    if kind is int or is_number(value):
        try:
            return -float(value)
        except OverflowError:  # an integer beyond float range cannot be ranked: last, like unknown
            return math.inf
    return math.inf


def _runs(order: list[int], keys: Sequence[float | None]) -> Iterator[list[int]]:
    """Consecutive runs of equal keys in `order`."""
    run: list[int] = []
    for index in order:
        if run and keys[index] != keys[run[0]]:
            yield run
            run = []
        run.append(index)
    if run:
        yield run
