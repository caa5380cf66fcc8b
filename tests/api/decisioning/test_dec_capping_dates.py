"""Per-profile capping counters when an approved offer's dates change, or it expires (both stores).

Adobe's "Impact of changing dates on capping" (add-constraints.md): moving the start date before the
offer began, or to a day before its end, keeps each profile's count; a new start after the current
end starts every profile again from 0. Extending the end date keeps a profile's count only if a
decisioning request counts on it before the original end date; otherwise it resets on that date.
The decisions API reads the time through `service.datetime` (decide_now), which these tests set.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from dec_support import Catalog, chosen, decide, decision_request, profile
from starlette.testclient import TestClient

from offer_catalog.decisioning import service


class _Clock(datetime):
    """`datetime` whose `now` is the test's instant."""

    at: ClassVar[datetime] = datetime(2030, 1, 1, tzinfo=UTC)

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        return cls.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> type[_Clock]:
    monkeypatch.setattr(service, "datetime", _Clock)
    return _Clock


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def window(catalog: Catalog, start: str, end: str) -> None:
    """Set the `flash` offer's start and end dates (it stays approved)."""
    catalog.xc.patch_id(
        catalog["flash"],
        [
            {
                "op": "replace",
                "path": "/_instance/xdm:selectionConstraint/xdm:startDate",
                "value": f"{start}T00:00:00Z",
            },
            {
                "op": "replace",
                "path": "/_instance/xdm:selectionConstraint/xdm:endDate",
                "value": f"{end}T00:00:00Z",
            },
        ],
    )


def profile_capped(catalog: Catalog, start: str, end: str, cap: int = 2) -> None:
    """`flash`: at most `cap` decisions per profile (no global cap), between start and end."""
    window(catalog, start, end)
    catalog.xc.patch_id(
        catalog["flash"],
        [{"op": "replace", "path": "/_instance/xdm:cappingConstraint", "value": {"xdm:profileCap": cap}}],
    )


def flashes(client: TestClient, catalog: Catalog, clock: type[_Clock], when: str, who: str, n: int) -> int:
    """How many of n decisions for a profile at `when` propose the flash offer."""
    clock.at = at(when)
    got = 0
    for _ in range(n):
        response = decide(
            client,
            catalog.container,
            decision_request(catalog["flash_activity"], catalog["web"], profile(who)),
        )
        assert response.status_code == 200, response.text
        got += chosen(response.json(), catalog)[0] == "flash"
    return got


def test_extending_the_end_date_carries_forward_only_counts_used_before_the_original_end(
    client: TestClient, catalog: Catalog, clock: type[_Clock]
) -> None:
    # Adobe's example: January 1 to 31; X, Y and Z presented the offer; on January 10 the end
    # date moves to February 15; only Z is presented the offer between January 11 and 31.
    profile_capped(catalog, "2030-01-01", "2030-01-31")
    assert flashes(client, catalog, clock, "2030-01-05T10:00:00", "x@x.y", 3) == 2  # capped at 2
    assert flashes(client, catalog, clock, "2030-01-05T10:00:00", "y@x.y", 1) == 1
    assert flashes(client, catalog, clock, "2030-01-05T10:00:00", "z@x.y", 1) == 1
    clock.at = at("2030-01-10T00:00:00")
    window(catalog, "2030-01-01", "2030-02-15")
    assert flashes(client, catalog, clock, "2030-01-20T10:00:00", "z@x.y", 2) == 1  # 2 of 2 now
    assert flashes(client, catalog, clock, "2030-01-30T23:00:00", "x@x.y", 1) == 0  # not yet reset
    # After the original end: X and Y start again from 0, Z's count carried forward.
    assert flashes(client, catalog, clock, "2030-02-01T10:00:00", "x@x.y", 3) == 2
    assert flashes(client, catalog, clock, "2030-02-01T10:00:00", "y@x.y", 3) == 2
    assert flashes(client, catalog, clock, "2030-02-01T10:00:00", "z@x.y", 1) == 0


