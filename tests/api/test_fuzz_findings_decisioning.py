"""Fuzz findings in decisioning: values at the edges of the calendar and of integers.

- An offer whose `xdm:selectionConstraint` dates are valid RFC 3339 but outside the years 1-9999 in
  UTC (`0001-01-01T00:00:00+01:00`, `9999-12-31T23:59:59-01:00`) was stored (201) and then broke every
  decision and the diagnostics of its container (500: OverflowError compiling the snapshot), and so did
  one in the last millisecond of 9999-12-31 (its epoch seconds name the year 10000). Such a date now
  reads as the first or last instant (9999-12-31T23:59:59.999Z).
- PQL: `occurs on` a date-only `9999-12-31` (its day's end overflowed) and `date(y, m, d)` with a
  profile integer beyond a C long answered 500; the day now ends with the calendar and the date is
  missing (the rule is false), as for any other impossible date.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

from api.decisioning.dec_support import (
    auth,
    build_catalog,
    chosen,
    decide,
    decision_request,
    make_container,
    offer,
    profile,
    rule,
)
from offer_catalog.store import Store
from support.offer_library import instance_type

XCORE = "/data/core/xcore"


def _create(client: TestClient, container: str, kind: str, body: dict[str, Any]) -> str:
    return _receipt(client, container, kind, body)["@id"]


def _receipt(client: TestClient, container: str, kind: str, body: dict[str, Any]) -> dict[str, str]:
    made = client.post(
        f"{XCORE}/{container}/instances",
        headers={**auth(), "Content-Type": instance_type(kind)},
        content=json.dumps(body),
    )
    assert made.status_code == 201, made.text
    return {name: str(made.json()[name]) for name in ("@id", "instanceId")}


def test_an_offer_dated_beyond_the_utc_years_is_decided_on(client: TestClient, store: Store) -> None:
    catalog = build_catalog(client, make_container(store))
    edge = offer("edge", [catalog["web"]], priority=99, tags=[catalog["t_all"]])
    edge["xdm:selectionConstraint"] = {
        "xdm:startDate": "0001-01-01T00:00:00+01:00",
        "xdm:endDate": "9999-12-31T23:59:59-01:00",
    }
    catalog.ids["edge"] = _create(client, catalog.container, "personalized-offer", edge)

    # Its last millisecond of the year 9999: epoch seconds that round up to the year 10000.
    late = offer("late", [catalog["web"]], priority=98, tags=[catalog["t_all"]])
    late["xdm:selectionConstraint"] = {
        "xdm:startDate": "9999-12-31T23:59:59.9999Z",
        "xdm:endDate": "9999-12-31T23:59:59.99999Z",
    }
    catalog.ids["late"] = _create(client, catalog.container, "personalized-offer", late)

    for explain in (False, True):
        person = profile(f"e{explain}@x.y")
        request = decision_request(catalog["main"], catalog["web"], person, **{"xdm:explain": explain})
        answer = decide(client, catalog.container, request)
        assert answer.status_code == 200, answer.text
        assert chosen(answer.json(), catalog) == ["edge"]
    diagnostics = client.get(f"/data/core/ode/{catalog.container}/diagnostics", headers=auth())
    assert diagnostics.status_code == 200, diagnostics.text


def test_pql_dates_at_the_calendar_edges_are_values_not_errors(client: TestClient, store: Store) -> None:
    catalog = build_catalog(client, make_container(store))
    cases = (
        # (rule, profile attributes, whether the offer is proposed)
        ("person.d occurs on person.e", {"d": "9999-12-31T12:00:00Z", "e": "9999-12-31"}, True),
        ("person.d occurs before person.e", {"d": "2020-01-01T00:00:00Z", "e": "9999-12-31"}, True),
        ("person.d occurs after date(person.n, 1, 1)", {"d": "2020-01-01", "n": -(2**63)}, False),
        ("person.d occurs before person.e", {"d": "0001-01-01T00:00:00+01:00", "e": "0001-01-02"}, True),
    )
    for index, (pql, attributes, proposed) in enumerate(cases):
        rule_id = _create(client, catalog.container, "eligibility-rule", rule(f"edge{index}", pql))
        body = offer(f"edge{index}", [catalog["web"]], priority=99, tags=[catalog["t_all"]], rule=rule_id)
        made = _receipt(client, catalog.container, "personalized-offer", body)
        catalog.ids[f"edge{index}"] = made["@id"]
        person = profile(f"p{index}@x.y")
        person["xdm:profileData"]["person"].update(attributes)
        request = decision_request(catalog["main"], catalog["web"], person, dry_run=True)
        answer = decide(client, catalog.container, request)
        assert answer.status_code == 200, (pql, answer.text)
        assert (chosen(answer.json(), catalog)[0] == f"edge{index}") is proposed, (pql, answer.json())
        # This case's offer leaves the catalog before the next case adds its own.
        gone = client.delete(f"{XCORE}/{catalog.container}/instances/{made['instanceId']}", headers=auth())
        assert gone.status_code == 202, gone.text


def test_activity_ids_are_blank_or_spaced_as_the_document_reads_them(
    client: TestClient, store: Store
) -> None:
    # The document's pattern for `activityId` is ECMA 262's `\S`: U+0085 and U+001E are text there
    # (Python's str.strip took them for spaces and answered 400 "blank" to a schema-valid request).
    catalog = build_catalog(client, make_container(store))
    url = f"/data/core/ode/{catalog.container}/offers"
    for text in ("\u0085", "\x1e"):
        unknown = client.get(url, params={"activityId": text}, headers=auth())
        assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_activity", unknown.text
    for blank in (" ", "\u00a0\t", "\u3000"):
        refused = client.get(url, params={"activityId": blank}, headers=auth())
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_request", refused.text
    spaced = client.get(url, params={"activityId": f"\u00a0{catalog['main']} "}, headers=auth())
    assert spaced.status_code == 200, spaced.text
