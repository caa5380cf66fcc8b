"""Record interaction events against the decision log, and report on decisions and events.

A request's events are stored in one transaction, all or none: each must name a proposition this
container's decision log holds (`unknown_proposition`, also when another container, of this or
another tenant, made it: a caller learns nothing of other containers) and an offer that proposition proposed
(`offer_not_proposed`); an event already stored (same event id and offer) is counted as a duplicate
and ignored.

A new event also adds 1 to each event-counted cap of its offer that counts its kind (see
capping.py: `xdm:events` impression / click / custom, `xdm:customQuery` a PQL condition over
`{"eventType": <stored type>}`), in the same transaction, in key order, never past the cap's limit:
an event that arrives once the cap is reached is stored and reported but not counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from offer_catalog.decisioning.capping import CounterIncrement, event_increments, instant_text
from offer_catalog.decisioning.decision_log import FLUSH_SECONDS, DecisionLog, timestamp
from offer_catalog.decisioning.interactions import Interaction
from offer_catalog.decisioning.model import Offer
from offer_catalog.decisioning.pql import CompiledExpr, Env, PqlCompileError, PqlSyntaxError, compile_rule
from offer_catalog.errors import NotFound, ValidationFailed
from offer_catalog.resources.dates import FIRST, in_utc, parse_date_time
from offer_catalog.store.base import Store, UnitOfWork
from offer_catalog.store.decision_log import GROUP_COLUMNS, DecisionItem, InteractionEvent, ReportCounts


class UnknownProposition(NotFound):
    """An event names a proposition id no decision of this container produced (HTTP 404)."""

    code = "unknown_proposition"


class OfferNotProposed(ValidationFailed):
    """An event names an offer its proposition did not propose (HTTP 422)."""

    code = "offer_not_proposed"


class InvalidReport(ValidationFailed):
    """A report request with a bad window or grouping (HTTP 422)."""

    code = "invalid_report"


@dataclass(frozen=True, slots=True)
class Receipt:
    """How many interactions a request stored, and how many were already stored."""

    accepted: int
    duplicates: int


def record_events(
    store: Store,
    *,
    container_id: str,
    interactions: Sequence[Interaction],
    now: datetime,
    log: DecisionLog,
    check: Callable[[UnitOfWork], object] | None = None,
    offers: Mapping[str, Offer] | None = None,
) -> Receipt:
    """Store the interactions (all or none) tied to their logged propositions; count event caps.

    `offers` (the container's compiled offers) gives the caps new events count towards.
    """
    received = timestamp(now)
    instant = instant_text(now)
    accepted = 0
    _await_propositions(store, log, sorted({i.proposition_id for i in interactions}))
    increments: list[CounterIncrement] = []
    with store.unit_of_work(write=True) as uow:
        if check is not None:
            check(uow)
        logged: dict[str, list[DecisionItem]] = {}
        for item in uow.decision_items(sorted({i.proposition_id for i in interactions})):
            logged.setdefault(item.proposition_id, []).append(item)
        for interaction in interactions:
            item = _proposed(interaction, logged.get(interaction.proposition_id, []), container_id)
            new = uow.insert_interaction_event(
                InteractionEvent(
                    scope=container_id,
                    event_id=interaction.event_id,
                    offer_id=interaction.offer_id,
                    proposition_id=interaction.proposition_id,
                    activity_id=item.activity_id,
                    placement_id=item.placement_id,
                    type=interaction.type,
                    occurred_at=interaction.occurred_at,
                    received_at=received,
                    profile_key=item.profile_key,
                )
            )
            accepted += new
            offer = offers.get(interaction.offer_id) if new and offers is not None else None
            if offer is not None and offer.caps:
                increments += event_increments(
                    offer.id,
                    offer.caps,
                    item.placement_id,
                    item.profile_key,
                    interaction.type,
                    now,
                    _matcher(interaction.type),
                )
        for inc in sorted(increments, key=lambda i: i.key):
            # refused at the limit: not counted; an expired per-profile counter restarts from 0
            if inc.expires is None:
                uow.increment_counter(inc.key, inc.limit, inc.amount)
            else:
                uow.increment_counter(inc.key, inc.limit, inc.amount, expires=inc.expires, now=instant)
    log.sweep(store, now)
    return Receipt(accepted, len(interactions) - accepted)


def _await_propositions(store: Store, log: DecisionLog, ids: list[str]) -> None:
    """Write this process's queued log rows; give other processes' queues one flush period if needed."""
    log.deferred.flush()
    with store.unit_of_work() as uow:
        known = {item.proposition_id for item in uow.decision_items(ids)}
    if len(known) < len(ids):
        time.sleep(2 * FLUSH_SECONDS)


@lru_cache(maxsize=256)
def _query(text: str) -> CompiledExpr | None:
    try:
        return compile_rule(text)
    except (PqlSyntaxError, PqlCompileError):
        return None


def _matcher(kind: str) -> Callable[[str], bool]:
    """Whether a custom event of this type matches a cap's `xdm:customQuery` (an invalid one: never)."""

    def matches(text: str) -> bool:
        query = _query(text)
        return query is not None and query.test(Env({"eventType": kind}))

    return matches


def _proposed(interaction: Interaction, items: list[DecisionItem], container_id: str) -> DecisionItem:
    details = {"pointer": interaction.pointer, "propositionId": interaction.proposition_id}
    if not items or items[0].scope != container_id:
        raise UnknownProposition(
            "no logged decision of this container made this proposition", details=details
        )
    for item in items:
        if item.offer_id == interaction.offer_id and item.rank is not None:
            return item
    raise OfferNotProposed(
        "the proposition did not propose this offer", details={**details, "offerId": interaction.offer_id}
    )


def window(start: str | None, end: str | None, now: datetime) -> tuple[str, str]:
    """The report window [from, to) as stored timestamps; defaults: the 7 days up to now."""
    moments: list[datetime] = []
    for name, value, default in (("to", end, now), ("from", start, None)):
        if value is None:
            # (A window ending in the first week of the year 1 starts at its first instant.)
            week = timedelta(days=7)
            moment = default if default is not None else max(moments[0], FIRST + week) - week
        else:
            # A "+" of the offset that the query string decoded into a space is read back as "+".
            parsed = parse_date_time(value.replace(" ", "+"))
            if parsed is None:
                raise InvalidReport(
                    f"{name} must be an RFC 3339 date-time (with an offset)", details={"parameter": name}
                )
            moment = parsed
        moments.append(in_utc(moment))
    return timestamp(moments[1]), timestamp(moments[0])


def report(store: Store, *, container_id: str, start: str, end: str, group_by: str) -> dict[str, Any]:
    """Decisions, impressions, clicks, CTR, fallback rate and caps met per group in [start, end)."""
    if group_by not in GROUP_COLUMNS:
        raise InvalidReport(
            f"groupBy must be one of {', '.join(GROUP_COLUMNS)}", details={"parameter": "groupBy"}
        )
    # A window that ends before it starts holds no instant: an empty report, as the documents allow.
    counts: list[ReportCounts] = []
    if start < end:
        with store.unit_of_work() as uow:
            counts = uow.report(container_id, start, end, group_by)
    rows = []
    for entry in counts:
        events = dict(entry.events)
        impressions = events.pop("display", 0)
        clicks = events.pop("click", 0)
        dismissals = events.pop("dismiss", 0)
        rows.append(
            {
                group_by: entry.key,
                "decisions": entry.decisions,
                "proposals": entry.proposals,
                "impressions": impressions,
                "clicks": clicks,
                "dismissals": dismissals,
                "customEvents": dict(sorted(events.items())),
                "ctr": round(clicks / impressions, 6) if impressions else None,
                "fallbacks": entry.fallbacks,
                "fallbackRate": round(entry.fallbacks / entry.decisions, 6) if entry.decisions else None,
                "cappedOut": entry.capped,
            }
        )
    return {"containerId": container_id, "from": start, "to": end, "groupBy": group_by, "rows": rows}
