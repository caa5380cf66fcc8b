"""Strict reference mode (OFFER_CATALOG_TMF_STRICT_REFERENCES): dangling references refused, referenced
resources kept; off by default (the conformance kit references a specification that does not exist)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store
from support.tmf620 import ORA, STD, Make, assert_error, maker


@pytest.fixture
def strict(store: Store) -> Iterator[TestClient]:
    """A client on an app in strict reference mode."""
    settings = load_settings(
        {"tmf_strict_references": True, "database_url": "sqlite:///unused.db"}, environ={}
    )
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as test_client:
        yield test_client


def test_references_are_not_checked_by_default(client: TestClient, make: Make) -> None:
    price = make("productOfferingPrice", id="pop1")
    offering = make(productSpecification={"id": "nowhere"}, productOfferingPrice=[{"id": price["id"]}])
    assert offering["productSpecification"] == {"id": "nowhere"}
    assert client.delete(price["href"]).status_code == 204


def test_a_dangling_reference_is_refused_and_nothing_is_stored(strict: TestClient) -> None:
    refused = strict.post(f"{STD}productOffering", json={"name": "o", "productSpecification": {"id": "nope"}})
    body = assert_error(refused, 422, "dangling_reference:productSpecification")
    assert "nope" in body["message"]
    assert strict.get(f"{STD}productOffering").json() == []
    oracle = strict.post(f"{ORA}category", json={"name": "c", "parentId": "nope"})
    assert_error(oracle, 422, "dangling_reference:parentId")
    assert strict.get(f"{STD}category").json() == []


def test_references_to_live_resources_pass_and_keep_them_from_deletion(strict: TestClient) -> None:
    make = maker(strict)
    spec = make("productSpecification", id="ps1")
    price = make("productOfferingPrice", id="pop1")
    category = make("category", id="cat1")
    offering = make(
        id="po1",
        productSpecification={"id": "ps1"},
        productOfferingPrice=[{"id": "pop1", "name": "monthly"}],
        category=[{"id": "cat1"}],
    )
    for referenced in (price, spec, category):
        refused = assert_error(strict.delete(referenced["href"]), 409, "resource_referenced")
        assert "po1" in refused["message"]
        assert strict.get(referenced["href"]).status_code == 200
    patched = strict.patch(offering["href"], json={"productOfferingPrice": []})
    assert patched.status_code == 200
    assert strict.delete(price["href"]).status_code == 204
    dangling = strict.patch(offering["href"], json={"productOfferingPrice": [{"id": "pop1"}]})
    assert_error(dangling, 422, "dangling_reference:productOfferingPrice")
    assert strict.get(offering["href"]).json() == patched.json()
    assert strict.patch(offering["href"], json={"name": "renamed"}).status_code == 200
    assert strict.delete(offering["href"]).status_code == 204
    assert strict.delete(spec["href"]).status_code == 204


def test_a_category_tree_holds_together(strict: TestClient) -> None:
    make = maker(strict)
    root = make("category", id="root", isRoot=True)
    child = make("category", id="child", parentId="root")
    catalog = make("catalog", id="cat", category=[{"id": "root"}])
    assert_error(strict.delete(root["href"]), 409, "resource_referenced")
    assert strict.delete(child["href"]).status_code == 204
    assert_error(strict.delete(root["href"]), 409, "resource_referenced")  # still in the catalog
    assert strict.delete(catalog["href"]).status_code == 204
    assert strict.delete(root["href"]).status_code == 204
