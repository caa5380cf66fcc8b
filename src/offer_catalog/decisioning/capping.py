"""Capping without I/O: cap rules, period buckets and counter keys; counts come from a read-only view.

Counter key: `<offer @id>|<scope>|<entity>|<period>` with
- scope `global`, or `profile:<namespace>:<id>` (the profile's first identity);
- entity `offer`, or `placement:<placement @id>`;
- period `total` (caps that never reset), `day:YYYY-MM-DD`, `week:YYYY-MM-DD` (the Sunday that starts
  the week), `month:YYYY-MM`; with `xdm:unitCount` n > 1 the unit reads `day*n`, `week*n`, `month*n`
  and periods are aligned on n-unit blocks counted from 1970-01-01 (weeks: from Sunday 1969-12-28).
Periods reset at 00:00 UTC. `|` and `%` inside ids are percent-encoded so keys stay unambiguous.
Caps that never repeat count over the offer's lifetime, which restarts every 2 years from the offer's
start date ("capping counters will reset when the offer expires or 2 years after the offer start
date"): period `total` for the first two years, then `total:<YYYY-MM-DD>` (the block's first day).

Rules that count interaction events (`xdm:events` other than just `decisioning`) have keys of their
own, suffixed `|ev:<kinds joined by +>`, and their profile scope is `profile#<profile key>` (the
decision log's keyed hash, so events, which carry no identity, find the same counter). Such a rule
admits an offer while its count is below the limit; the decision adds to it only when the rule also
counts `decisioning`, and each new matching event adds 1 up to the limit (`event_increments`).

Per-profile counters expire ("Impact of changing dates on capping"): each increment of a per-profile
rule carries the offer's end date as the counter's new expiry (`CounterIncrement.expires`); once that
instant has passed, the counter reads 0 and the next increment starts it again from 0. So when an
approved offer's end date is extended, a profile's count carries forward only if a decision counts on
it between the change and the original end date; otherwise it resets on the original end date.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Protocol

from offer_catalog.decisioning.model import CapRule

_EPOCH_DAY: Final = date(1970, 1, 1)
_EPOCH_SUNDAY: Final = date(1969, 12, 28)
_UNITS: Final = frozenset({"day", "week", "month"})
EVENT_KINDS: Final = ("decisioning", "impression", "click", "custom")
# Stored interaction types (feedback.py) -> the capping event kind they count as.
INTERACTION_KINDS: Final = {"display": "impression", "click": "click", "dismiss": None}


# The expiry of a per-profile counter of an offer without end date: never.
NO_EXPIRY: Final = "9999-12-31T23:59:59.999999Z"


def expiry_text(epoch_seconds: float) -> str:
    """An instant as counters store expiries: UTC, fixed width, so text order is time order."""
    if epoch_seconds >= 253402300799:  # +inf (no end date) or beyond year 9999
        return NO_EXPIRY
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def instant_text(now: datetime) -> str:
    """`now` in the counters' expiry format (a counter whose expiry is before it reads 0)."""
    # isoformat is several times cheaper than strftime; its first 26 characters are the same text
    return now.astimezone(UTC).isoformat(timespec="microseconds")[:26] + "Z"


class CounterView(Protocol):
    """Read-only access to current counter values; a missing key counts 0."""

    def count(self, key: str) -> int:
        """The current value of `key`."""
        ...