def test_counters_reset_when_the_offer_expires(
    client: TestClient, catalog: Catalog, clock: type[_Clock]
) -> None:
    profile_capped(catalog, "2030-01-01", "2030-01-31")
    assert flashes(client, catalog, clock, "2030-01-05T10:00:00", "x@x.y", 3) == 2
    assert flashes(client, catalog, clock, "2030-02-01T10:00:00", "x@x.y", 1) == 0  # expired offer
    clock.at = at("2030-02-02T00:00:00")  # extended after it expired: a new count
    window(catalog, "2030-01-01", "2030-03-01")
    assert flashes(client, catalog, clock, "2030-02-03T10:00:00", "x@x.y", 3) == 2


def test_a_new_start_date_before_the_end_keeps_the_counts(
    client: TestClient, catalog: Catalog, clock: type[_Clock]
) -> None:
    profile_capped(catalog, "2030-01-01", "2030-01-31")
    assert flashes(client, catalog, clock, "2030-01-05T10:00:00", "x@x.y", 3) == 2
    assert flashes(client, catalog, clock, "2030-01-05T10:00:00", "y@x.y", 1) == 1
    clock.at = at("2030-01-06T00:00:00")
    window(catalog, "2029-12-15", "2030-01-31")  # earlier start
    assert flashes(client, catalog, clock, "2030-01-07T10:00:00", "x@x.y", 1) == 0
    assert flashes(client, catalog, clock, "2030-01-07T10:00:00", "y@x.y", 2) == 1
    window(catalog, "2030-01-08", "2030-01-31")  # later start, still before the end
    assert flashes(client, catalog, clock, "2030-01-09T10:00:00", "x@x.y", 1) == 0
    assert flashes(client, catalog, clock, "2030-01-09T10:00:00", "y@x.y", 1) == 0


def test_a_new_start_date_after_the_end_restarts_every_profile_from_zero(
    client: TestClient, catalog: Catalog, clock: type[_Clock]
) -> None:
    profile_capped(catalog, "2030-01-01", "2030-01-31")
    assert flashes(client, catalog, clock, "2030-01-05T10:00:00", "x@x.y", 3) == 2
    assert flashes(client, catalog, clock, "2030-01-05T10:00:00", "y@x.y", 1) == 1
    clock.at = at("2030-01-06T00:00:00")
    window(catalog, "2030-03-01", "2030-03-31")
    assert flashes(client, catalog, clock, "2030-01-20T10:00:00", "y@x.y", 1) == 0  # not started
    assert flashes(client, catalog, clock, "2030-03-02T10:00:00", "x@x.y", 3) == 2
    assert flashes(client, catalog, clock, "2030-03-02T10:00:00", "y@x.y", 3) == 2


def test_a_start_date_moved_before_the_offer_began_counts_from_the_new_start(
    client: TestClient, catalog: Catalog, clock: type[_Clock]
) -> None:
    profile_capped(catalog, "2030-03-01", "2030-03-31")
    clock.at = at("2030-02-01T00:00:00")
    assert flashes(client, catalog, clock, "2030-02-01T10:00:00", "x@x.y", 1) == 0
    window(catalog, "2030-02-10", "2030-03-31")
    assert flashes(client, catalog, clock, "2030-02-09T10:00:00", "x@x.y", 1) == 0
    assert flashes(client, catalog, clock, "2030-02-10T10:00:00", "x@x.y", 3) == 2
    assert flashes(client, catalog, clock, "2030-03-05T10:00:00", "x@x.y", 1) == 0


def test_global_caps_are_not_reset_by_date_changes(
    client: TestClient, catalog: Catalog, clock: type[_Clock]
) -> None:
    window(catalog, "2030-01-01", "2030-01-31")
    catalog.xc.patch_id(
        catalog["flash"],
        [{"op": "replace", "path": "/_instance/xdm:cappingConstraint", "value": {"xdm:globalCap": 2}}],
    )
    assert flashes(client, catalog, clock, "2030-01-05T10:00:00", "x@x.y", 2) == 2
    clock.at = at("2030-01-10T00:00:00")
    window(catalog, "2030-01-01", "2030-02-15")
    assert flashes(client, catalog, clock, "2030-02-01T10:00:00", "y@x.y", 1) == 0
