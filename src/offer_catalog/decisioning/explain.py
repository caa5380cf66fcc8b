"""Why each candidate offer of a scope was proposed or left out (`explain: true`). Pure, no I/O.

The decision is made first, exactly as without `explain`; this module then looks at the same run
(its environment, the offers each earlier scope took, the caps it met) and re-checks each candidate
step by step without drawing random numbers, so the explained decision is the unexplained one.

Each candidate gets an `outcome` (`proposed` or `excluded`) and, when excluded, the first `reason`
that ruled it out, in pipeline order: `offer_not_found`, `invalid_offer`, `not_approved`,
`no_representation`, `duplicate`, `outside_date_window`, `eligibility_rule`, `profile_constraint`,
`capped`, then `not_reached` (eligible, but the scope was full before its turn).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from offer_catalog.decisioning.capping import CapState
from offer_catalog.decisioning.model import Criterion, Entry, Group, Offer, Snapshot
from offer_catalog.decisioning.pql import MISSING, CompiledExpr, Env
from offer_catalog.decisioning.request import Scope

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_PATH = re.compile(r"(?<![\w.@])[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+(\s*\()?")
# Attribute paths are looked up on the profile, except these roots.
_NOT_PROFILE = ("offer.",)


class RunView(Protocol):
    """What the explanation reads of an engine run (see engine._Run)."""

    snapshot: Snapshot
    caps: CapState
    env: Env
    now_ts: float
    scope_key: str

    def constraint_ok(self, criterion: Criterion, offer: Offer | None) -> bool: ...


@functools.lru_cache(maxsize=4096)
def referenced_paths(text: str) -> tuple[str, ...]:
    """The dotted attribute paths a PQL text reads (method names and string literals left out)."""
    found: dict[str, None] = {}
    for match in _PATH.finditer(_STRING.sub('""', text)):
        path = match.group(0).split("(")[0].rstrip()
        if match.group(1):  # `a.b.startsWith(`: the last step is a method
            path = path.rsplit(".", 1)[0]
        if path != "offer" and not path.startswith(_NOT_PROFILE):
            found[path] = None
    return tuple(found)


def attribute_values(profile: Mapping[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    """The profile's value at each path (`xdm:`-prefixed keys found too); None when missing."""
    out: dict[str, Any] = {}
    for path in paths:
        value: Any = profile
        for step in path.split("."):
            if not isinstance(value, Mapping):
                value = MISSING
                break
            value = value.get(step, value.get("xdm:" + step, MISSING))
        out[path] = None if value is MISSING else value
    return out


def _rule(rule: CompiledExpr, env: Env) -> dict[str, Any]:
    value = rule.evaluate(env)
    return {
        "rule": rule.text,
        "value": None
        if value is MISSING
        else value
        if isinstance(value, bool | int | float | str)
        else str(value),
        "attributes": attribute_values(env.profile, referenced_paths(rule.text)),
    }


def _instant(epoch: float) -> str | None:
    if math.isinf(epoch):
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _constraint(run: RunView, criterion: Criterion, offer: Offer) -> dict[str, Any]:
    out: dict[str, Any] = {"criterion": criterion.index, "passed": run.constraint_ok(criterion, offer)}
    if criterion.rule is not None:
        run.env.offer = offer.body
        out.update(type="eligibilityRule", **_rule(criterion.rule, run.env))
    elif criterion.any_segments is not None or criterion.all_segments is not None:
        wanted = criterion.any_segments if criterion.any_segments is not None else criterion.all_segments
        assert wanted is not None
        out.update(
            type="anySegments" if criterion.any_segments is not None else "allSegments",
            segments=sorted(wanted),
            profileSegments=sorted(wanted & run.env.segments()),
        )
    else:
        out["type"] = "none"
    return out


def _score(run: RunView, offer: Offer, criteria: Sequence[Criterion]) -> float | None:
    best: float | None = None
    for criterion in criteria:
        if criterion.formula is None:
            continue
        run.env.offer = offer.body
        value = criterion.formula.evaluate(run.env)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            best = float(value) if best is None else max(best, float(value))
    return best


def _status(offer: Offer) -> Any:
    body = offer.body
    return body.get("xdm:status", body.get("status"))


