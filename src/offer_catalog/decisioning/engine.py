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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from offer_catalog.decisioning.capping import (
    CapState,
    CounterIncrement,
    CounterView,
    MappingCounters,
    profile_scope,
)
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


@dataclass(frozen=True, slots=True)
class DecisionResult:
    """One response body per request profile (in order), and the counter increments to apply."""

    responses: tuple[dict[str, Any], ...]
    increments: tuple[CounterIncrement, ...]
    dry_run: bool = False

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
) -> DecisionResult:
    """Decide every requested scope for every profile; raise `DecisionRequestError` for a bad request."""
    req = request if isinstance(request, DecisionRequest) else parse_request(request)
    validate(snapshot, req)
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    view = MappingCounters(counters) if counters is None or isinstance(counters, Mapping) else counters
    caps = CapState(view, now)
    rng = rng if rng is not None else random.Random()
    across_activities = True if req.across_activities is None else req.across_activities
    across_placements = req.across_placements
    if across_placements is None:
        across_placements = all(snapshot.placements[s.placement_id].allow_duplicates for s in req.scopes)
    responses = []
    for profile in req.profiles:
        run = _Run(snapshot, req, profile, caps, now, rng, across_activities, across_placements)
        responses.append(run.response())
    increments = () if req.dry_run else tuple(caps.pending.values())
    return DecisionResult(tuple(responses), increments, req.dry_run)


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


def _shuffled(block: Sequence[Entry], rng: random.Random) -> Iterator[Entry]:
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
        self.profile = profile
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

    def response(self) -> dict[str, Any]:
        proposition_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return {
            "xdm:propositionId": proposition_id,
            "xdm:propositions": [self.proposition(scope) for scope in self.request.scopes],
            "ode:createDate": int(self.now.timestamp() * 1000),
        }

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
        return out

    def fill(self, activity: Activity, scope: Scope) -> list[tuple[Offer, float | None]]:
        picks: list[tuple[Offer, float | None]] = []
        chosen: set[str] = set()
        for group in activity.scopes[scope.placement_id].groups:
            if len(picks) >= scope.item_count:
                break
            if group.static:
                for block in group.blocks:
                    self.take(_shuffled(block, self.rng), picks, chosen, scope, static=True)
                    if len(picks) >= scope.item_count:
                        break
            else:
                self.take(self.ranked(group, chosen, scope), picks, chosen, scope, static=False)
        return picks

    def take(
        self, entries: Iterator[Any], picks: list[Any], chosen: set[str], scope: Scope, *, static: bool
    ) -> None:
        """Admit entries in order (capping last) until the scope has `item_count` options."""
        for item in entries:
            if static:
                offer: Offer = item.offer
                if not (self.offer_ok(offer, chosen, scope) and self.constraints_ok(item)):
                    continue
                score = None
            else:
                offer, score = item
            if offer.caps and not self.caps.admit(offer.id, offer.caps, scope.placement_id, self.scope_key):
                continue
            picks.append((offer, score))
            chosen.add(offer.id)
            if len(picks) >= scope.item_count:
                return

    def ranked(self, group: Group, chosen: set[str], scope: Scope) -> Iterator[tuple[Offer, float | None]]:
        """Eligible entries of a formula group, best score first, ties in random order."""
        rows: list[tuple[bool, float, float, Offer, float | None]] = []
        for entry in group.entries:
            offer = entry.offer
            if not self.offer_ok(offer, chosen, scope):
                continue
            best: tuple[float | None, bool] | None = None
            for criterion in entry.criteria:
                if self.constraint_ok(criterion, offer):
                    best = _better(best, self.score(criterion, offer))
            if best is None:
                continue
            value, from_formula = best
            missing = value is None
            rows.append((missing, -(value or 0.0), self.rng.random(), offer, value if from_formula else None))
        rows.sort(key=lambda row: row[:3])
        return ((row[3], row[4]) for row in rows)

    def offer_ok(self, offer: Offer, chosen: set[str], scope: Scope) -> bool:
        """Not yet proposed, not a forbidden duplicate, inside its dates, eligibility rule true."""
        if offer.id in chosen or not (offer.start <= self.now_ts <= offer.end):
            return False
        if not self.allow_all and self.duplicate(offer.id, scope):
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

    def duplicate(self, offer_id: str, scope: Scope) -> bool:
        for activity_id, placement_id in self.taken.get(offer_id, ()):
            same_activity = activity_id == scope.activity_id
            same_placement = placement_id == scope.placement_id
            if same_activity and same_placement:
                return True
            if (not same_activity and not self.across_activities) or (
                not same_placement and not self.across_placements
            ):
                return True
        return False

    def constraints_ok(self, entry: Entry) -> bool:
        return any(self.constraint_ok(criterion, entry.offer) for criterion in entry.criteria)

    def constraint_ok(self, criterion: Criterion, offer: Offer) -> bool:
        """The criterion's profile constraint; offer-invariant ones are evaluated once per profile."""
        if criterion.invariant:
            result = self.rule_cache.get(criterion)
            if result is None:
                result = self.rule_cache[criterion] = self._constraint(criterion, offer)
            return result
        return self._constraint(criterion, offer)

    def _constraint(self, criterion: Criterion, offer: Offer) -> bool:
        if criterion.rule is not None:
            self.env.offer = offer.body
            return criterion.rule.test(self.env)
        if criterion.any_segments is not None:
            return not criterion.any_segments.isdisjoint(self.env.segments())
        if criterion.all_segments is not None:
            return criterion.all_segments <= self.env.segments()
        return True

    def score(self, criterion: Criterion, offer: Offer) -> tuple[float | None, bool]:
        """(score, computed by a formula); a formula that is unknown or not a number scores None."""
        if criterion.formula is None:
            return float(offer.priority), False
        self.env.offer = offer.body
        value = criterion.formula.evaluate(self.env)
        if is_number(value) and math.isfinite(value):
            return float(value), True
        return None, True


def _better(
    best: tuple[float | None, bool] | None, candidate: tuple[float | None, bool]
) -> tuple[float | None, bool]:
    if best is None or best[0] is None:
        return candidate if best is None or candidate[0] is not None else best
    if candidate[0] is not None and candidate[0] > best[0]:
        return candidate
    return best
