"""Every documented request form of the repository ("xcore") API, each test named after its page.

Pages: the repository API conventions (`entities.md`: instances, lists, paging, filters, search,
etags, deletion), the Offer Library API pages (`<kind>/create.md`, `update.md`, `lookup.md`,
`offers-list.md`, `delete.md`, `getting-started.md`) and the seed page (French fallback-offer update).
Each form is sent as the page writes it, through HTTP, on both stores.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from support.offer_library import (
    BASE,
    HAL,
    OM,
    PATCH_HAL,
    RECEIPT,
    RECEIPT_MEMBERS,
    SCHEMAS,
    Xcore,
    at_ids,
    offer_body,
    placement_body,
)

World = dict[str, dict[str, Any]]


def _send(xc: Xcore, method: str, url: str, body: Any = None, **headers: str) -> Any:
    content = None if body is None else json.dumps(body)
    return xc.client.request(method, url, headers={**xc.headers, **headers}, content=content)


def _approve(xc: Xcore, world: World, name: str, content_type: str) -> Any:
    ops = [{"op": "replace", "path": "/_instance/xdm:status", "value": "approved"}]
    return xc.patch(world[name]["instanceId"], ops, content_type=content_type)


# --- <kind>/update.md header tables and the repository conventions: every PATCH content type ----------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",  # the header table of the update pages and the conventions' payload header
        "application/json-patch+json",
        f'{PATCH_HAL}; version=1; schema="{SCHEMAS["personalized-offer"]}"',
        # the personalized-offer update page's own malformed header, as curl sends it
        f'Content-Type: {PATCH_HAL}; version=1; schema="{SCHEMAS["personalized-offer"]}"',
    ],
)
def test_update_md_patch_content_types(xc: Xcore, world: World, content_type: str) -> None:
    response = _approve(xc, world, "offer", content_type)
    if content_type.startswith("Content-Type:"):
        assert response.status_code == 415  # not a media type: refused, nothing changed
        assert xc.instance(world["offer"]["instanceId"])["xdm:status"] == "draft"
        return
    assert response.status_code == 200, response.text
    assert response.json()["repo:etag"] == 2
    assert xc.instance(world["offer"]["instanceId"])["xdm:status"] == "approved"


def test_seed_fallback_offer_update_schema_instance_patch(xc: Xcore, world: World) -> None:
    """The (French) fallback-offer update page: header table says schema-instance+json, curl patch.hal."""
    table = f'application/schema-instance+json; version=1;  schema="{SCHEMAS["fallback-offer"]}"'
    ops = [{"op": "replace", "path": "/_instance/xdm:name", "value": "Secours"}]
    response = xc.patch(world["fallback"]["instanceId"], ops, content_type=table)
    assert response.status_code == 200, response.text
    assert set(response.json()) == RECEIPT_MEMBERS
    assert xc.instance(world["fallback"]["instanceId"])["xdm:name"] == "Secours"


# --- create.md pages and entities.md "Create instances": every body envelope ------------------------


@pytest.mark.parametrize(
    ("content_type", "envelope"),
    [
        (f'application/schema-instance+json; version=1; schema="{SCHEMAS["offer-placement"]}"', "bare"),
        (f'{HAL}; schema="{SCHEMAS["offer-placement"]}"', "hal"),  # entities.md: _instance + _links
        (f'{HAL}; schema="{OM}offer-placement"', "hal-no-links"),  # Adobe's Node client: no _links
        # activities-api/create.md: schema-instance+json around an _instance wrapper
        (f'application/schema-instance+json; version=1; schema="{SCHEMAS["offer-placement"]}"', "hal"),
        # activities-api/create.md header table: plain JSON, the kind in the query
        ("application/json", "hal-query-schema"),
        # the receipt type as some header tables spell it, with the schema parameter
        (
            f'application/vnd.adobe.platform.xcore.xdm.receiver+json; schema="{SCHEMAS["offer-placement"]}"',
            "bare",
        ),
    ],
)
def test_create_md_body_envelopes(xc: Xcore, content_type: str, envelope: str) -> None:
    instance = placement_body("Envelope " + envelope)
    body: Any = instance
    url = xc.instances
    if envelope == "hal":
        body = {"_instance": instance, "_links": {}}
    elif envelope == "hal-no-links":
        body = {"_instance": instance}
    elif envelope == "hal-query-schema":
        body = {"_instance": instance}
        url += "?schema=" + SCHEMAS["offer-placement"]
    response = _send(xc, "POST", url, body, **{"Content-Type": content_type, "Accept": RECEIPT})
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert set(receipt) == RECEIPT_MEMBERS and receipt["@id"].startswith("xcore:offer-placement:")
    assert response.headers["Location"] == f"{xc.instances}/{receipt['instanceId']}"
    assert xc.instance(receipt["instanceId"])["xdm:name"] == "Envelope " + envelope


def test_create_md_receiver_accept(xc: Xcore) -> None:
    accept = f'application/vnd.adobe.platform.xcore.xdm.receiver+json; schema="{SCHEMAS["offer-placement"]}"'
    response = xc.create("offer-placement", placement_body("receiver"), Accept=accept)
    assert response.status_code == 201 and set(response.json()) == RECEIPT_MEMBERS
    assert response.headers["Content-Type"].startswith(
        "application/vnd.adobe.platform.xcore.xdm.receiver+json"
    )


def test_personalized_offers_create_md_example_dates(xc: Xcore, world: World) -> None:
    """The page's own example ends (2021) before it starts (2023): stored as sent, never eligible."""
    body = offer_body(world["placement"]["@id"], world["tag"]["@id"], world["rule"]["@id"])
    body["xdm:selectionConstraint"] |= {
        "xdm:startDate": "2023-10-25T16:00:00Z",
        "xdm:endDate": "2021-11-01T16:00:00Z",
    }
    receipt = xc.make("personalized-offer", body)
    stored = xc.instance(receipt["instanceId"])["xdm:selectionConstraint"]
    assert stored["xdm:endDate"] == "2021-11-01T16:00:00Z"


