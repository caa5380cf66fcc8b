"""The compiled catalog snapshot: immutable, precomputed objects the engine decides over."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from offer_catalog.decisioning.pql import CompiledExpr
from offer_catalog.decisioning.pql.batch import Prepared


@dataclass(frozen=True, slots=True)
class CapRule:
    """One capping limit of an offer: how many decisions per scope (global/profile), entity and period."""

    limit: int
    per_profile: bool
    per_placement: bool
    unit: str | None = None  # None: the limit never resets; else "day" | "week" | "month"
    unit_count: int = 1
    placement: str | None = None  # deprecated `xdm:placement`: the rule applies to that placement only
    # What the rule counts (`xdm:events`): "decisioning" (decisions proposing the offer, the default),
    # "impression", "click", "custom" (interaction events; custom ones matching `custom_query`).
    events: tuple[str, ...] = ("decisioning",)
    custom_query: str | None = None
    # ISO date (UTC) of the offer's start: a never-resetting counter restarts every 2 years from it
    lifetime_start: str | None = None
    # Per-profile rules: when the profile's counter expires (`expiry_text` of the offer's end date, or
    # `NO_EXPIRY`); a decision counting on it moves the expiry to the offer's end date of that time.
    offer_end: str | None = None

    @property
    def by_decision(self) -> bool:
        """Decisions proposing the offer count (else only interaction events do)."""
        return "decisioning" in self.events


@dataclass(frozen=True, slots=True, eq=False)
class Offer:
    """A personalized offer as the engine sees it; `body` is the instance (with `@id`) for PQL and output."""

    id: str
    etag: int
    priority: int
    start: float  # epoch seconds; -inf when open
    end: float  # epoch seconds, inclusive; +inf when open
    rule: CompiledExpr | None
    representations: Mapping[str, Mapping[str, Any]]  # placement @id -> representation
    caps: tuple[CapRule, ...]
    body: Mapping[str, Any]
    approved: bool
    valid: bool  # False when the offer's configuration could not be understood (see diagnostics)


@dataclass(frozen=True, slots=True, eq=False)
class FallbackOffer:
    """A fallback offer: no constraints, only representations."""

    id: str
    etag: int
    representations: Mapping[str, Mapping[str, Any]]
    body: Mapping[str, Any]


@dataclass(frozen=True, slots=True, eq=False)
class Placement:
    """A placement; `allow_duplicates` is its `allowDuplicatePlacements` setting (default false)."""

    id: str
    etag: int
    body: Mapping[str, Any]
    allow_duplicates: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class Criterion:
    """One compiled activity criterion: profile constraint and ranking (formula, or offer priority)."""

    index: int
    priority: int
    rule: CompiledExpr | None = None  # constraint type eligibilityRule (or an always-false rule)
    any_segments: frozenset[str] | None = None
    all_segments: frozenset[str] | None = None
    formula: CompiledExpr | None = None
    invariant: bool = True  # the constraint does not read `offer.*`: evaluated once per profile


@dataclass(frozen=True, slots=True, eq=False)
class Entry:
    """A candidate offer of a criteria group, with the group's criteria that select it."""

    offer: Offer
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Group:
    """Criteria sharing one criterion priority, stack-ranked together.

    When no criterion of the group has a ranking formula (`static`), `blocks` holds the entries
    sorted by offer priority (highest first) and cut into runs of equal priority, so the engine
    can stop at the first block that fills the request and randomize only inside it. Otherwise
    `scorers` holds, per formula criterion, the formula prepared over all `entries` (see pql.batch).
    """

    static: bool
    criteria: tuple[Criterion, ...]
    entries: tuple[Entry, ...]
    blocks: tuple[tuple[Entry, ...], ...] = ()
    scorers: Mapping[Criterion, Prepared] = field(default_factory=dict)  # formula per entry, batched
    # Every offer id the group's criteria select, also those left out of `entries` (for explanations).
    candidates: tuple[str, ...] = ()
    selections: tuple[tuple[str, ...], ...] = ()  # the offer ids each criterion selects, in order


@dataclass(frozen=True, slots=True, eq=False)
class ScopePlan:
    """Everything needed to decide one (activity, placement) scope: its criteria groups in order."""

    groups: tuple[Group, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Activity:
    """A decision (offer activity) with one precomputed plan per placement it serves."""

    id: str
    etag: int
    status: str
    start: float
    end: float
    fallback_id: str | None
    body: Mapping[str, Any]
    scopes: Mapping[str, ScopePlan]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem found while compiling the catalog (like Adobe's `/diagnostics`); never fatal."""

    id: str
    code: str
    message: str


@dataclass(frozen=True, slots=True, eq=False)
class Snapshot:
    """The compiled catalog of one container; build it with `build_snapshot` and share it read-only."""

    offers: Mapping[str, Offer]
    fallbacks: Mapping[str, FallbackOffer]
    placements: Mapping[str, Placement]
    activities: Mapping[str, Activity]
    rules: Mapping[str, CompiledExpr]
    ranking_functions: Mapping[str, CompiledExpr]
    filters: Mapping[str, tuple[str, ...]]
    diagnostics: tuple[Diagnostic, ...] = field(default=())
