"""`explain` over HTTP: every candidate with its outcome, the same decision as without it."""

from __future__ import annotations

from dec_support import Catalog, chosen, decide, decision_request, profile
from starlette.testclient import TestClient


def _reasons(body: dict[str, object], catalog: Catalog) -> dict[str, str]:
    names = {v: k for k, v in catalog.ids.items()}
    scopes = body["explanation"]["scopes"]  # type: ignore[index]
    return {
        names[c["offer"]]: c["reason"]["code"] if c["outcome"] == "excluded" else "proposed"
        for c in scopes[0]["candidates"]
    }


def test_explain_names_why_each_offer_was_left_out(client: TestClient, catalog: Catalog) -> None:
    teen = profile("teen@x.y", age=15, tier="bronze")
    body = decision_request(catalog["main"], catalog["web"], teen, items=3, dry_run=True)
    plain = decide(client, catalog.container, body)
    explained = decide(client, catalog.container, {**body, "xdm:explain": True})
    assert explained.status_code == 200, explained.text
    result = explained.json()
    assert chosen(result, catalog) == chosen(plain.json(), catalog) == ["fallback"]
    assert "explanation" not in plain.json()
    assert _reasons(result, catalog) == {
        "vip": "eligibility_rule",
        "gold": "eligibility_rule",
        "adult": "eligibility_rule",
        "draft": "not_approved",
    }
    scope = result["explanation"]["scopes"][0]
    assert scope["fallback"] == {"offer": catalog["fallback"], "reason": "no_eligible_offer"}
    adult = next(c for c in scope["candidates"] if c["offer"] == catalog["adult"])
    assert adult["reason"]["rule"] == "person.age >= 18"
    assert adult["reason"]["attributes"] == {"person.age": 15}


def test_explain_shows_ranks_of_proposed_offers(client: TestClient, catalog: Catalog) -> None:
    body = decision_request(
        catalog["main"], catalog["web"], profile("gold@x.y", tier="gold"), items=3, dry_run=True
    )
    result = decide(client, catalog.container, {**body, "xdm:explain": True}).json()
    assert chosen(result, catalog) == ["gold", "adult"]
    ranks = {
        c["offer"]: c.get("rank") for c in result["explanation"]["scopes"][0]["candidates"] if "rank" in c
    }
    assert ranks == {catalog["gold"]: 1, catalog["adult"]: 2}


def test_explain_must_be_boolean(client: TestClient, catalog: Catalog) -> None:
    body = decision_request(catalog["main"], catalog["web"], profile("x@x.y"), **{"xdm:explain": "yes"})
    response = decide(client, catalog.container, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
