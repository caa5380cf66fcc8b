"""Event-counted caps hold under concurrency: 40 decisions and their display events at once on a real server.

PostgreSQL runs `--workers 2`, SQLite one process. Counters of event-counted rules only move up to
their limit, whichever worker takes the event, and once the limit is counted no decision proposes
the offer again.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from api.decisioning.dec_support import Catalog, auth, chosen, decide, decision_request, profile
from integration.test_decide_concurrency import REQUESTS, _counter, served, server
from offer_catalog.decisioning.capping import lifetime_of, rule_key
from offer_catalog.decisioning.model import CapRule

# The test catalog's offers start on 2020-01-01: never-resetting caps count in the 2-year block
# holding today (capping counters restart 2 years after the offer's start date).
LIFETIME = lifetime_of("2020-01-01", datetime.now(UTC).date())

__all__ = ["served", "server"]
CAP = 6


def _decide_and_show(http: httpx.Client, catalog: Catalog, who: str) -> str:
    response = decide(
        http, catalog.container, decision_request(catalog["flash_activity"], catalog["web"], profile(who))
    )
    assert response.status_code == 200, response.text
    name = chosen(response.json(), catalog)[0]
    if name == "flash":
        event = {
            "eventId": f"show-{who}",
            "propositionId": response.json()["xdm:propositionId"],
            "offerId": catalog["flash"],
            "type": "display",
        }
        sent = http.post(
            f"/data/core/ode/{catalog.container}/events",
            content=json.dumps(event),
            headers={**auth(), "Content-Type": "application/json"},
        )
        assert sent.status_code == 200, sent.text
    return name


@pytest.mark.slow
@pytest.mark.parametrize("events", [("impression",), ("decisioning", "impression")])
def test_an_event_cap_is_never_exceeded(server: tuple[str, str, Catalog], events: tuple[str, ...]) -> None:
    url, base, catalog = server
    rule: dict[str, Any] = {
        "xdm:limit": CAP,
        "xdm:scope": "global",
        "xdm:entity": "offer",
        "xdm:events": list(events),
    }
    catalog.xc.patch_id(
        catalog["flash"],
        [
            {"op": "remove", "path": "/_instance/xdm:cappingConstraint"},
            {"op": "add", "path": "/_instance/xdm:frequencyCappingConstraints", "value": [rule]},
        ],
    )
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
    with httpx.Client(base_url=base, timeout=60, limits=limits) as http, ThreadPoolExecutor(REQUESTS) as pool:
        names = list(pool.map(lambda i: _decide_and_show(http, catalog, f"w{i}@x.y"), range(REQUESTS)))
        key = rule_key(
            catalog["flash"], CapRule(CAP, False, False, events=events), catalog["web"], "", None, LIFETIME
        )
        assert _counter(url, key) == CAP  # every proposal was displayed: the counter stops at the limit
        if "decisioning" in events:
            assert names.count("flash") <= CAP  # decisions count too: never more proposals than the limit
        else:
            assert names.count("flash") >= CAP  # only displays count: the counter needed CAP of them
        after = list(pool.map(lambda i: _decide_and_show(http, catalog, f"z{i}@x.y"), range(8)))
    assert after == ["fallback"] * 8
    assert _counter(url, key) == CAP
