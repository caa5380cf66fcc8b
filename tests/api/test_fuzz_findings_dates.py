"""Fuzz findings: RFC 3339 date-times whose instant lies outside the years 1-9999 in UTC.

`0001-01-01T00:00:00+01:00` and `9999-12-31T23:59:59-01:00` are valid RFC 3339 (`format: date-time`)
but their UTC instant is before the first or after the last one a datetime holds: converting them
raised OverflowError (a 500) in TMF620 date-time filters (v4 and v5), Offer Library `property`
date filters, decisioning report windows and interaction-event timestamps. They now read as the
first or last instant (resources/dates.py `in_utc`; the last is 9999-12-31T23:59:59.999Z, where
SQLite's julianday() ends, so both stores compare it); a report window whose end lies in the first
week of the year 1 starts at the first instant.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from offer_catalog.store import Store
from support.offer_library import BASE, auth, instance_type, make_container

EARLIEST = "0001-01-01T00:00:00+01:00"  # 0000-12-31T23:00:00Z
LATEST = "9999-12-31T23:59:59-01:00"  # 10000-01-01T00:59:59Z
TMF_BASES = ("/tmf-api/productCatalogManagement/v4", "/tmf-api/productCatalogManagement/v5")


@pytest.mark.parametrize("base", TMF_BASES)
def test_tmf620_date_time_filters_take_instants_beyond_the_utc_years(client: TestClient, base: str) -> None:
    body = {
        "name": "dated",
        "@type": "ProductOffering",
        "validFor": {"startDateTime": "2020-01-01T00:00:00Z"},
    }
    created = client.post(f"{base}/productOffering", json=body)
    assert created.status_code == 201, created.text
    own = created.json()["id"]

    def ids(query: str) -> list[str]:
        answer = client.get(f"{base}/productOffering?{query}")
        assert answer.status_code == 200, (query, answer.text)
        return [item["id"] for item in answer.json()]

    for member in ("lastUpdate", "validFor.startDateTime"):
        assert ids(f"{member}.gt={quote(EARLIEST)}") == [own], member
        assert ids(f"{member}.lt={quote(LATEST)}") == [own], member
        assert ids(f"{member}.lt={quote(EARLIEST)}") == [], member
        assert ids(f"{member}.gt={quote(LATEST)}") == [], member
        assert ids(f"{member}={quote(LATEST)}") == [], member


def test_offer_library_date_filters_take_instants_beyond_the_utc_years(
    client: TestClient, store: Store
) -> None:
    container = make_container(store)
    headers = {**auth(), "Content-Type": instance_type("tag")}
    made = client.post(
        f"{BASE}/{container}/instances", headers=headers, content=json.dumps({"xdm:name": "t"})
    )
    assert made.status_code == 201, made.text

    def count(condition: str) -> int:
        answer = client.get(f"{BASE}/{container}/instances?property={quote(condition)}", headers=auth())
        assert answer.status_code == 200, (condition, answer.text)
        return int(answer.json()["_embedded"]["count"])

    assert count(f"repo:createdDate>{EARLIEST}") == 1
    assert count(f"repo:createdDate<{LATEST}") == 1
    assert count(f"repo:createdDate<{EARLIEST}") == 0
    assert count(f"repo:createdDate>{LATEST}") == 0


def test_decisioning_report_windows_and_event_timestamps_beyond_the_utc_years(
    client: TestClient, store: Store
) -> None:
    container = make_container(store)
    reports = f"/data/core/ode/{container}/reports"

    def window(query: str) -> tuple[str, str]:
        answer = client.get(f"{reports}?{query}", headers=auth())
        assert answer.status_code == 200, (query, answer.text)
        return answer.json()["from"], answer.json()["to"]

    first, last = "0001-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999000Z"
    assert window(f"from={quote(EARLIEST)}&to={quote(LATEST)}") == (first, last)
    assert window(f"to={quote(EARLIEST)}") == (first, first)
    # The default window is the 7 days before `to`; within the first week it starts at the first instant.
    assert window("to=0001-01-03T00:00:00Z") == (first, "0001-01-03T00:00:00.000000Z")
    assert window("to=0001-01-09T00:00:00Z") == ("0001-01-02T00:00:00.000000Z", "0001-01-09T00:00:00.000000Z")
    # An event's timestamp is read before its proposition is looked up: this one names no proposition.
    event = {
        "eventId": "e1",
        "propositionId": "p1",
        "offerId": "o1",
        "type": "display",
        "timestamp": EARLIEST,
    }
    answer = client.post(
        f"/data/core/ode/{container}/events",
        content=json.dumps(event),
        headers={**auth(), "Content-Type": "application/json"},
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "unknown_proposition"), answer.text
