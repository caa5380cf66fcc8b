"""The decision log, interaction events and reports over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from dec_support import Catalog, auth, build_catalog, decide, decision_request, make_container, profile
from starlette.testclient import TestClient

from offer_catalog.decisioning.decision_log import SECRET_NAME, DecisionLog
from offer_catalog.decisioning.service import Caches, decide_for
from offer_catalog.store import Store
from offer_catalog.store.decision_log import DecisionItem

JSON_HEADERS = {**auth(), "Content-Type": "application/json"}


def _decide(client: TestClient, cat: Catalog, prof: dict[str, Any], *, items: int = 3, **kw: Any) -> Any:
    response = decide(
        client, cat.container, decision_request(cat["main"], cat["web"], prof, items=items, **kw)
    )
    assert response.status_code == 200, response.text
    return response.json()


def _logged(store: Store, proposition_id: str) -> list[DecisionItem]:
    with store.unit_of_work() as uow:
        return sorted(uow.decision_items([proposition_id]), key=lambda i: (i.rank is None, i.rank))


def _written(store: Store, proposition_id: str) -> list[DecisionItem]:
    """The rows of a decision once the app's log writer has committed them (queued rows: ~50 ms)."""
    for _ in range(500):
        items = _logged(store, proposition_id)
        if items:
            return items
        time.sleep(0.01)
    raise AssertionError(f"no decision log rows for {proposition_id}")


