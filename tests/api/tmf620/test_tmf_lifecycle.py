"""The TM Forum lifecycle state machine on every resource: allowed paths, refusals naming the next states."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.errors import SettingsError
from offer_catalog.resources.tmf620.lifecycle import ENTITY_LIFECYCLE, STATES
from offer_catalog.settings import load_settings
from offer_catalog.store import Store
from support.tmf620 import ORA, STD, assert_error

NEXT_STATES = ENTITY_LIFECYCLE.moves

ALLOWED = {(a, b) for a, nexts in NEXT_STATES.items() for b in nexts} | {(s, s) for s in STATES}


def _set(client: TestClient, href: str, state: str) -> object:
    return client.patch(href, json={"lifecycleStatus": state})


@pytest.mark.parametrize(("start", "target"), list(itertools.product(STATES, STATES)))
def test_every_transition(client: TestClient, start: str, target: str) -> None:
    href = client.post(f"{STD}productOffering", json={"name": "x", "lifecycleStatus": start}).json()["href"]
    response = client.patch(href, json={"lifecycleStatus": target.upper()})
    if (start, target) in ALLOWED:
        assert response.status_code == 200 and response.json()["lifecycleStatus"] == target
    else:
        body = assert_error(response, 409, "invalid_transition:lifecycleStatus")
        for state in NEXT_STATES[start]:
            assert state in body["message"]
        assert client.get(href).json()["lifecycleStatus"] == start


@pytest.mark.parametrize("resource", ["catalog", "category", "productOfferingPrice", "productSpecification"])
def test_the_whole_life_of_other_resources(client: TestClient, resource: str) -> None:
    href = client.post(f"{STD}{resource}", json={"name": "x"}).json()["href"]
    for state in ("In Design", "In Test", "Active", "Launched", "Retired", "Obsolete"):
        assert client.patch(href, json={"lifecycleStatus": state}).json()["lifecycleStatus"] == state
    body = assert_error(client.patch(href, json={"lifecycleStatus": "Active"}), 409)
    assert "final" in body["message"]


def test_unknown_state_is_400(client: TestClient) -> None:
    href = client.post(f"{STD}productOffering", json={"name": "x"}).json()["href"]
    assert_error(client.patch(href, json={"lifecycleStatus": "Draft"}), 400, "invalid_value:lifecycleStatus")
    assert_error(client.patch(href, json={"lifecycleStatus": 3}), 400, "invalid_type:lifecycleStatus")


def test_state_names_are_matched_case_insensitively(client: TestClient) -> None:
    created = client.post(f"{STD}productOffering", json={"name": "x", "lifecycleStatus": "IN  TEST"})
    assert created.json()["lifecycleStatus"] == "In Test"
    listed = client.get(f"{STD}productOffering?lifecycleStatus=in test")
    assert [o["id"] for o in listed.json()] == [created.json()["id"]]


def test_states_are_spelled_as_the_user_guide_spells_them(client: TestClient) -> None:
    assert STATES == (
        "In Study",
        "In Design",
        "In Test",
        "Active",
        "Launched",
        "Retired",
        "Obsolete",
        "Rejected",
    )
    created = client.post(f"{STD}catalog", json={"name": "x", "lifecycleStatus": "in design"})
    assert created.status_code == 201 and created.json()["lifecycleStatus"] == "In Design"
    assert client.get(created.json()["href"]).json()["lifecycleStatus"] == "In Design"
    listed = client.get(f"{STD}catalog?lifecycleStatus=IN%20DESIGN")
    assert [c["id"] for c in listed.json()] == [created.json()["id"]]
    assert client.post(f"{STD}catalog", json={"name": "y"}).json()["lifecycleStatus"] == "In Study"


@pytest.fixture
def own_states_client(store: Store) -> Iterator[TestClient]:
    """A client on an app whose catalog adds two lifecycle states of its own."""
    settings = load_settings(
        {"tmf_extra_states": " Draft , Pending Approval,,", "database_url": "sqlite:///unused.db"}, environ={}
    )
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_catalog_may_add_states_of_its_own(own_states_client: TestClient) -> None:
    client = own_states_client
    created = client.post(f"{STD}productOffering", json={"name": "x", "lifecycleStatus": "DRAFT"})
    assert created.status_code == 201 and created.json()["lifecycleStatus"] == "Draft"
    href = created.json()["href"]
    for state, spelled in (
        ("in design", "In Design"),
        ("pending  approval", "Pending Approval"),
        ("active", "Active"),
    ):
        patched = client.patch(href, json={"lifecycleStatus": state})
        assert patched.status_code == 200 and patched.json()["lifecycleStatus"] == spelled
    listed = client.get(f"{ORA}productOffering?lifecycleStatus=active,draft")
    assert [o["id"] for o in listed.json()] == [created.json()["id"]]
    final = client.post(f"{STD}productOffering", json={"name": "y", "lifecycleStatus": "Obsolete"}).json()
    body = assert_error(client.patch(final["href"], json={"lifecycleStatus": "Draft"}), 409)
    assert body["code"] == "invalid_transition:lifecycleStatus"
    assert client.get(final["href"]).json()["lifecycleStatus"] == "Obsolete"


def test_without_the_setting_own_states_are_refused(client: TestClient) -> None:
    refused = client.post(f"{STD}productOffering", json={"name": "x", "lifecycleStatus": "Draft"})
    assert_error(refused, 400, "invalid_value:lifecycleStatus")
    assert client.get(f"{STD}productOffering").json() == []


@pytest.mark.parametrize("value", ["x" * 65, "Draft,Bad\u0007State"])
def test_an_unusable_extra_state_is_a_settings_error(value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"tmf_extra_states": value}, environ={})
    assert raised.value.details == {"setting": "tmf_extra_states"}
