"""The runtime API's documented forms, each test named after its page, over HTTP on both stores.

Pages: the runtime tutorial (`runtime.md`: the activity-to-offers API, the diagnostics API, the older
decision request with `xdm:offerActivities` and a top-level `xdm:identityMap`, arbitration between
activities by default) and the decisioning API page (`deliver-offers.md`: echoed members).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from offer_catalog.store import Store
from support.offer_library import (
    BASE,
    HTML,
    OM,
    WEB,
    Xcore,
    auth,
    make_container,
    representation,
)

ODE = "/data/core/ode"
WINDOW = {"xdm:startDate": "2020-01-01T00:00:00Z", "xdm:endDate": "2099-01-01T00:00:00Z"}
# personalized-offers/create.md's own example window: it ends before it starts
INVERTED = {"xdm:startDate": "2023-10-25T16:00:00Z", "xdm:endDate": "2021-11-01T16:00:00Z"}
IDENTITY = {"Email": [{"xdm:id": "joe@example.com"}]}


def _offer(name: str, placements: list[str], tag: str, priority: int, **extra: Any) -> dict[str, Any]:
    return {
        "xdm:name": name,
        "xdm:status": extra.pop("status", "approved"),
        "xdm:representations": [representation(p, f"<p>{name}</p>") for p in placements],
        "xdm:selectionConstraint": extra.pop("window", WINDOW),
        "xdm:rank": {"xdm:priority": priority},
        "xdm:tags": [tag],
    }


def _activity(name: str, placement: str, collection: str, fallback: str) -> dict[str, Any]:
    return {
        "xdm:name": name,
        "xdm:status": "live",
        "xdm:criteria": [{"xdm:placements": [placement], "xdm:optionSelection": {"xdm:filter": collection}}],
        "xdm:fallback": fallback,
    }


class Runtime:
    """A container with two activities over one collection, and the runtime calls."""

    def __init__(self, client: TestClient, container: str):
        self.client, self.container = client, container
        xc = self.xc = Xcore(client, container)
        ids: dict[str, str] = {}
        self.ids = ids
        ids["web"] = xc.make_id(
            "offer-placement", {"xdm:name": "web", "xdm:channel": WEB, "xdm:componentType": HTML}
        )
        ids["mail"] = xc.make_id(
            "offer-placement", {"xdm:name": "mail", "xdm:channel": WEB, "xdm:componentType": HTML}
        )
        tag = xc.make_id("tag", {"xdm:name": "all"})
        ids["best"] = xc.make_id("personalized-offer", _offer("best", [ids["web"]], tag, 10))
        ids["second"] = xc.make_id("personalized-offer", _offer("second", [ids["web"]], tag, 5))
        ids["draft"] = xc.make_id(
            "personalized-offer", _offer("draft", [ids["web"]], tag, 90, status="draft")
        )
        ids["inverted"] = xc.make_id(
            "personalized-offer", _offer("inverted", [ids["web"]], tag, 99, window=INVERTED)
        )
        ids["mail_only"] = xc.make_id("personalized-offer", _offer("mail_only", [ids["mail"]], tag, 50))
        collection = xc.make_id(
            "offer-filter", {"xdm:name": "all", "xdm:filterType": "anyTags", "xdm:ids": [tag]}
        )
        ids["fallback"] = xc.make_id(
            "fallback-offer",
            {
                "xdm:name": "fallback",
                "xdm:status": "approved",
                "xdm:representations": [representation(ids["web"])],
            },
        )
        self.collection = collection
        ids["a"] = xc.make_id("offer-activity", _activity("a", ids["web"], collection, ids["fallback"]))
        ids["b"] = xc.make_id("offer-activity", _activity("b", ids["web"], collection, ids["fallback"]))
        self.names = {v: k for k, v in ids.items()}

    def get(self, path: str, **headers: str) -> Any:
        return self.client.request("GET", f"{ODE}/{self.container}/{path}", headers={**auth(), **headers})

    def decide(self, body: Any, url: str | None = None, **headers: str) -> Any:
        sent = {
            **auth(),
            "Content-Type": "application/json",
            "Accept": "application/json, application/problem+json",
            **headers,
        }
        url = url or f"{ODE}/{self.container}/decisions"
        return self.client.request("POST", url, headers=sent, content=json.dumps(body))

    def picks(self, response: Any) -> list[list[str]]:
        assert response.status_code == 200, response.text
        out = []
        for proposition in response.json()["xdm:propositions"]:
            options = proposition.get("xdm:options") or [proposition["xdm:fallback"]]
            out.append([self.names[o["xdm:id"]] for o in options])
        return out


@pytest.fixture
def rt(client: TestClient, store: Store) -> Runtime:
    return Runtime(client, make_container(store))


# --- runtime.md "Effects of placements, filters and lifecycle states": the activity-to-offers API ----


def test_runtime_md_activity_offers(rt: Runtime) -> None:
    response = rt.get(
        f"offers?activityId={rt.ids['a']}&activityId={rt.ids['b']}", Accept="application/vnd.adobe.xdm+json"
    )
    assert response.status_code == 200, response.text
    items = response.json()["xdm:activityOffers"]
    assert [item["xdm:offerActivity"]["@id"] for item in items] == [rt.ids["a"], rt.ids["b"]]
    for item in items:
        # approved, in the collection, with a representation for the activity's placement, eligible
        # some day: not the draft, not the mail-only offer, not the one whose window ends first
        assert sorted(rt.names[o["@id"]] for o in item["xdm:offers"]) == ["best", "second"]
        assert item["xdm:fallbackOffer"]["@id"] == rt.ids["fallback"]
        for ref in [item["xdm:offerActivity"], item["xdm:fallbackOffer"], *item["xdm:offers"]]:
            assert ref["repo:etag"] == "1"
            href = ref["_links"]["self"]["href"]
            assert href.startswith(f"{BASE}/{rt.container}/instances/")
            instance = rt.client.request("GET", href, headers=auth())
            assert instance.status_code == 200 and instance.json()["_instance"]["@id"] == ref["@id"]


def test_runtime_md_activity_offers_limits(rt: Runtime) -> None:
    assert rt.get("offers").status_code == 400
    unknown = rt.get("offers?activityId=xcore:offer-activity:0000000000000000")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_activity"
    # One @id per value: a comma is part of the id (no activity has one).
    both = rt.get(f"offers?activityId={rt.ids['a']},{rt.ids['b']}")
    assert both.status_code == 404 and both.json()["code"] == "unknown_activity"
    blank = rt.get(f"offers?activityId={rt.ids['a']}&activityId=%20")
    assert blank.status_code == 400 and blank.json()["code"] == "invalid_request"
    many = "&".join(f"activityId=xcore:offer-activity:{i:016x}" for i in range(31))
    assert rt.get(f"offers?{many}").json()["code"] == "too_many_scopes"
    repeated = "&".join([f"activityId={rt.ids['a']}"] * 31)
    assert rt.get(f"offers?{repeated}").json()["code"] == "too_many_scopes"
    other = {**auth(), "x-sandbox-name": "elsewhere"}
    response = rt.client.request(
        "GET", f"{ODE}/{rt.container}/offers?activityId={rt.ids['a']}", headers=other
    )
    assert response.status_code in (403, 404)


# --- runtime.md "Diagnostics API and troubleshooting" --------------------------------------------------


def test_runtime_md_diagnostics_operations(rt: Runtime) -> None:
    response = rt.get("diagnostics", Accept="application/vnd.adobe.xdm+json")
    assert response.status_code == 200, response.text
    operations = response.json()["xdm:operations"]
    catalog, activities = operations["xdm:offerCatalogUpdate"], operations["xdm:activitiesUpdate"]
    assert catalog["xdm:date"].endswith("Z") and activities["xdm:date"] == catalog["xdm:date"]
    assert activities["xdm:errors"] == []
    # the offer stored with personalized-offers/create.md's window is reported as never eligible
    assert [(e["@id"], e["code"]) for e in catalog["xdm:errors"]] == [(rt.ids["inverted"], "never_eligible")]
    assert "snapshot" in response.json()  # our own figures stay alongside


# --- runtime.md "REST API calls to execute decisions": the older request shape ------------------------


def _older(rt: Runtime, *activities: str, **extra: Any) -> dict[str, Any]:
    return {
        "xdm:dryRun": False,
        "xdm:validateContextData": False,
        "xdm:offerActivities": [{"xdm:offerActivity": rt.ids[a]} for a in activities],
        "xdm:identityMap": IDENTITY,
        "xdm:profileModel": "_xdm.context.profile",
        "xdm:contextData": [{"@type": OM + "context;version=1", "xdm:data": {"xdm:weather": "hot"}}],
        **extra,
    }


def test_runtime_md_older_request_arbitrates_between_activities(rt: Runtime) -> None:
    """By default no option is proposed twice across activities: the second takes its second best."""
    response = rt.decide(_older(rt, "a", "b"))
    assert rt.picks(response) == [["best"], ["second"]]
    body = response.json()
    assert [p["xdm:activity"]["xdm:id"] for p in body["xdm:propositions"]] == [rt.ids["a"], rt.ids["b"]]
    assert [p["xdm:placement"]["xdm:id"] for p in body["xdm:propositions"]] == [rt.ids["web"]] * 2
    assert body["xdm:propositionId"] and isinstance(body["ode:createDate"], int)


def test_runtime_md_older_request_duplicates_allowed(rt: Runtime) -> None:
    dup = {"xdm:allowDuplicatePropositions": {"xdm:acrossActivities": True}}
    assert rt.picks(rt.decide(_older(rt, "a", "b", **dup))) == [["best"], ["best"]]


def test_runtime_md_older_request_without_container(rt: Runtime) -> None:
    assert rt.picks(rt.decide(_older(rt, "a"), url="/data/core/ods/decisions")) == [["best"]]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"xdm:offerActivities": []}, 400, "invalid_request"),
        ({"xdm:offerActivities": [{"xdm:id": "x"}]}, 400, "invalid_request"),
        ({"xdm:identityMap": {}}, 400, "missing_identity"),
        ({"xdm:offerActivities": [{"xdm:offerActivity": "xcore:offer-activity:0"}]}, 404, "unknown_activity"),
        ({"xdm:offerActivities": [{"xdm:offerActivity": "x"}] * 31}, 400, "too_many_scopes"),
    ],
)
def test_runtime_md_older_request_errors(rt: Runtime, change: dict[str, Any], status: int, code: str) -> None:
    response = rt.decide(_older(rt, "a") | change)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


# --- deliver-offers.md: echoed members ----------------------------------------------------------------


def test_deliver_offers_md_echoes_decision_request_id(rt: Runtime) -> None:
    def profile(n: int) -> dict[str, Any]:
        return {
            "xdm:identityMap": {"Email": [{"xdm:id": f"p{n}@example.com"}]},
            "xdm:decisionRequestId": f"req-{n}",
        }

    body = {
        "xdm:propositionRequests": [{"xdm:activityId": rt.ids["a"], "xdm:placementId": rt.ids["web"]}],
        "xdm:profiles": [profile(1)],
    }
    one = rt.decide(body)
    assert one.status_code == 200 and one.json()["xdm:decisionRequestId"] == "req-1"
    several = rt.decide(body | {"xdm:profiles": [profile(2), profile(3)]}).json()["xdm:responses"]
    assert [r["xdm:decisionRequestId"] for r in several] == ["req-2", "req-3"]
    older = rt.decide(_older(rt, "a", **{"xdm:decisionRequestId": "req-old"}))
    assert older.json()["xdm:decisionRequestId"] == "req-old"


def test_runtime_md_older_request_errors_point_into_its_body(rt: Runtime) -> None:
    draft = rt.xc.make_id(
        "offer-activity",
        _activity("c", rt.ids["web"], rt.collection, rt.ids["fallback"]) | {"xdm:status": "draft"},
    )
    body = _older(rt, "a") | {
        "xdm:offerActivities": [{"xdm:offerActivity": rt.ids["a"]}, {"xdm:offerActivity": draft}]
    }
    response = rt.decide(body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "activity_not_live"
    assert response.json()["pointer"] == "/xdm:offerActivities/1/xdm:offerActivity"