# --- entities.md "Update instances": PUT with the HAL document ----------------------------------------


def test_entities_md_put_hal_document(xc: Xcore, world: World) -> None:
    instance_id = world["placement"]["instanceId"]
    document = xc.get(instance_id).json()
    document["_instance"]["xdm:description"] = "replaced"
    content_type = f'{HAL}; schema="{SCHEMAS["offer-placement"]}"'
    response = xc.put(instance_id, document, content_type=content_type, **{"If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.json()["repo:etag"] == 2
    stale = xc.put(instance_id, document, content_type=content_type, **{"If-Match": '"1"'})
    assert stale.status_code == 409  # "only the first request succeeds"


def test_entities_md_lookup_if_none_match(xc: Xcore, world: World) -> None:
    instance_id = world["offer"]["instanceId"]
    accept = f'*, {HAL}; schema="{SCHEMAS["personalized-offer"]}"'
    assert xc.get(instance_id, Accept=accept, **{"If-None-Match": '"1"'}).status_code == 304
    fresh = xc.get(instance_id, Accept=accept, **{"If-None-Match": '"7"'})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == '"1"'


# --- entities.md "List instances", "Filtering lists"; offers-list.md; lookup.md -----------------------


@pytest.fixture
def three(xc: Xcore, world: World) -> dict[str, str]:
    """Three placements more (four in all), named a, b and c."""
    return {name: xc.make_id("offer-placement", placement_body(name)) for name in ("a", "b", "c")}


def test_entities_md_list_quoted_schema_and_paging(xc: Xcore, three: dict[str, str]) -> None:
    """`instances?schema="{SCHEMA_ID}"` (quoted, as the page writes it), `limit`, `orderBy`, `start`."""
    params = {"schema": f'"{OM}offer-placement"', "orderBy": "-repo:createdDate", "limit": "2"}
    page = xc.results(params)
    seen = at_ids(page)
    assert page["_embedded"]["count"] == 2 and page["_embedded"]["total"] == 4
    while "next" in page["_links"]:
        page = xc.follow(page["_links"]["next"]["href"])
        seen += at_ids(page)
    assert seen[:3] == [three["c"], three["b"], three["a"]] and len(seen) == 4


@pytest.mark.parametrize("form", ["repeated", "comma"])
def test_offers_list_md_property_list_forms(xc: Xcore, three: dict[str, str], form: str) -> None:
    """`property=A,B` is `property=A&property=B`."""
    a, b = "_instance.xdm:name~[ab]", "_instance.xdm:name!=a"
    params: Any = [("property", a), ("property", b)] if form == "repeated" else {"property": f"{a},{b}"}
    params = [*params, ("schema", OM + "offer-placement")] if form == "repeated" else params
    if form == "comma":
        params["schema"] = OM + "offer-placement"
    assert at_ids(xc.results(params)) == [three["b"]]


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ("_instance.xdm:name==a,b", set()),  # the value `a,b`: `b` does not start an expression
        ("_instance.xdm:name~[a-c]{1,3}", {"a", "b", "c"}),  # a comma inside a regular expression
        ("_instance.xdm:name==a,xdm:name==a", {"a"}),  # two expressions
        ("_instance.xdm:name~a|b,_instance.xdm:description", {"a", "b"}),  # a bare path: has the member
    ],
)
def test_offers_list_md_commas_in_values(
    xc: Xcore, three: dict[str, str], expression: str, names: set[str]
) -> None:
    found = set(at_ids(xc.results({"schema": OM + "offer-placement", "property": expression})))
    assert found == {three[n] for n in names}


@pytest.mark.parametrize("form", ["repeated", "comma"])
def test_entities_md_id_list_forms(xc: Xcore, three: dict[str, str], form: str) -> None:
    ids = [three["a"], three["c"]]
    params: Any = [("id", i) for i in ids] if form == "repeated" else {"id": ",".join(ids)}
    assert sorted(at_ids(xc.results(params))) == sorted(ids)