class MappingCounters:
    """A `CounterView` over a plain mapping of key -> count."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, int] | None = None) -> None:
        self._data: Mapping[str, int] = data if data is not None else {}

    def count(self, key: str) -> int:
        """The value stored under `key`, 0 when absent."""
        return self._data.get(key, 0)


@dataclass(frozen=True, slots=True)
class CounterIncrement:
    """What the caller must add to a counter, atomically and only if `current + amount <= limit`.

    `period_start` / `period_end` (ISO dates, end exclusive) bound the bucket; both None for `total`.
    `expires` (per-profile rules): the counter's new expiry (`expiry_text`); an expired counter
    counts 0 and restarts from `amount`.
    """

    key: str
    amount: int
    limit: int
    offer_id: str
    period_start: str | None = None
    period_end: str | None = None
    expires: str | None = None


@dataclass(frozen=True, slots=True)
class Period:
    """One reset period: its key label and its bounds (ISO dates, end exclusive)."""

    label: str
    start: str | None
    end: str | None


TOTAL: Final = Period("total", None, None)


def period_of(unit: str | None, unit_count: int, today: date) -> Period:
    """The period bucket holding `today` for a rule repeating every `unit_count` `unit`s."""
    if unit is None:
        return TOTAL
    name = unit if unit_count == 1 else f"{unit}*{unit_count}"
    if unit == "month":
        index = (today.year - 1970) * 12 + today.month - 1
        first = index - index % unit_count
        after = first + unit_count
        start = date(1970 + first // 12, first % 12 + 1, 1)
        end = date(1970 + after // 12, after % 12 + 1, 1)
        return Period(f"{name}:{start.isoformat()[:7]}", start.isoformat(), end.isoformat())
    days = 7 if unit == "week" else 1
    anchor = _EPOCH_SUNDAY if unit == "week" else _EPOCH_DAY
    span = days * unit_count
    offset = (today - anchor).days
    start = anchor + timedelta(days=offset - offset % span)
    return Period(
        f"{name}:{start.isoformat()}", start.isoformat(), (start + timedelta(days=span)).isoformat()
    )


LIFETIME_YEARS: Final = 2


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def lifetime_of(start: str, today: date) -> Period:
    """The 2-year block since the offer's start (ISO date) that holds today; `total` for the first."""
    first = date.fromisoformat(start)
    blocks = max(0, (today.year - first.year) // LIFETIME_YEARS)
    while blocks > 0 and _add_years(first, blocks * LIFETIME_YEARS) > today:
        blocks -= 1
    if blocks == 0:
        return TOTAL
    begin = _add_years(first, blocks * LIFETIME_YEARS)
    end = _add_years(first, (blocks + 1) * LIFETIME_YEARS)
    return Period(f"total:{begin.isoformat()}", begin.isoformat(), end.isoformat())


def rule_period(rule: CapRule, today: date) -> Period:
    """The period a rule counts in today: its repeat bucket, or the offer's lifetime block."""
    if rule.unit is None and rule.lifetime_start is not None:
        return lifetime_of(rule.lifetime_start, today)
    return period_of(rule.unit, rule.unit_count, today)


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("|", "%7C")


def profile_scope(namespace: str, ident: str) -> str:
    """The scope part of a counter key for one profile identity."""
    return f"profile:{_escape(namespace)}:{_escape(ident)}"


def counter_key(offer_id: str, scope: str, placement_id: str | None, period: Period) -> str:
    """The counter key of an offer for a scope (`global` or `profile_scope(...)`), entity and period."""
    entity = "offer" if placement_id is None else f"placement:{_escape(placement_id)}"
    return f"{_escape(offer_id)}|{scope}|{entity}|{period.label}"


def rule_key(
    offer_id: str, rule: CapRule, placement_id: str, profile: str, hashed: str | None, period: Period
) -> str:
    """The counter key of one rule; `hashed` is the profile key event-counted rules use."""
    if rule.events == ("decisioning",):
        scope = profile if rule.per_profile else "global"
        return counter_key(offer_id, scope, placement_id if rule.per_placement else None, period)
    scope = f"profile#{hashed}" if rule.per_profile else "global"
    base = counter_key(offer_id, scope, placement_id if rule.per_placement else None, period)
    return f"{base}|ev:{'+'.join(sorted(rule.events))}"


def event_increments(
    offer_id: str,
    caps: tuple[CapRule, ...],
    placement_id: str,
    hashed_profile: str,
    kind: str,
    now: datetime,
    custom_match: Callable[[str], bool],
) -> list[CounterIncrement]:
    """What one new interaction event of stored type `kind` adds to the offer's event-counted caps.

    `custom_match(query)` tells whether a custom event matches a rule's `xdm:customQuery`.
    """
    counted = INTERACTION_KINDS.get(kind, "custom")
    out: dict[str, CounterIncrement] = {}
    for rule in caps:
        if counted is None or counted not in rule.events:
            continue
        if counted == "custom" and rule.custom_query is not None and not custom_match(rule.custom_query):
            continue
        if rule.per_placement and rule.placement is not None and rule.placement != placement_id:
            continue
        period = rule_period(rule, now.date())
        key = rule_key(offer_id, rule, placement_id, "", hashed_profile, period)
        known = out.get(key)
        limit = rule.limit if known is None else min(known.limit, rule.limit)
        expires = rule.offer_end if rule.per_profile else None
        out[key] = CounterIncrement(key, 1, limit, offer_id, period.start, period.end, expires)
    return list(out.values())


class CapState:
    """Per-decision capping state: counter reads, increments planned so far, cached periods."""

    __slots__ = ("_counters", "_hashed", "_periods", "_profile_key", "_today", "pending", "refused")

    def __init__(
        self, counters: CounterView, now: datetime, profile_key: Callable[[str], str] | None = None
    ) -> None:
        self._counters = counters
        self._profile_key = profile_key
        self._hashed: dict[str, str] = {}
        self._today = now.date()
        self._periods: dict[tuple[str | None, int, str | None], Period] = {}
        self.pending: dict[str, CounterIncrement] = {}
        self.refused: list[tuple[str, str, str]] = []  # (profile scope, placement, offer) of caps met

    def _hash(self, profile: str) -> str:
        hashed = self._hashed.get(profile)
        if hashed is None:
            hashed = self._hashed[profile] = self._profile_key(profile) if self._profile_key else profile
        return hashed

    def _keys(
        self, offer_id: str, caps: tuple[CapRule, ...], placement_id: str, profile: str
    ) -> dict[str, tuple[int, Period, bool, str | None]]:
        keys: dict[str, tuple[int, Period, bool, str | None]] = {}
        for rule in caps:
            if rule.per_placement and rule.placement is not None and rule.placement != placement_id:
                continue
            cached = (rule.unit, rule.unit_count, rule.lifetime_start)
            period = self._periods.get(cached)
            if period is None:
                period = self._periods[cached] = rule_period(rule, self._today)
            hashed = self._hash(profile) if rule.per_profile and rule.events != ("decisioning",) else None
            key = rule_key(offer_id, rule, placement_id, profile, hashed, period)
            known = keys.get(key)
            limit = rule.limit if known is None else min(known[0], rule.limit)
            expires = rule.offer_end if rule.per_profile else None
            keys[key] = (limit, period, rule.by_decision, expires)
        return keys

    def usage(
        self, offer_id: str, caps: tuple[CapRule, ...], placement_id: str, profile: str
    ) -> list[tuple[str, int, int]]:
        """(counter key, count stored + planned, limit) of each cap of an offer in a placement."""
        out = []
        for key, (limit, *_rest) in self._keys(offer_id, caps, placement_id, profile).items():
            planned = self.pending.get(key)
            out.append((key, self._counters.count(key) + (planned.amount if planned else 0), limit))
        return out

    def admit(self, offer_id: str, caps: tuple[CapRule, ...], placement_id: str, profile: str) -> bool:
        """Plan one decision of the offer unless a cap would be exceeded; True when admitted."""
        keys = self._keys(offer_id, caps, placement_id, profile)
        for key, (limit, *_rest) in keys.items():
            planned = self.pending.get(key)
            # An event-counted rule admits while its count is below the limit: the same test.
            if self._counters.count(key) + (planned.amount if planned else 0) + 1 > limit:
                self.refused.append((profile, placement_id, offer_id))
                return False
        for key, (limit, period, counted, expires) in keys.items():
            if not counted:
                continue
            planned = self.pending.get(key)
            amount = planned.amount + 1 if planned else 1
            self.pending[key] = CounterIncrement(
                key, amount, limit, offer_id, period.start, period.end, expires
            )
        return True


def parse_caps(body: Mapping[str, Any]) -> tuple[tuple[CapRule, ...], str | None]:
    """The cap rules of an offer instance, and a problem description when one is malformed."""
    rules: list[CapRule] = []
    legacy = body.get("xdm:cappingConstraint") or {}
    for keys, per_profile in (
        (("xdm:globalCap", "xdm:volume"), False),
        (("xdm:profileCap", "xdm:frequency"), True),
    ):
        limit = next((legacy[k] for k in keys if legacy.get(k) is not None), None)
        if limit is None:
            continue
        if not _is_count(limit):
            return (), f"{keys[0]} is not a non-negative integer"
        rules.append(CapRule(limit=limit, per_profile=per_profile, per_placement=False))
    for index, item in enumerate(body.get("xdm:frequencyCappingConstraints") or []):
        rule = _frequency_rule(item)
        if isinstance(rule, str):
            return (), f"frequencyCappingConstraints[{index}]: {rule}"
        rules.append(rule)
    return tuple(rules), None


def _frequency_rule(item: Any) -> CapRule | str:
    if not isinstance(item, Mapping):
        return "not an object"
    limit = item.get("xdm:limit", item.get("xdm:count"))
    scope = item.get("xdm:scope", "global")
    entity = item.get("xdm:entity", "offer")
    repeat = item.get("xdm:repeat") or {}
    unit = repeat.get("xdm:unit", "day") if repeat.get("xdm:enabled") else None
    count = repeat.get("xdm:unitCount", 1)
    if not _is_count(limit):
        return "limit is not a non-negative integer"
    if scope not in ("global", "profile") or entity not in ("offer", "placement"):
        return f"unsupported scope {scope!r} or entity {entity!r}"
    if unit is not None and (unit not in _UNITS or not _is_count(count) or count < 1):
        return f"unsupported repeat unit {unit!r} x {count!r}"
    placement = item.get("xdm:placement") if entity == "placement" else None
    events = item.get("xdm:events", ["decisioning"])
    if (
        not isinstance(events, list)
        or not events
        or not all(isinstance(e, str) and e in EVENT_KINDS for e in events)
    ):
        return f"xdm:events must be a non-empty list of {', '.join(EVENT_KINDS)}"
    query = item.get("xdm:customQuery")
    if query is not None and (not isinstance(query, str) or "custom" not in events):
        return "xdm:customQuery must be a string, with the custom event in xdm:events"
    return CapRule(
        limit,
        scope == "profile",
        entity == "placement",
        unit,
        count,
        placement,
        tuple(sorted(set(events))),
        query,
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
