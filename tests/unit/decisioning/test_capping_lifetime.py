"""Capping counters restart 2 years after the offer's start date (Journey Optimizer, "Add constraints
to an offer": "Capping counters will reset when the offer expires or 2 years after the offer start
date, whichever comes first"). An expired offer is never proposed, so only the 2-year restart is
visible to decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from decisioning_fixtures import activity, catalog, criterion, offer, oid, picked, request, run

from offer_catalog.decisioning.capping import TOTAL, counter_key, lifetime_of

A = oid("a")
START, END = "2024-02-29T10:00:00Z", "2030-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("today", "label"),
    [
        ("2024-02-29", "total"),
        ("2026-02-27", "total"),
        ("2026-02-28", "total:2026-02-28"),  # no 29 February in 2026: the day before
        ("2028-02-28", "total:2026-02-28"),
        ("2028-02-29", "total:2028-02-29"),
        ("2023-01-01", "total"),  # before the start (an offer moved later): the first block
    ],
)
def test_lifetime_blocks(today: str, label: str) -> None:
    assert lifetime_of("2024-02-29", date.fromisoformat(today)).label == label


def test_a_never_resetting_cap_restarts_two_years_after_the_start() -> None:
    snap = catalog(
        offer("a", priority=9, start=START, end=END, caps={"xdm:globalCap": 1}),
        offer("b", priority=1, start=START, end=END),
        activity([criterion(options=[A, oid("b")])]),
    )
    first_block = {counter_key(A, "global", None, TOTAL): 1}
    within = datetime(2026, 2, 27, 23, 59, tzinfo=UTC)
    after = datetime(2026, 2, 28, 0, 0, tzinfo=UTC)
    assert picked(run(snap, request(), counters=first_block, now=within)) == ["b"]
    result = run(snap, request(), counters=first_block, now=after)
    assert picked(result) == ["a"]
    assert [i.key for i in result.increments] == [f"{A}|global|offer|total:2026-02-28"]
    # within the first two years it is the plain `total` counter (counts kept from before stay valid)
    assert run(snap, request(), now=within).increments[0].key == f"{A}|global|offer|total"
