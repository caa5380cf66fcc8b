"""Helpers for the decisioning API tests: tenancy headers, a catalog built over the Offer Library API."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import support.offer_library
from support.offer_library import OM, PATCH_HAL, RECEIPT, SCHEMAS, Http, Xcore

__all__ = ["OM", "PATCH_HAL", "RECEIPT", "SCHEMAS"]

XCORE = "/data/core/xcore"
ORG = "DECIDE1@AdobeOrg"
SANDBOX = "prod"
REQUEST_TYPE = f'application/vnd.adobe.xdm+json; schema="{OM}decision-request;version=1.0"'
RESPONSE_TYPE = f'application/vnd.adobe.xdm+json; schema="{OM}decision-response;version=1.0"'
WEB = "https://ns.adobe.com/xdm/channel-types/web"
HTML = OM + "content-component-html"
WINDOW = {"xdm:startDate": "2020-01-01T00:00:00Z", "xdm:endDate": "2099-01-01T00:00:00Z"}


def auth(org: str = ORG, sandbox: str = SANDBOX) -> dict[str, str]:
    """The four tenancy headers."""
    return {
        "Authorization": "Bearer test-token",
        "x-api-key": "decide-tests",
        "x-gw-ims-org-id": org,
        "x-sandbox-name": sandbox,
    }


make_container = partial(support.offer_library.make_container, org=ORG, sandbox=SANDBOX)
"""A container of the decisioning tests' tenant, made as `offer-catalog containers create` does."""


def representation(placement: str, content: str) -> dict[str, Any]:
    return {
        "xdm:channel": WEB,
        "xdm:placement": placement,
        "xdm:components": [{"@type": HTML, "dc:format": "text/html", "xdm:content": content}],
    }


def offer(
    name: str,
    placements: list[str],
    *,
    priority: int,
    tags: list[str],
    rule: str | None = None,
    status: str = "approved",
    caps: dict[str, int] | None = None,
) -> dict[str, Any]:
    constraint: dict[str, Any] = dict(WINDOW)
    if rule:
        constraint["xdm:eligibilityRule"] = rule
    body: dict[str, Any] = {
        "xdm:name": name,
        "xdm:status": status,
        "xdm:representations": [representation(p, f"<p>{name}</p>") for p in placements],
        "xdm:selectionConstraint": constraint,
        "xdm:rank": {"xdm:priority": priority},
        "xdm:tags": tags,
    }
    if caps:
        body["xdm:cappingConstraint"] = {f"xdm:{k}": v for k, v in caps.items()}
    return body


def rule(name: str, pql: str) -> dict[str, Any]:
    return {
        "xdm:name": name,
        "xdm:condition": {"xdm:type": "PQL", "xdm:format": "pql/text", "xdm:value": pql},
    }


def activity(name: str, placement: str, collection: str, fallback: str) -> dict[str, Any]:
    return {
        "xdm:name": name,
        "xdm:status": "live",
        "xdm:criteria": [
            {
                "xdm:placements": [placement],
                "xdm:optionSelection": {"xdm:filter": collection},
                "xdm:profileConstraints": {"xdm:profileConstraintType": "none"},
                "xdm:ranking": {"xdm:priority": 0},
            }
        ],
        "xdm:fallback": fallback,
    }


@dataclass
class Catalog:
    """The @ids of the test catalog."""

    container: str
    xc: Xcore
    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