def _post(client: TestClient, container: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    return client.post(
        f"/data/core/ode/{container}/events", content=json.dumps(body), headers=headers or JSON_HEADERS
    )


def _event(
    event_id: str, proposition: str, offer: str, kind: str = "display", **extra: Any
) -> dict[str, Any]:
    return {"eventId": event_id, "propositionId": proposition, "offerId": offer, "type": kind, **extra}


def _stored(store: Store, container: str, proposition: str) -> list[tuple[str, str, str]]:
    with store.unit_of_work() as uow:
        return [(e.event_id, e.offer_id, e.type) for e in uow.interaction_events(container, proposition)]


def test_a_decision_is_logged_with_ranks_change_number_and_a_hashed_profile(
    client: TestClient, store: Store, catalog: Catalog
) -> None:
    result = _decide(client, catalog, profile("a@x.y", tier="gold", segments=("vip",)))
    items = _written(store, result["xdm:propositionId"])
    assert [(i.offer_id, i.rank) for i in items] == [
        (catalog["vip"], 1),
        (catalog["gold"], 2),
        (catalog["adult"], 3),
    ]
    assert {(i.activity_id, i.placement_id, i.scope) for i in items} == {
        (catalog["main"], catalog["web"], catalog.container)
    }
    with store.unit_of_work() as uow:
        assert items[0].change_seq == uow.last_event_seq(catalog.container)
        secret = uow.deployment_secret(SECRET_NAME, "unused")
    expected = hmac.new(secret.encode(), b"profile:Email:a@x.y", hashlib.sha256).hexdigest()
    assert {i.profile_key for i in items} == {expected}
    assert "a@x.y" not in expected


def test_dry_runs_are_not_logged_and_fallbacks_and_caps_are(
    client: TestClient, store: Store, catalog: Catalog
) -> None:
    dry = _decide(client, catalog, profile("b@x.y", tier="gold"), dry_run=True)
    fallback = _decide(client, catalog, profile("c@x.y", age=10))
    assert [(i.offer_id, i.rank) for i in _written(store, fallback["xdm:propositionId"])] == [
        (catalog["fallback"], 0)
    ]
    kid = profile("kid@x.y", age=10, segments=("vip",))  # vip has a profile cap of 2
    for _ in range(2):
        _decide(client, catalog, kid)
    capped = _decide(client, catalog, kid)
    assert [(i.offer_id, i.rank) for i in _written(store, capped["xdm:propositionId"])] == [
        (catalog["fallback"], 0),
        (catalog["vip"], None),
    ]
    assert _logged(store, dry["xdm:propositionId"]) == []  # rows are written in order: later ones are in


def test_plain_and_xdm_events_are_stored_once(client: TestClient, store: Store, catalog: Catalog) -> None:
    result = _decide(client, catalog, profile("d@x.y", tier="gold", segments=("vip",)))
    pid = result["xdm:propositionId"]
    plain = _post(client, catalog.container, _event("e1", pid, catalog["vip"], "impression"))
    assert plain.status_code == 200, plain.text
    assert plain.json() == {"accepted": 1, "duplicates": 0}
    xdm = {
        "_id": "e2",
        "eventType": "decisioning.propositionInteract",
        "timestamp": "2030-05-01T12:00:00+02:00",
        "_experience": {
            "decisioning": {
                "propositionEventType": {"interact": 1},
                "propositions": [{"id": pid, "items": [{"id": catalog["vip"]}, {"id": catalog["gold"]}]}],
            }
        },
    }
    custom = {
        "@id": "e3",
        "xdm:eventType": "commerce.purchases",
        "https://ns.adobe.com/experience/decisioning/propositions": [
            {"xdm:id": pid, "xdm:items": [{"xdm:id": catalog["adult"]}]}
        ],
    }
    batch = _post(
        client, catalog.container, {"events": [xdm, custom, _event("e1", pid, catalog["vip"], "display")]}
    )
    assert batch.status_code == 200, batch.text
    assert batch.json() == {"accepted": 3, "duplicates": 1}
    again = _post(client, catalog.container, [xdm])
    assert again.json() == {"accepted": 0, "duplicates": 2}
    assert sorted(_stored(store, catalog.container, pid)) == sorted(
        [
            ("e1", catalog["vip"], "display"),
            ("e2", catalog["gold"], "click"),
            ("e2", catalog["vip"], "click"),
            ("e3", catalog["adult"], "commerce.purchases"),
        ]
    )


def test_unknown_foreign_and_unproposed_events_are_refused_and_nothing_is_stored(
    client: TestClient, store: Store, catalog: Catalog
) -> None:
    result = _decide(client, catalog, profile("f@x.y", tier="gold"))
    pid = result["xdm:propositionId"]
    good = _event("ok", pid, catalog["gold"])
    other = build_catalog(client, make_container(store, name="other"))
    foreign_pid = _decide(client, other, profile("g@x.y", tier="gold"))["xdm:propositionId"]
    cases = [
        (_event("x1", "no-such-proposition", catalog["gold"]), 404, "unknown_proposition"),
        (_event("x2", foreign_pid, other["gold"]), 404, "unknown_proposition"),
        (_event("x3", pid, catalog["vip"]), 422, "offer_not_proposed"),
    ]
    for bad, status, code in cases:
        response = _post(client, catalog.container, [good, bad])
        assert response.status_code == status, response.text
        assert response.json()["code"] == code
        assert response.json()["pointer"] == "/1"
    assert _stored(store, catalog.container, pid) == []
    stranger = {**auth(org="OTHER@AdobeOrg"), "Content-Type": "application/json"}
    assert _post(client, catalog.container, [good], headers=stranger).status_code == 404
    assert _stored(store, catalog.container, pid) == []


def test_malformed_events_are_400_with_a_pointer(client: TestClient, catalog: Catalog) -> None:
    cases: list[tuple[Any, str]] = [
        ([], ""),
        ([{"eventId": "a", "offerId": "o", "type": "display"}], "/0/propositionId"),
        (
            {
                "events": [
                    {
                        "eventId": "a",
                        "propositionId": "p",
                        "offerId": "o",
                        "type": "display",
                        "timestamp": "noon",
                    }
                ]
            },
            "/events/0/timestamp",
        ),
        (
            {"eventType": "decisioning.propositionDisplay", "_id": "x", "_experience": {"decisioning": {}}},
            "/_experience/decisioning/propositions",
        ),
        (
            [
                {
                    "_id": "x",
                    "eventType": "decisioning.propositionDisplay",
                    "_experience": {"decisioning": {"propositions": [{"id": "p", "items": []}]}},
                }
            ],
            "/0/_experience/decisioning/propositions/0/items",
        ),
        ([7], "/0"),
    ]
    for body, pointer in cases:
        response = _post(client, catalog.container, body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["code"] == "invalid_event"
        assert response.json()["pointer"] == pointer
    xml = {**JSON_HEADERS, "Content-Type": "text/xml"}
    assert _post(client, catalog.container, [], headers=xml).status_code == 415


def test_reports_count_decisions_events_ctr_fallbacks_and_caps(
    client: TestClient, store: Store, catalog: Catalog
) -> None:
    pids = [
        _decide(client, catalog, profile(f"p{i}@x.y", tier="gold"), items=1)["xdm:propositionId"]
        for i in range(4)
    ]
    _decide(client, catalog, profile("q@x.y", age=10))  # fallback
    kid = profile("kid@x.y", age=10, segments=("vip",))
    for _ in range(3):
        _decide(client, catalog, kid, items=1)  # vip twice, then capped out: fallback
    events = [_event(f"i{n}", pid, catalog["gold"]) for n, pid in enumerate(pids)]
    events.append(_event("c0", pids[0], catalog["gold"], "click"))
    assert _post(client, catalog.container, events).json() == {"accepted": 5, "duplicates": 0}

    def rows(group: str, **params: str) -> dict[str, dict[str, Any]]:
        response = client.get(
            f"/data/core/ode/{catalog.container}/reports", params={"groupBy": group, **params}, headers=auth()
        )
        assert response.status_code == 200, response.text
        return {row[group]: row for row in response.json()["rows"]}

    by_activity = rows("activity")
    main = by_activity[catalog["main"]]
    assert (main["decisions"], main["impressions"], main["clicks"], main["ctr"]) == (8, 4, 1, 0.25)
    assert (main["fallbacks"], main["fallbackRate"], main["cappedOut"]) == (2, 0.25, 1)
    assert rows("placement")[catalog["web"]]["decisions"] == 8
    by_offer = rows("offer")
    assert by_offer[catalog["gold"]]["proposals"] == 4 and by_offer[catalog["gold"]]["ctr"] == 0.25
    assert by_offer[catalog["vip"]]["proposals"] == 2 and by_offer[catalog["vip"]]["cappedOut"] == 1
    assert by_offer[catalog["fallback"]]["fallbackRate"] == 1.0
    past = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    assert rows("offer", to=past) == {}
    # A window that ends before it starts (or where it starts) holds nothing: an empty report.
    assert rows("offer", **{"from": past, "to": past}) == {}
    assert rows("activity", **{"from": datetime.now(UTC).isoformat(), "to": past}) == {}
    for params, code in (
        ({"groupBy": "profile"}, "invalid_report"),
        ({"from": "yesterday"}, "invalid_report"),
        ({"from": "2026-11-01"}, "invalid_report"),
        ({"to": "2026-11-01T00:00:00"}, "invalid_report"),
    ):
        response = client.get(f"/data/core/ode/{catalog.container}/reports", params=params, headers=auth())
        assert response.status_code == 422 and response.json()["code"] == code
    assert (
        client.get(
            f"/data/core/ode/{catalog.container}/reports", headers=auth(org="OTHER@AdobeOrg")
        ).status_code
        == 404
    )


def _pid(decision: Any) -> str:
    return str(decision.result.response["xdm:propositionId"])


def test_retention_deletes_old_rows_and_a_configured_secret_keys_profiles(
    store: Store, catalog: Catalog
) -> None:
    caches = Caches(log=DecisionLog(secret="s3cret", retention_days=30))
    body = decision_request(catalog["main"], catalog["web"], profile("old@x.y", tier="gold"))
    now = datetime.now(UTC)

    def decided(at: datetime, log: Caches) -> str:
        decision = decide_for(
            store, container_id=catalog.container, request_body=body, now=at, rng=random.Random(), caches=log
        )
        return _pid(decision)

    old = decided(now - timedelta(days=60), caches)
    recent = decided(now, caches)
    caches.log.deferred.flush()
    old_items = _logged(store, old)
    items = _logged(store, recent)
    assert len(old_items) == len(items) == 1
    assert items[0].profile_key == hmac.new(b"s3cret", b"profile:Email:old@x.y", hashlib.sha256).hexdigest()
    assert caches.log.sweep(store, datetime.now(UTC)) == 0  # swept at most once per interval
    assert caches.log.sweep(store, datetime.now(UTC), force=True) == 1
    assert _logged(store, old) == []
    assert caches.log.sweep(store, datetime.now(UTC) + timedelta(days=31), force=True) == len(items)
    assert _logged(store, recent) == []
    off = Caches(log=DecisionLog(enabled=False))
    silent = decided(now, off)
    off.log.deferred.flush()
    assert _logged(store, silent) == []


def test_the_openapi_document_lists_events_and_reports(client: TestClient) -> None:
    paths = client.get("/data/core/ode/openapi.json").json()["paths"]
    assert "post" in paths["/data/core/ode/{CONTAINER_ID}/events"]
    assert "get" in paths["/data/core/ode/{CONTAINER_ID}/reports"]
