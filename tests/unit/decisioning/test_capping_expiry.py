"""Per-profile counters expire at the offer's end date: the expiry texts and the planned increments."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from offer_catalog.decisioning.capping import (
    NO_EXPIRY,
    CapState,
    MappingCounters,
    event_increments,
    expiry_text,
    instant_text,
)
from offer_catalog.decisioning.model import CapRule

NOW = datetime(2030, 1, 5, 10, tzinfo=UTC)
END = expiry_text(datetime(2030, 1, 31, tzinfo=UTC).timestamp())


def test_expiry_texts_sort_as_instants() -> None:
    assert END == "2030-01-31T00:00:00.000000Z"
    assert expiry_text(math.inf) == NO_EXPIRY
    assert instant_text(NOW) < END < NO_EXPIRY
    assert instant_text(datetime(2030, 1, 31, 0, 0, 0, 1, tzinfo=UTC)) > END


def test_only_per_profile_increments_carry_the_expiry() -> None:
    caps = (
        CapRule(1, per_profile=True, per_placement=False, offer_end=END),
        CapRule(5, per_profile=False, per_placement=False, offer_end=None),
    )
    state = CapState(MappingCounters(), NOW)
    assert state.admit("o", caps, "p", "profile:Email:a")
    expiries = {inc.key.split("|")[1]: inc.expires for inc in state.pending.values()}
    assert expiries == {"profile:Email:a": END, "global": None}


def test_event_counted_profile_rules_carry_the_expiry() -> None:
    rule = CapRule(2, True, False, events=("click",), offer_end=END)
    (inc,) = event_increments("o", (rule,), "p", "hash", "click", NOW, lambda _query: True)
    assert inc.expires == END and inc.key.endswith("|ev:click")