def _candidate(
    run: RunView,
    scope: Scope,
    group_index: int,
    group: Group,
    entries: Mapping[str, Entry],
    offer_id: str,
    ctx: _ScopeContext,
) -> dict[str, Any]:
    out: dict[str, Any] = {"offer": offer_id, "group": group_index}
    offer = run.snapshot.offers.get(offer_id)

    def excluded(code: str, **detail: Any) -> dict[str, Any]:
        out.update(outcome="excluded", reason={"code": code, **detail})
        return out

    if offer is None:
        return excluded("offer_not_found")
    out["priority"] = offer.priority
    if not offer.valid:
        problems = [d.message for d in run.snapshot.diagnostics if d.id == offer_id]
        return excluded("invalid_offer", problems=problems)
    if not offer.approved:
        return excluded("not_approved", status=_status(offer))
    if scope.placement_id not in offer.representations:
        return excluded("no_representation", placement=scope.placement_id)
    entry = entries.get(offer_id)
    criteria = entry.criteria if entry is not None else group.criteria
    score = _score(run, offer, criteria)
    if score is not None:
        out["score"] = score
    if offer_id in ctx.ranks:
        out.update(outcome="proposed", rank=ctx.ranks[offer_id])
        return out
    if offer_id in ctx.blocked:
        return excluded("duplicate", detail="proposed by an earlier scope of this request")
    if not (offer.start <= run.now_ts <= offer.end):
        return excluded("outside_date_window", startDate=_instant(offer.start), endDate=_instant(offer.end))
    if offer.rule is not None:
        run.env.offer = offer.body
        if not offer.rule.test(run.env):
            return excluded("eligibility_rule", **_rule(offer.rule, run.env))
    checks = [_constraint(run, c, offer) for c in criteria]
    if checks and not any(c["passed"] for c in checks):
        return excluded("profile_constraint", criteria=checks)
    if offer_id in ctx.capped:
        return excluded("capped", caps=ctx.capped[offer_id])
    if group_index > ctx.last_group:
        return excluded("not_reached", detail="earlier criteria groups filled the scope")
    return excluded("not_reached", detail="the scope was full before this offer's turn")


class _ScopeContext:
    __slots__ = ("blocked", "capped", "last_group", "ranks")

    def __init__(
        self,
        blocked: set[str],
        capped: Mapping[str, list[dict[str, Any]]],
        picks: Sequence[str],
        last_group: int,
    ) -> None:
        self.blocked = blocked
        self.capped = capped
        self.ranks = {offer_id: rank for rank, offer_id in enumerate(picks, start=1)}
        self.last_group = last_group


def explain_scope(
    run: RunView,
    scope: Scope,
    *,
    blocked: set[str],
    capped: Mapping[str, list[dict[str, Any]]],
    picks: Sequence[str],
    last_group: int,
) -> dict[str, Any]:
    """The explanation of one scope's proposition, after the engine decided it."""
    activity = run.snapshot.activities[scope.activity_id]
    out: dict[str, Any] = {"activity": activity.id, "placement": scope.placement_id}
    if not (activity.start <= run.now_ts <= activity.end):
        out["candidates"] = []
        out["fallback"] = {
            "offer": activity.fallback_id,
            "reason": "activity_outside_date_window",
            "startDate": _instant(activity.start),
            "endDate": _instant(activity.end),
        }
        return out
    ctx = _ScopeContext(blocked, capped, picks, last_group)
    candidates: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, group in enumerate(activity.scopes[scope.placement_id].groups):
        entries = {entry.offer.id: entry for entry in group.entries}
        for offer_id in group.candidates:
            if offer_id not in seen:
                seen.add(offer_id)
                candidates.append(_candidate(run, scope, index, group, entries, offer_id, ctx))
    out["candidates"] = candidates
    if not picks:
        out["fallback"] = {"offer": activity.fallback_id, "reason": "no_eligible_offer"}
    return out


def cap_usage(run: RunView, offer: Offer, placement_id: str) -> list[dict[str, Any]]:
    """The caps an offer met: counter, count so far (stored and planned in this request), limit."""
    return [
        {"counter": key, "count": count, "limit": limit}
        for key, count, limit in run.caps.usage(offer.id, offer.caps, placement_id, run.scope_key)
        if count + 1 > limit
    ]
