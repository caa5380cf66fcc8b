"""The Offer Library test kit: headers, media types, one body builder per kind, one client."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any, Protocol

from offer_catalog.documents.model import Actor
from offer_catalog.offer_library.containers import create_container
from offer_catalog.store import Store

BASE = "/data/core/xcore"
ORG = "ACME123@AdobeOrg"
SANDBOX = "prod"
API_KEY = "acme-client"
OM = "https://ns.adobe.com/experience/offer-management/"
SCHEMAS = {
    "personalized-offer": OM + "personalized-offer;version=0.5",
    "fallback-offer": OM + "fallback-offer;version=0.1",
    "offer-placement": OM + "offer-placement;version=0.4",
    "tag": OM + "tag;version=0.1",
    "offer-filter": OM + "offer-filter;version=0.1",
    "eligibility-rule": OM + "eligibility-rule;version=0.3",
    "ranking-function": OM + "ranking-function;version=0.3",
    "offer-activity": OM + "offer-activity;version=0.5",
}
RECEIPT = "application/vnd.adobe.platform.xcore.xdm.receipt+json; version=1"
HAL = "application/vnd.adobe.platform.xcore.hal+json"
PATCH_HAL = "application/vnd.adobe.platform.xcore.patch.hal+json"
RESULTS = "https://ns.adobe.com/experience/xcore/hal/results"
RECEIPT_MEMBERS = {
    "instanceId",
    "@id",
    "repo:etag",
    "repo:createdDate",
    "repo:lastModifiedDate",
    "repo:createdBy",
    "repo:lastModifiedBy",
    "repo:createdByClientId",
    "repo:lastModifiedByClientId",
}
WEB = "https://ns.adobe.com/xdm/channel-types/web"
HTML = OM + "content-component-html"


def jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT carrying claims (the service reads, never verifies, the payload)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.c2ln"


USER = "user-42@AdobeID"
TOKEN = jwt({"sub": USER, "client_id": API_KEY})
# With authentication off nothing is verified: writes are recorded as this user, never a token's `sub`.
RECORDED_USER = "anonymous"


def auth(org: str = ORG, sandbox: str = SANDBOX, token: str = TOKEN, key: str = API_KEY) -> dict[str, str]:
    """The four headers every call carries."""
    return {
        "Authorization": f"Bearer {token}",
        "x-api-key": key,
        "x-gw-ims-org-id": org,
        "x-sandbox-name": sandbox,
    }


def instance_type(kind: str, envelope: str = "application/schema-instance+json") -> str:
    """A create Content-Type naming a kind."""
    return f'{envelope}; version=1; schema="{SCHEMAS[kind]}"'


def make_container(store: Store, org: str = ORG, sandbox: str = SANDBOX, name: str = "decisions") -> str:
    """A container made through the service (as the CLI does)."""
    with store.unit_of_work(write=True) as uow:
        return create_container(uow, org=org, sandbox=sandbox, name=name, actor=Actor("ops", "cli")).id


# The documented example bodies (reference section 2), with references filled in.
def placement_body(name: str = "Sales Placement") -> dict[str, Any]:
    return {
        "xdm:name": name,
        "xdm:channel": WEB,
        "xdm:componentType": HTML,
        "xdm:description": "A test placement to contain offers",
    }


def tag_body(name: str = "Holiday sales and promotions") -> dict[str, Any]:
    return {"xdm:name": name}


def rule_body(pql: str = 'profile.person.name.firstName.equals("Joe", false)') -> dict[str, Any]:
    return {
        "xdm:name": "Sales rule",
        "description": "Decisioning rule for sales",
        "xdm:condition": {"xdm:type": "PQL", "xdm:format": "pql/text", "xdm:value": pql},
        "xdm:definedOn": {
            "profile": {
                "xdm:schema": {"$ref": "https://ns.adobe.com/xdm/context/profile_union", "version": "1"},
                "xdm:referencePaths": ["person.name.firstName"],
            }
        },
    }


def ranking_body(pql: str = "offer.rank.priority * 2") -> dict[str, Any]:
    return {
        "xdm:name": "Double priority",
        "description": "Ranks by twice the priority",
        "xdm:expression": {"xdm:type": "PQL", "xdm:format": "pql/text", "xdm:value": pql},
    }


def representation(placement: str, content: str = "<p>20% off</p>") -> dict[str, Any]:
    return {
        "xdm:channel": WEB,
        "xdm:placement": placement,
        "xdm:components": [
            {"@type": HTML, "dc:format": "text/html", "dc:language": ["en"], "xdm:content": content}
        ],
    }


def offer_body(
    placement: str, tag: str, rule: str, *, status: str = "draft", name: str = "Sale offer"
) -> dict[str, Any]:
    return {
        "xdm:name": name,
        "xdm:status": status,
        "xdm:representations": [representation(placement)],
        "xdm:selectionConstraint": {
            "xdm:startDate": "2023-10-01T16:00:00Z",
            "xdm:endDate": "2023-12-13T16:00:00Z",
            "xdm:eligibilityRule": rule,
        },
        "xdm:rank": {"xdm:priority": 1},
        "xdm:cappingConstraint": {"xdm:globalCap": 150},
        "xdm:tags": [tag],
        "xdm:characteristics": {"offer_code": "CHECK200"},
    }


def fallback_body(placement: str, status: str = "approved") -> dict[str, Any]:
    return {
        "xdm:name": "Fallback for sales",
        "xdm:status": status,
        "xdm:representations": [
            {
                "xdm:channel": WEB,
                "xdm:placement": placement,
                "xdm:components": [{"@type": HTML, "dc:format": "text/html", "dc:language": ["en"]}],
            }
        ],
    }


def filter_body(ids: list[str], filter_type: str = "anyTags") -> dict[str, Any]:
    return {"xdm:name": "Offer Collection 1", "xdm:filterType": filter_type, "xdm:ids": ids}


def activity_body(placement: str, filter_id: str, rule: str, function: str, fallback: str) -> dict[str, Any]:
    return {
        "xdm:name": "Test API",
        "xdm:status": "live",
        "xdm:startDate": "2022-01-20T16:00:00Z",
        "xdm:endDate": "2022-01-27T16:00:00Z",
        "xdm:criteria": [
            {
                "xdm:placements": [placement],
                "xdm:optionSelection": {"xdm:filter": filter_id},
                "xdm:profileConstraints": {
                    "xdm:profileConstraintType": "eligibilityRule",
                    "xdm:eligibilityRule": rule,
                },
                "xdm:ranking": {
                    "xdm:priority": 0,
                    "xdm:order": {"xdm:orderEvaluationType": "scoringFunction", "xdm:function": function},
                },
            }
        ],
        "xdm:fallback": fallback,
    }


class Http(Protocol):
    """The part of a Starlette TestClient or an httpx.Client the client uses."""

    def request(self, method: str, url: str, **kwargs: Any) -> Any: ...


class Xcore:
    """The Offer Library test client: one container, one caller, over a TestClient or an httpx.Client."""

    def __init__(self, client: Http, container: str, headers: dict[str, str] | None = None):
        self.client = client
        self.container = container
        self.headers = headers or auth()
        self.instance_ids: dict[str, str] = {}  # @id -> instanceId of the instances made here

    @property
    def instances(self) -> str:
        return f"{BASE}/{self.container}/instances"

    def url(self, instance_id: str) -> str:
        return f"{self.instances}/{instance_id}"

    def create(self, kind: str, body: Any, **headers: str) -> Any:
        sent = {**self.headers, "Content-Type": instance_type(kind), "Accept": RECEIPT, **headers}
        return self.client.request("POST", self.instances, headers=sent, content=json.dumps(body))

    def make(self, kind: str, body: Any) -> dict[str, Any]:
        response = self.create(kind, body)
        assert response.status_code == 201, response.text
        receipt: dict[str, Any] = response.json()
        self.instance_ids[receipt["@id"]] = receipt["instanceId"]
        return receipt

    def make_id(self, kind: str, body: Any) -> str:
        """Create an instance; return its @id."""
        return str(self.make(kind, body)["@id"])

    def get(self, instance_id: str, **headers: str) -> Any:
        return self.client.request("GET", self.url(instance_id), headers={**self.headers, **headers})

    def instance(self, instance_id: str) -> dict[str, Any]:
        response = self.get(instance_id)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()["_instance"]
        return body

    def patch(self, instance_id: str, ops: Any, content_type: str = PATCH_HAL, **headers: str) -> Any:
        sent = {**self.headers, "Content-Type": content_type, "Accept": RECEIPT, **headers}
        return self.client.request("PATCH", self.url(instance_id), headers=sent, content=json.dumps(ops))

    def patch_id(self, at_id: str, ops: list[dict[str, Any]]) -> None:
        """Apply a JSON Patch (paths under /_instance/) to an instance made here, by its @id."""
        response = self.patch(self.instance_ids[at_id], ops)
        assert response.status_code == 200, response.text

    def put(self, instance_id: str, body: Any, content_type: str = HAL, **headers: str) -> Any:
        sent = {**self.headers, "Content-Type": content_type, "Accept": RECEIPT, **headers}
        return self.client.request("PUT", self.url(instance_id), headers=sent, content=json.dumps(body))

    def delete(self, instance_id: str, **headers: str) -> Any:
        """DELETE asking for the outcome at once (`Prefer: return=representation`) unless told otherwise."""
        sent = {**self.headers, "Accept": RECEIPT, "Prefer": "return=representation", **headers}
        return self.client.request("DELETE", self.url(instance_id), headers=sent)

    def list(self, params: Any = None, path: str = "instances", **headers: str) -> Any:
        url = f"{BASE}/{self.container}/{path}"
        accept = f'*,{HAL}; schema="{RESULTS}"'
        sent = {**self.headers, "Accept": accept, **headers}
        return self.client.request("GET", url, params=params, headers=sent)

    def results(self, params: Any = None, path: str = "instances") -> dict[str, Any]:
        response = self.list(params, path)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    def follow(self, href: str) -> dict[str, Any]:
        response = self.client.request("GET", href, headers=self.headers)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page


World = dict[str, dict[str, Any]]
"""Receipts of one instance of every kind by role: placement, tag, rule, ranking, offer, fallback,
filter, activity (the `world` fixture of the Offer Library tests)."""

# The world's roles in the order they can be made (each refers only to those before it).
ROLES = {
    "placement": "offer-placement",
    "tag": "tag",
    "rule": "eligibility-rule",
    "ranking": "ranking-function",
    "offer": "personalized-offer",
    "fallback": "fallback-offer",
    "filter": "offer-filter",
    "activity": "offer-activity",
}


def make_world(xc: Xcore) -> World:
    """One instance of every kind, wired together as the documented examples are; receipts by role."""
    w: World = {}
    for role, kind in ROLES.items():
        w[role] = xc.make(kind, valid_body(kind, w))
    return w


def valid_body(kind: str, w: World, name: str | None = None) -> dict[str, Any]:
    """A valid body of a kind as the documented examples are (named `name` if given), its references
    pointing into the world (only to the roles made before the kind's own)."""
    ref = {role: w[role]["@id"] for role in w}
    p, t, r = ref.get("placement", ""), ref.get("tag", ""), ref.get("rule", "")
    body = {
        "personalized-offer": lambda: offer_body(p, t, r),
        "fallback-offer": lambda: fallback_body(p),
        "offer-placement": lambda: placement_body(),
        "tag": lambda: tag_body(),
        "offer-filter": lambda: filter_body([t]),
        "eligibility-rule": lambda: rule_body(),
        "ranking-function": lambda: ranking_body(),
        "offer-activity": lambda: activity_body(p, ref["filter"], r, ref["ranking"], ref["fallback"]),
    }[kind]()
    return body if name is None else body | {"xdm:name": name}


def put_at(body: Any, pointer: str, value: Any) -> Any:
    """A deep copy of body with the value at a JSON pointer (object member or array index) replaced."""
    body = copy.deepcopy(body)
    *parents, last = pointer.strip("/").split("/")
    node = body
    for step in parents:
        node = node[int(step)] if isinstance(node, list) else node[step]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


def at_ids(page: dict[str, Any]) -> list[str]:
    """The @ids of a results page, in order."""
    return [item["_instance"]["@id"] for item in page["_embedded"]["results"]]
