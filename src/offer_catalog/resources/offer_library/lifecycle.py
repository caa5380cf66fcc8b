"""The status lifecycles of offers and activities: which statuses a create may start in, which moves follow.

Choices (documented in docs/offer-library.md): an offer may be created `draft`, `pending` or
`approved` (the reference's fallback example is created approved); review is draft -> pending ->
approved | rejected, rejected -> draft; approved <-> draft is "undo approve"; approved -> archived;
archived -> draft is allowed (the repository spec allows it; the UI only offers duplicate/delete).
Activities: draft -> live -> complete -> archived, live -> draft (unpublish), archived -> draft.
Keeping the same status is always allowed.
"""

from __future__ import annotations

from offer_catalog.resources.lifecycle import Lifecycle

OFFER_STATUSES = ("draft", "pending", "rejected", "approved", "archived")
ACTIVITY_STATUSES = ("draft", "live", "complete", "archived")


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
