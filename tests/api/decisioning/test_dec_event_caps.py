"""Caps counted on interaction events (xdm:events impression / click / custom), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from dec_support import Catalog, auth, chosen, decide, decision_request, profile
from starlette.testclient import TestClient

from offer_catalog.decisioning.capping import counter_key, lifetime_of, rule_key
from offer_catalog.decisioning.model import CapRule
from offer_catalog.store import Store

# The catalog's offers start on 2020-01-01: their never-resetting caps count in the 2-year block
# holding today (capping counters restart 2 years after the offer's start date).
LIFETIME = lifetime_of("2020-01-01", datetime.now(UTC).date())

JSON_HEADERS = {**auth(), "Content-Type": "application/json"}


def cap_flash(catalog: Catalog, **rule: Any) -> None:
    """Replace the `flash` offer's caps with one frequency capping rule."""
    body = {"xdm:limit": 2, "xdm:scope": "global", "xdm:entity": "offer", **rule}
    catalog.xc.patch_id(
        catalog["flash"],
        [
            {"op": "remove", "path": "/_instance/xdm:cappingConstraint"},
            {"op": "add", "path": "/_instance/xdm:frequencyCappingConstraints", "value": [body]},
        ],
    )


def flash(client: TestClient, catalog: Catalog, who: str) -> tuple[str, str]:
    """(option name, proposition id) of a flash-activity decision for a profile."""
    response = decide(
        client, catalog.container, decision_request(catalog["flash_activity"], catalog["web"], profile(who))
    )
    assert response.status_code == 200, response.text
    return chosen(response.json(), catalog)[0], response.json()["xdm:propositionId"]


def send(client: TestClient, catalog: Catalog, events: list[dict[str, Any]]) -> dict[str, int]:
    response = client.post(
        f"/data/core/ode/{catalog.container}/events", content=json.dumps(events), headers=JSON_HEADERS
    )
    assert response.status_code == 200, response.text
    result: dict[str, int] = response.json()
    return result


def counter(store: Store, key: str) -> int:
    with store.unit_of_work() as uow:
        return uow.read_counters([key]).get(key, 0)


def test_an_impression_cap_counts_displays_not_decisions(
    client: TestClient, store: Store, catalog: Catalog
) -> None:
    cap_flash(catalog, **{"xdm:events": ["impression"]})
    shown = [flash(client, catalog, f"u{i}@x.y") for i in range(4)]
    assert [name for name, _ in shown] == ["flash"] * 4  # decisions alone do not count
    events = [
        {"eventId": f"d{i}", "propositionId": pid, "offerId": catalog["flash"], "type": "display"}
        for i, (_, pid) in enumerate(shown[:3])
    ]
    events.append(
        {"eventId": "c0", "propositionId": shown[0][1], "offerId": catalog["flash"], "type": "click"}
    )
    assert send(client, catalog, events) == {"accepted": 4, "duplicates": 0}
    key = rule_key(
        catalog["flash"], CapRule(2, False, False, events=("impression",)), catalog["web"], "", None, LIFETIME
    )
    assert counter(store, key) == 2  # the third display is stored but not counted past the limit
    assert counter(store, counter_key(catalog["flash"], "global", None, LIFETIME)) == 0
    assert flash(client, catalog, "late@x.y")[0] == "fallback"
    report = client.get(
        f"/data/core/ode/{catalog.container}/reports", params={"groupBy": "offer"}, headers=auth()
    ).json()
    row = {r["offer"]: r for r in report["rows"]}[catalog["flash"]]
    assert (row["impressions"], row["clicks"]) == (3, 1)


def test_a_profile_click_cap_follows_the_profile(client: TestClient, catalog: Catalog) -> None:
    cap_flash(catalog, **{"xdm:limit": 1, "xdm:scope": "profile", "xdm:events": ["click"]})
    name, pid = flash(client, catalog, "ann@x.y")
    assert name == "flash"
    send(
        client,
        catalog,
        [{"eventId": "v", "propositionId": pid, "offerId": catalog["flash"], "type": "display"}],
    )
    assert flash(client, catalog, "ann@x.y")[0] == "flash"  # a display is not a click
    send(
        client,
        catalog,
        [{"eventId": "k", "propositionId": pid, "offerId": catalog["flash"], "type": "click"}],
    )
    assert flash(client, catalog, "ann@x.y")[0] == "fallback"
    assert flash(client, catalog, "bob@x.y")[0] == "flash"


def test_a_custom_event_cap_counts_events_matching_its_query(client: TestClient, catalog: Catalog) -> None:
    cap_flash(
        catalog,
        **{"xdm:limit": 1, "xdm:events": ["custom"], "xdm:customQuery": 'eventType = "commerce.purchases"'},
    )
    _, pid = flash(client, catalog, "cy@x.y")
    send(
        client,
        catalog,
        [{"eventId": "o", "propositionId": pid, "offerId": catalog["flash"], "type": "web.other"}],
    )
    assert flash(client, catalog, "cy@x.y")[0] == "flash"
    send(
        client,
        catalog,
        [{"eventId": "p", "propositionId": pid, "offerId": catalog["flash"], "type": "commerce.purchases"}],
    )
    assert flash(client, catalog, "dee@x.y")[0] == "fallback"


def test_a_rule_counting_decisions_and_impressions_counts_both(
    client: TestClient, store: Store, catalog: Catalog
) -> None:
    cap_flash(catalog, **{"xdm:limit": 3, "xdm:events": ["decisioning", "impression"]})
    first = flash(client, catalog, "e1@x.y")
    second = flash(client, catalog, "e2@x.y")
    assert [first[0], second[0]] == ["flash", "flash"]
    send(
        client,
        catalog,
        [{"eventId": "x", "propositionId": first[1], "offerId": catalog["flash"], "type": "display"}],
    )
    rule = CapRule(3, False, False, events=("decisioning", "impression"))
    assert counter(store, rule_key(catalog["flash"], rule, catalog["web"], "", None, LIFETIME)) == 3
    assert flash(client, catalog, "e3@x.y")[0] == "fallback"
