"""The status lifecycles of offers and activities: which statuses a create may start in, which moves follow.

Choices (documented in docs/offer-library.md): an offer may be created `draft`, `pending` or
`approved` (the reference's fallback example is created approved); review is draft -> pending ->
approved | rejected, rejected -> draft; approved <-> draft is "undo approve"; approved -> archived;
archived -> draft is allowed (the repository spec allows it; the UI only offers duplicate/delete).
Activities: draft -> live -> complete -> archived, live -> draft (unpublish), archived -> draft.
Keeping the same status is always allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

OFFER_STATUSES = ("draft", "pending", "rejected", "approved", "archived")
ACTIVITY_STATUSES = ("draft", "live", "complete", "archived")


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """A status member, the statuses a new instance may have, and the allowed moves."""

    statuses: tuple[str, ...]
    initial: frozenset[str]
    moves: Mapping[str, frozenset[str]]
    member: str = "xdm:status"

    def problem(self, old: object, new: object) -> str | None:
        """Why moving from old (None on create) to new is not allowed, or None when it is."""
        if not isinstance(new, str) or new not in self.statuses:
            return None  # the shape check reports a missing or unknown status
        if old is None:
            if new in self.initial:
                return None
            allowed = ", ".join(s for s in self.statuses if s in self.initial)
            return f"a new instance cannot start as {new!r}; start as one of {allowed}"
        if old == new or not isinstance(old, str) or new in self.moves.get(old, frozenset()):
            return None
        targets = ", ".join(s for s in self.statuses if s in self.moves.get(old, frozenset())) or "none"
        return f"status cannot change from {old!r} to {new!r} (allowed from {old!r}: {targets})"


OFFER_LIFECYCLE = Lifecycle(
    statuses=OFFER_STATUSES,
    initial=frozenset({"draft", "pending", "approved"}),
    moves={
        "draft": frozenset({"pending", "approved", "archived"}),
        "pending": frozenset({"approved", "rejected", "draft"}),
        "rejected": frozenset({"draft", "archived"}),
        "approved": frozenset({"draft", "archived"}),
        "archived": frozenset({"draft"}),
    },
)

ACTIVITY_LIFECYCLE = Lifecycle(
    statuses=ACTIVITY_STATUSES,
    initial=frozenset({"draft", "live"}),
    moves={
        "draft": frozenset({"live", "archived"}),
        "live": frozenset({"draft", "complete", "archived"}),
        "complete": frozenset({"archived", "draft"}),
        "archived": frozenset({"draft"}),
    },
)
