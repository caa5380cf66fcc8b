"""Builders of Offer Library instances and decision requests for the engine tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from offer_catalog.decisioning.catalog import build_snapshot
from offer_catalog.decisioning.engine import DecisionResult, decide
from offer_catalog.decisioning.model import Snapshot

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # a Sunday
WEB = "xcore:offer-placement:web"
MAIL = "xcore:offer-placement:mail"
ACT = "xcore:offer-activity:a1"
FALLBACK = "xcore:fallback-offer:f1"


def component(text: str) -> dict[str, Any]:
    return {
        "@type": "https://ns.adobe.com/experience/offer-management/content-component-html",
        "dc:format": "text/html",
        "dc:language": ["en"],
        "xdm:content": text,
    }


def offer(
    ident: str,
    *,
    priority: int = 0,
    status: str = "approved",
    placements: tuple[str, ...] = (WEB, MAIL),
    start: str = "2026-01-01T00:00:00Z",
    end: str = "2027-01-01T00:00:00Z",
    rule: str | None = None,
    tags: tuple[str, ...] = (),
    caps: dict[str, Any] | None = None,
    frequency: list[dict[str, Any]] | None = None,
    etag: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "xdm:name": f"Offer {ident}",
        "xdm:status": status,
        "xdm:representations": [
            {
                "xdm:channel": "https://ns.adobe.com/xdm/channel-types/web",
                "xdm:placement": p,
                "xdm:components": [component(f"{ident}@{p}")],
            }
            for p in placements
        ],
        "xdm:selectionConstraint": {"xdm:startDate": start, "xdm:endDate": end},
        "xdm:rank": {"xdm:priority": priority},
        "xdm:tags": list(tags),
        "xdm:characteristics": {"code": ident},
        **extra,
    }
    if rule is not None:
        body["xdm:selectionConstraint"]["xdm:eligibilityRule"] = rule
    if caps is not None:
        body["xdm:cappingConstraint"] = caps
    if frequency is not None:
        body["xdm:frequencyCappingConstraints"] = frequency
    return {
        "schema": "personalized-offer",
        "@id": f"xcore:personalized-offer:{ident}",
        "repo:etag": etag,
        "instance": body,
    }


def oid(ident: str) -> str:
    return f"xcore:personalized-offer:{ident}"


def placement(ident: str, **extra: Any) -> dict[str, Any]:
    body = {
        "xdm:name": ident.rsplit(":", 1)[-1],
        "xdm:channel": "https://ns.adobe.com/xdm/channel-types/web",
        **extra,
    }
    return {"schema": "offer-placement", "@id": ident, "repo:etag": 2, "instance": body}


def fallback(ident: str = FALLBACK, placements: tuple[str, ...] = (WEB, MAIL)) -> dict[str, Any]:
    body = {
        "xdm:name": "Fallback",
        "xdm:status": "approved",
        "xdm:representations": [
            {"xdm:placement": p, "xdm:components": [component("fallback")]} for p in placements
        ],
    }
    return {"schema": "fallback-offer", "@id": ident, "repo:etag": 3, "instance": body}


def rule(ident: str, text: str) -> dict[str, Any]:
    body = {
        "xdm:name": ident,
        "xdm:condition": {"xdm:type": "PQL", "xdm:format": "pql/text", "xdm:value": text},
    }
    return {"schema": "eligibility-rule", "@id": ident, "repo:etag": 1, "instance": body}


def ranking(ident: str, text: str) -> dict[str, Any]:
    body = {
        "xdm:name": ident,
        "xdm:expression": {"xdm:type": "PQL", "xdm:format": "pql/text", "xdm:value": text},
    }
    return {"schema": "ranking-function", "@id": ident, "repo:etag": 1, "instance": body}


def collection(ident: str, kind: str, ids: list[str]) -> dict[str, Any]:
    return {
        "schema": "offer-filter",
        "@id": ident,
        "repo:etag": 1,
        "instance": {"xdm:name": ident, "xdm:filterType": kind, "xdm:ids": ids},
    }


def criterion(
    *,
    options: list[str] | None = None,
    filter_id: str | None = None,
    placements: tuple[str, ...] = (WEB, MAIL),
    priority: int = 0,
    constraint: dict[str, Any] | None = None,
    function: str | None = None,
) -> dict[str, Any]:
    selection: dict[str, Any] = {"xdm:options": options} if options is not None else {"xdm:filter": filter_id}
    ranking_details: dict[str, Any] = {"xdm:priority": priority}
    if function is not None:
        ranking_details["xdm:order"] = {
            "xdm:orderEvaluationType": "scoringFunction",
            "xdm:function": function,
        }
    out: dict[str, Any] = {
        "xdm:placements": list(placements),
        "xdm:optionSelection": selection,
        "xdm:ranking": ranking_details,
    }
    if constraint is not None:
        out["xdm:profileConstraints"] = constraint
    return out


def activity(
    criteria: list[dict[str, Any]],
    ident: str = ACT,
    *,
    status: str = "live",
    start: str = "2026-01-01T00:00:00Z",
    end: str = "2027-01-01T00:00:00Z",
    fallback_id: str = FALLBACK,
) -> dict[str, Any]:
    body = {
        "xdm:name": f"Activity {ident}",
        "xdm:status": status,
        "xdm:startDate": start,
        "xdm:endDate": end,
        "xdm:criteria": criteria,
        "xdm:fallback": fallback_id,
    }
    return {"schema": "offer-activity", "@id": ident, "repo:etag": 4, "instance": body}


def catalog(*docs: dict[str, Any]) -> Snapshot:
    """A snapshot with the two placements and the fallback plus `docs`."""
    return build_snapshot([placement(WEB), placement(MAIL), fallback(), *docs])


def request(
    *scopes: tuple[str, str] | tuple[str, str, int],
    profile: dict[str, Any] | None = None,
    context: list[dict[str, Any]] | None = None,
    identity: str = "user@example.com",
    **extra: Any,
) -> dict[str, Any]:
    scopes = scopes or ((ACT, WEB),)
    reqs = []
    for scope in scopes:
        item: dict[str, Any] = {"xdm:activityId": scope[0], "xdm:placementId": scope[1]}
        if len(scope) == 3:
            item["xdm:itemCount"] = scope[2]
        reqs.append(item)
    prof: dict[str, Any] = {"xdm:identityMap": {"Email": [{"xdm:id": identity}]}}
    if profile is not None:
        prof["xdm:profileData"] = profile
    if context is not None:
        prof["xdm:contextData"] = context
    return {"xdm:propositionRequests": reqs, "xdm:profiles": [prof], **extra}


def run(
    snapshot: Snapshot,
    body: dict[str, Any],
    *,
    now: datetime = NOW,
    counters: dict[str, int] | None = None,
    seed: int = 0,
) -> DecisionResult:
    return decide(snapshot, body, now=now, counters=counters or {}, rng=random.Random(seed))


def picked(result: DecisionResult, index: int = 0) -> list[str] | str:
    """Option ids of proposition `index`, or `"fallback:<id>"` when it fell back."""
    proposition = result.response["xdm:propositions"][index]
    if "xdm:fallback" in proposition:
        return "fallback:" + proposition["xdm:fallback"]["xdm:id"]
    return [o["xdm:id"].rsplit(":", 1)[-1] for o in proposition["xdm:options"]]
