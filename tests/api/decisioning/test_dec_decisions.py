"""Decisions over HTTP with a catalog built through the Offer Library API, on SQLite and PostgreSQL."""

from __future__ import annotations

from dec_support import RESPONSE_TYPE, Catalog, chosen, decide, decision_request, profile
from starlette.testclient import TestClient


def _names(
    client: TestClient, cat: Catalog, prof: dict[str, object], *, items: int = 3, **kw: object
) -> list[str]:
    response = decide(
        client, cat.container, decision_request(cat["main"], cat["web"], prof, items=items, **kw)
    )
    assert response.status_code == 200, response.text
    return chosen(response.json(), cat)


def test_an_eligible_profile_gets_its_offers_in_rank_order(client: TestClient, catalog: Catalog) -> None:
    body = decision_request(
        catalog["main"], catalog["web"], profile("a@x.y", tier="gold", segments=("vip",)), items=3
    )
    response = decide(client, catalog.container, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == RESPONSE_TYPE
    result = response.json()
    assert chosen(result, catalog) == ["vip", "gold", "adult"]
    proposition = result["xdm:propositions"][0]
    assert proposition["xdm:activity"]["xdm:id"] == catalog["main"]
    assert proposition["xdm:placement"]["xdm:id"] == catalog["web"]
    first = proposition["xdm:options"][0]
    assert first["repo:etag"] == 1 and first["xdm:content"] == "<p>vip</p>" and first["xdm:name"] == "vip"
    assert isinstance(result["xdm:propositionId"], str) and isinstance(result["ode:createDate"], int)


def test_rules_select_the_offers(client: TestClient, catalog: Catalog) -> None:
    assert _names(client, catalog, profile("b@x.y", tier="gold")) == ["gold", "adult"]
    assert _names(client, catalog, profile("c@x.y", age=40)) == ["adult"]
    assert _names(client, catalog, profile("d@x.y", age=15, tier="gold"), items=1) == ["gold"]


def test_an_ineligible_profile_gets_the_fallback(client: TestClient, catalog: Catalog) -> None:
    response = decide(
        client, catalog.container, decision_request(catalog["main"], catalog["web"], profile("e@x.y", age=10))
    )
    assert response.status_code == 200
    proposition = response.json()["xdm:propositions"][0]
    assert proposition["xdm:fallback"]["xdm:id"] == catalog["fallback"]
    assert proposition["xdm:fallback"]["xdm:content"] == "<p>fallback</p>"


def test_a_profile_cap_exhausts_then_falls_back(client: TestClient, catalog: Catalog) -> None:
    kid = profile("kid@x.y", age=10, segments=("vip",))  # eligible for the capped offer only
    assert [_names(client, catalog, kid) for _ in range(3)] == [["vip"], ["vip"], ["fallback"]]
    assert _names(client, catalog, kid) == ["fallback"]
    other = profile("other@x.y", age=10, segments=("vip",))  # the cap is per profile
    assert _names(client, catalog, other) == ["vip"]


def test_a_capped_offer_gives_way_to_the_next_best(client: TestClient, catalog: Catalog) -> None:
    vip = profile("vip@x.y", tier="gold", segments=("vip",))
    runs = [_names(client, catalog, vip, items=1) for _ in range(3)]
    assert runs == [["vip"], ["vip"], ["gold"]]


def test_dry_runs_obey_caps_but_count_nothing(client: TestClient, catalog: Catalog) -> None:
    kid = profile("dry@x.y", age=10, segments=("vip",))
    for _ in range(4):
        assert _names(client, catalog, kid, dry_run=True) == ["vip"]
    assert [_names(client, catalog, kid) for _ in range(3)] == [["vip"], ["vip"], ["fallback"]]
    assert _names(client, catalog, kid, dry_run=True) == ["fallback"]


def test_a_global_cap_is_shared_by_all_profiles(client: TestClient, catalog: Catalog) -> None:
    seen = []
    for i in range(12):
        body = decision_request(catalog["flash_activity"], catalog["web"], profile(f"p{i}@x.y"))
        response = decide(client, catalog.container, body)
        assert response.status_code == 200
        seen.append(chosen(response.json(), catalog)[0])
    assert seen == ["flash"] * 10 + ["fallback"] * 2


def test_catalog_changes_are_seen_by_the_next_decision(client: TestClient, catalog: Catalog) -> None:
    gold = profile("g@x.y", tier="gold")
    assert _names(client, catalog, gold) == ["gold", "adult"]
    catalog.xc.patch_id(
        catalog["adult"], [{"op": "replace", "path": "/_instance/xdm:rank/xdm:priority", "value": 90}]
    )
    assert _names(client, catalog, gold) == ["adult", "gold"]
    catalog.xc.patch_id(
        catalog["gold"], [{"op": "replace", "path": "/_instance/xdm:status", "value": "draft"}]
    )
    assert _names(client, catalog, gold) == ["adult"]
    catalog.xc.patch_id(
        catalog["adult"], [{"op": "replace", "path": "/_instance/xdm:status", "value": "draft"}]
    )
    assert _names(client, catalog, gold) == ["fallback"]


def test_the_container_less_endpoint_finds_the_container(client: TestClient, catalog: Catalog) -> None:
    body = decision_request(catalog["main"], catalog["web"], profile("h@x.y", tier="gold"), items=3)
    response = decide(client, None, body)
    assert response.status_code == 200, response.text
    assert chosen(response.json(), catalog) == ["gold", "adult"]


def test_two_scopes_and_two_profiles(client: TestClient, catalog: Catalog) -> None:
    body = decision_request(catalog["main"], catalog["web"], profile("i@x.y", tier="gold"), items=1)
    body["xdm:propositionRequests"].append(
        {"xdm:activityId": catalog["flash_activity"], "xdm:placementId": catalog["web"]}
    )
    body["xdm:profiles"].append(profile("j@x.y", age=10))
    response = decide(client, catalog.container, body)
    assert response.status_code == 200, response.text
    first, second = response.json()["xdm:responses"]
    assert [len(first["xdm:propositions"]), len(second["xdm:propositions"])] == [2, 2]
    assert chosen(first, catalog) == ["gold"] and chosen(second, catalog) == ["fallback"]
    assert first["xdm:propositions"][1]["xdm:options"][0]["xdm:id"] == catalog["flash"]


def test_plain_json_in_and_out(client: TestClient, catalog: Catalog) -> None:
    body = decision_request(catalog["main"], catalog["web"], profile("k@x.y", tier="gold"))
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    from dec_support import auth

    response = client.post(
        f"/data/core/ode/{catalog.container}/decisions", headers={**auth(), **headers}, json=body
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert chosen(response.json(), catalog) == ["gold"]
