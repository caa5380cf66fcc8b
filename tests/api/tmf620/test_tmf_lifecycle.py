"""The TM Forum lifecycle state machine on every resource: allowed paths, refusals naming the next states."""

from __future__ import annotations

import itertools

import pytest
from starlette.testclient import TestClient
from tmf620_support import STD, assert_error

from offer_catalog.tmf620.lifecycle import NEXT_STATES, STATES

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
    for state in ("In design", "In test", "Active", "Launched", "Retired", "Obsolete"):
        assert client.patch(href, json={"lifecycleStatus": state}).json()["lifecycleStatus"] == state
    body = assert_error(client.patch(href, json={"lifecycleStatus": "Active"}), 409)
    assert "final" in body["message"]


def test_unknown_state_is_400(client: TestClient) -> None:
    href = client.post(f"{STD}productOffering", json={"name": "x"}).json()["href"]
    assert_error(client.patch(href, json={"lifecycleStatus": "Draft"}), 400, "invalid_value:lifecycleStatus")
    assert_error(client.patch(href, json={"lifecycleStatus": 3}), 400, "invalid_type:lifecycleStatus")


def test_state_names_are_matched_case_insensitively(client: TestClient) -> None:
    created = client.post(f"{STD}productOffering", json={"name": "x", "lifecycleStatus": "IN  TEST"})
    assert created.json()["lifecycleStatus"] == "In test"
    listed = client.get(f"{STD}productOffering?lifecycleStatus=in test")
    assert [o["id"] for o in listed.json()] == [created.json()["id"]]
