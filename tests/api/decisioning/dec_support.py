"""Helpers for the decisioning API tests: tenancy headers, a catalog built over the Offer Library API."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from api.offer_library.ol_support import OM, PATCH_HAL, RECEIPT, SCHEMAS
from offer_catalog.documents.model import Actor
from offer_catalog.offer_library.containers import create_container
from offer_catalog.store import Store

__all__ = ["OM", "PATCH_HAL", "RECEIPT", "SCHEMAS"]

XCORE = "/data/core/xcore"
ORG = "DECIDE1@AdobeOrg"
SANDBOX = "prod"
REQUEST_TYPE = f'application/vnd.adobe.xdm+json; schema="{OM}decision-request;version=1.0"'
RESPONSE_TYPE = f'application/vnd.adobe.xdm+json; schema="{OM}decision-response;version=1.0"'
WEB = "https://ns.adobe.com/xdm/channel-types/web"
HTML = OM + "content-component-html"
WINDOW = {"xdm:startDate": "2020-01-01T00:00:00Z", "xdm:endDate": "2099-01-01T00:00:00Z"}


class Http(Protocol):
    """The part of a Starlette TestClient or an httpx.Client the helpers use."""

    def request(self, method: str, url: str, **kwargs: Any) -> Any: ...


def auth(org: str = ORG, sandbox: str = SANDBOX) -> dict[str, str]:
    """The four tenancy headers."""
    return {
        "Authorization": "Bearer test-token",
        "x-api-key": "decide-tests",
        "x-gw-ims-org-id": org,
        "x-sandbox-name": sandbox,
    }


def make_container(store: Store, org: str = ORG, sandbox: str = SANDBOX, name: str = "decisions") -> str:
    """A container made through the service, as `offer-catalog containers create` does."""
    with store.unit_of_work(write=True) as uow:
        return create_container(uow, org=org, sandbox=sandbox, name=name, actor=Actor("ops", "cli")).id


class Xcore:
    """Create and patch instances of one container over the Offer Library API."""

    def __init__(self, http: Http, container: str, headers: dict[str, str] | None = None):
        self.http = http
        self.container = container
        self.headers = headers or auth()
        self.instance_ids: dict[str, str] = {}  # @id -> instanceId

    def make(self, kind: str, body: dict[str, Any]) -> str:
        """Create an instance; return its @id."""
        headers = {
            **self.headers,
            "Content-Type": f'application/schema-instance+json; version=1; schema="{SCHEMAS[kind]}"',
            "Accept": RECEIPT,
        }
        url = f"{XCORE}/{self.container}/instances"
        response = self.http.request("POST", url, headers=headers, content=json.dumps(body))
        assert response.status_code == 201, response.text
        receipt = response.json()
        self.instance_ids[receipt["@id"]] = receipt["instanceId"]
        return str(receipt["@id"])

    def patch(self, at_id: str, ops: list[dict[str, Any]]) -> None:
        """Apply a JSON Patch to an instance (paths under /_instance/)."""
        headers = {**self.headers, "Content-Type": PATCH_HAL, "Accept": RECEIPT}
        url = f"{XCORE}/{self.container}/instances/{self.instance_ids[at_id]}"
        response = self.http.request("PATCH", url, headers=headers, content=json.dumps(ops))
        assert response.status_code == 200, response.text


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
    xc = Xcore(http, container)
    cat = Catalog(container, xc)
    ids = cat.ids
    ids["web"] = xc.make(
        "offer-placement", {"xdm:name": "Web banner", "xdm:channel": WEB, "xdm:componentType": HTML}
    )
    ids["mail"] = xc.make(
        "offer-placement", {"xdm:name": "Email", "xdm:channel": WEB, "xdm:componentType": HTML}
    )
    ids["t_all"] = xc.make("tag", {"xdm:name": "all offers"})
    ids["t_flash"] = xc.make("tag", {"xdm:name": "flash sale"})
    ids["r_vip"] = xc.make("eligibility-rule", rule("vip", 'inSegment("vip")'))
    ids["r_gold"] = xc.make("eligibility-rule", rule("gold", 'loyalty.tier = "gold"'))
    ids["r_adult"] = xc.make("eligibility-rule", rule("adult", "person.age >= 18"))
    both = [ids["web"], ids["mail"]]
    ids["vip"] = xc.make(
        "personalized-offer",
        offer("vip", both, priority=60, tags=[ids["t_all"]], rule=ids["r_vip"], caps={"profileCap": 2}),
    )
    ids["gold"] = xc.make(
        "personalized-offer", offer("gold", both, priority=50, tags=[ids["t_all"]], rule=ids["r_gold"])
    )
    ids["adult"] = xc.make(
        "personalized-offer", offer("adult", both, priority=40, tags=[ids["t_all"]], rule=ids["r_adult"])
    )
    ids["draft"] = xc.make(
        "personalized-offer", offer("draft", both, priority=100, tags=[ids["t_all"]], status="draft")
    )
    ids["flash"] = xc.make(
        "personalized-offer",
        offer("flash", both, priority=10, tags=[ids["t_flash"]], caps={"globalCap": global_cap}),
    )
    ids["all"] = xc.make(
        "offer-filter", {"xdm:name": "all", "xdm:filterType": "anyTags", "xdm:ids": [ids["t_all"]]}
    )
    ids["c_flash"] = xc.make(
        "offer-filter", {"xdm:name": "flash", "xdm:filterType": "anyTags", "xdm:ids": [ids["t_flash"]]}
    )
    ids["fallback"] = xc.make(
        "fallback-offer",
        {
            "xdm:name": "fallback",
            "xdm:status": "approved",
            "xdm:representations": [representation(p, "<p>fallback</p>") for p in both],
        },
    )
    ids["main"] = xc.make("offer-activity", activity("main", ids["web"], ids["all"], ids["fallback"]))
    ids["flash_activity"] = xc.make(
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