def test_lookup_md_by_name_with_wildcard(xc: Xcore, three: dict[str, str]) -> None:
    page = xc.results({"schema": SCHEMAS["offer-placement"], "name": "Sales*"})
    assert len(at_ids(page)) == 1 and page["_embedded"]["results"][0]["_score"] == 0
    # Both lookups apply together (docs/offer-library.md): at most that instance, if so named.
    assert set(at_ids(xc.results({"id": three["a"], "name": "*"}))) == {three["a"]}


def test_entities_md_full_text_search(xc: Xcore, three: dict[str, str], world: World) -> None:
    params = {"schema": f"{OM}offer-placement", "q": "sales", "qop": "or", "field": "_instance.xdm:name"}
    page = xc.results(params, path="queries/core/search")
    assert at_ids(page) == [world["placement"]["@id"]] and page["_embedded"]["results"][0]["_score"] >= 1


def test_getting_started_md_home_containers(xc: Xcore) -> None:
    url = f"{BASE}/?product=acp&property=_instance.containerType==decisioning"
    response = _send(xc, "GET", url, Accept="application/vnd.adobe.platform.xcore.home.hal+json")
    assert response.status_code == 200, response.text
    entries = response.json()["_embedded"]["https://ns.adobe.com/experience/xcore/container"]
    assert [entry["instanceId"] for entry in entries] == [xc.container]


# --- entities.md "Deleting instances" and <kind>/delete.md --------------------------------------------


def test_delete_md_synchronous(xc: Xcore, world: World) -> None:
    """`Prefer: return=representation` (the kit's default): the outcome at once (receipt, or 409)."""
    referenced = xc.delete(world["fallback"]["instanceId"])
    assert referenced.status_code == 409 and referenced.json()["code"] == "instance_referenced"
    response = xc.delete(world["activity"]["instanceId"])
    assert response.status_code == 200 and set(response.json()) == RECEIPT_MEMBERS
    assert xc.get(world["activity"]["instanceId"]).status_code == 404


def _poll(xc: Xcore, response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    assert response.content == b""
    outcome = _send(xc, "GET", response.headers["Location"])
    assert outcome.status_code == 200, outcome.text
    body: dict[str, Any] = outcome.json()
    return body


def _documented_delete(xc: Xcore, instance_id: str, **headers: str) -> Any:
    """DELETE as the delete pages send it: the receipt Accept, no preference."""
    sent = {**xc.headers, "Accept": RECEIPT, **headers}
    return xc.client.request("DELETE", xc.url(instance_id), headers=sent)


def test_delete_md_documented_answer_is_asynchronous(xc: Xcore, world: World) -> None:
    """The page's request: 202, a blank body, and a Location whose outcome confirms the delete."""
    done = _poll(xc, _documented_delete(xc, world["activity"]["instanceId"]))
    assert done["outcome"] == "completed" and set(done["receipt"]) == RECEIPT_MEMBERS
    assert xc.get(world["activity"]["instanceId"]).status_code == 404
    wait = xc.delete(world["ranking"]["instanceId"], Prefer="wait=10")  # waiting: the outcome at once
    assert wait.status_code == 200 and set(wait.json()) == RECEIPT_MEMBERS


def test_entities_md_delete_asynchronous_outcomes(xc: Xcore, world: World) -> None:
    """202 + Location, polled to 200 with the confirmation or rejection (also when asked for)."""
    rejected = _poll(xc, _documented_delete(xc, world["fallback"]["instanceId"]))
    assert rejected["outcome"] == "rejected" and rejected["code"] == "instance_referenced"
    assert [r["@id"] for r in rejected["referrers"]] == [world["activity"]["@id"]]
    assert xc.get(world["fallback"]["instanceId"]).status_code == 200  # nothing was deleted

    done = _poll(xc, xc.delete(world["activity"]["instanceId"], Prefer="respond-async, wait=5"))
    assert done["outcome"] == "completed" and done["@id"] == world["activity"]["@id"]
    assert set(done["receipt"]) == RECEIPT_MEMBERS and done["receipt"]["repo:etag"] == 2
    assert xc.get(world["activity"]["instanceId"]).status_code == 404
    # the earlier rejection stays what it was; a second poll of either answers the same
    assert _send(xc, "GET", f"{BASE}/{xc.container}/deletions/tag/nope/1").status_code == 404
    stale = xc.delete(world["fallback"]["instanceId"], Prefer="respond-async", **{"If-Match": '"9"'})
    assert stale.status_code == 409  # preconditions are answered at once


def test_entities_md_delete_outcome_is_tenant_scoped(xc: Xcore, world: World) -> None:
    response = xc.delete(world["ranking"]["instanceId"], Prefer="respond-async")
    location = response.headers["Location"]
    other = {**xc.headers, "x-sandbox-name": "other-sandbox"}
    assert xc.client.request("GET", location, headers=other).status_code in (403, 404)