def build_catalog(http: Http, container: str, *, global_cap: int = 10) -> Catalog:
    """Placements, tags, collections, rules, offers (one draft, two capped), a fallback, two activities.

    Activity `main` on placement `web` proposes from collection `all` (tag `t_all`):
    `vip` (priority 60, profileCap 2, rule: segment vip), `gold` (50, rule: tier gold),
    `adult` (40, rule: age >= 18), `draft` (100, draft: never). Activity `flash` on `web`
    proposes `flash` (priority 10, globalCap `global_cap`, no rule) from collection `flash`.
    """
    xc = Xcore(http, container, auth())
    cat = Catalog(container, xc)
    ids = cat.ids
    ids["web"] = xc.make_id(
        "offer-placement", {"xdm:name": "Web banner", "xdm:channel": WEB, "xdm:componentType": HTML}
    )
    ids["mail"] = xc.make_id(
        "offer-placement", {"xdm:name": "Email", "xdm:channel": WEB, "xdm:componentType": HTML}
    )
    ids["t_all"] = xc.make_id("tag", {"xdm:name": "all offers"})
    ids["t_flash"] = xc.make_id("tag", {"xdm:name": "flash sale"})
    ids["r_vip"] = xc.make_id("eligibility-rule", rule("vip", 'inSegment("vip")'))
    ids["r_gold"] = xc.make_id("eligibility-rule", rule("gold", 'loyalty.tier = "gold"'))
    ids["r_adult"] = xc.make_id("eligibility-rule", rule("adult", "person.age >= 18"))
    both = [ids["web"], ids["mail"]]
    ids["vip"] = xc.make_id(
        "personalized-offer",
        offer("vip", both, priority=60, tags=[ids["t_all"]], rule=ids["r_vip"], caps={"profileCap": 2}),
    )
    ids["gold"] = xc.make_id(
        "personalized-offer", offer("gold", both, priority=50, tags=[ids["t_all"]], rule=ids["r_gold"])
    )
    ids["adult"] = xc.make_id(
        "personalized-offer", offer("adult", both, priority=40, tags=[ids["t_all"]], rule=ids["r_adult"])
    )
    ids["draft"] = xc.make_id(
        "personalized-offer", offer("draft", both, priority=100, tags=[ids["t_all"]], status="draft")
    )
    ids["flash"] = xc.make_id(
        "personalized-offer",
        offer("flash", both, priority=10, tags=[ids["t_flash"]], caps={"globalCap": global_cap}),
    )
    ids["all"] = xc.make_id(
        "offer-filter", {"xdm:name": "all", "xdm:filterType": "anyTags", "xdm:ids": [ids["t_all"]]}
    )
    ids["c_flash"] = xc.make_id(
        "offer-filter", {"xdm:name": "flash", "xdm:filterType": "anyTags", "xdm:ids": [ids["t_flash"]]}
    )
    ids["fallback"] = xc.make_id(
        "fallback-offer",
        {
            "xdm:name": "fallback",
            "xdm:status": "approved",
            "xdm:representations": [representation(p, "<p>fallback</p>") for p in both],
        },
    )
    ids["main"] = xc.make_id("offer-activity", activity("main", ids["web"], ids["all"], ids["fallback"]))
    ids["flash_activity"] = xc.make_id(
        "offer-activity", activity("flash", ids["web"], ids["c_flash"], ids["fallback"])
    )
    return cat


def profile(
    ident: str, *, age: int = 30, tier: str = "bronze", segments: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A request profile with an email identity, attributes and segment membership."""
    return {
        "xdm:identityMap": {"Email": [{"xdm:id": ident}]},
        "xdm:profileData": {
            "person": {"age": age},
            "loyalty": {"tier": tier},
            "segmentMembership": {"ups": {s: {"status": "realized"} for s in segments}},
        },
        "xdm:decisionRequestId": f"req-{ident}",
    }


def decision_request(
    activity_id: str,
    placement: str,
    prof: dict[str, Any],
    *,
    items: int = 1,
    dry_run: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "xdm:propositionRequests": [
            {"xdm:activityId": activity_id, "xdm:placementId": placement, "xdm:itemCount": items}
        ],
        "xdm:profiles": [prof],
        "xdm:responseFormat": {"xdm:includeContent": True, "xdm:includeMetadata": {"xdm:option": ["name"]}},
    }
    if dry_run:
        body["xdm:dryRun"] = True
    body.update(extra)
    return body


def decide(
    http: Http,
    container: str | None,
    body: Any,
    *,
    headers: dict[str, str] | None = None,
    content_type: str = REQUEST_TYPE,
) -> Any:
    """POST a decision request to /ode/{container}/decisions, or to /ods/decisions when container is None."""
    url = "/data/core/ods/decisions" if container is None else f"/data/core/ode/{container}/decisions"
    sent = {**(headers or auth()), "Content-Type": content_type, "Accept": RESPONSE_TYPE}
    content = body if isinstance(body, str | bytes) else json.dumps(body)
    return http.request("POST", url, headers=sent, content=content)


def chosen(response_body: dict[str, Any], catalog: Catalog) -> list[str]:
    """Names of the options (or `fallback`) of the first proposition."""
    names = {v: k for k, v in catalog.ids.items()}
    proposition = response_body["xdm:propositions"][0]
    if "xdm:fallback" in proposition:
        assert "xdm:options" not in proposition
        return [names[proposition["xdm:fallback"]["xdm:id"]]]
    return [names[o["xdm:id"]] for o in proposition["xdm:options"]]
