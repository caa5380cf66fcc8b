"""Oracle's documented PATCH of OnetimeOffer1210 (seed 003), replayed exactly on both name styles."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from offer_catalog.tmf620.names import to_oracle, to_standard

SEED = "seeds/003_bb791c4ff7201358.txt"
URL = "/productCatalogManagement/v4/productOffering/OnetimeOffer1210"
Z_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _example(text: str, title: str) -> dict[str, Any]:
    start = text.index("{", text.index(title))
    value, _ = json.JSONDecoder().raw_decode(text[start:])
    assert isinstance(value, dict)
    return value


@pytest.fixture
def seed(shared_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The seed's request body and response body."""
    text = (shared_dir / SEED).read_text(encoding="utf-8")
    return _example(text, "Example of the Request Body"), _example(text, "Example of the Response Body")


def _offering_before_patch(response: dict[str, Any]) -> dict[str, Any]:
    """The offering as it was created: the seed's response without server members and the patched validFor."""
    return {k: v for k, v in response.items() if k not in ("href", "lastUpdate", "validFor")}


def _replay(
    client: TestClient, seed: tuple[dict[str, Any], dict[str, Any]], create_body: dict[str, Any]
) -> Any:
    request, _ = seed
    created = client.post("/productCatalogManagement/v4/productOffering", json=create_body)
    assert created.status_code == 201, created.text
    return client.patch(URL, content=json.dumps(request), headers={"Content-Type": "application/json"})


def _check(body: dict[str, Any], expected: dict[str, Any]) -> None:
    assert set(body) == set(expected)
    for member, value in expected.items():
        if member == "lastUpdate":
            assert Z_STAMP.fullmatch(body[member]), body[member]
            assert body[member] != value  # a fresh stamp, not the seed's 2023 one
        else:
            assert body[member] == value, member


def test_seed_patch_with_oracle_names(
    oracle_client: TestClient, seed: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _, response = seed
    patched = _replay(oracle_client, seed, _offering_before_patch(response))  # created with atType names
    assert patched.status_code == 200, patched.text
    assert patched.headers["content-type"].startswith("application/json")
    assert patched.headers["etag"] == '"2"'
    _check(patched.json(), response)
    again = oracle_client.get(URL)
    assert again.status_code == 200 and again.json() == patched.json()


def test_seed_patch_with_standard_names(
    client: TestClient, seed: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _, response = seed
    standard = to_standard(response)
    patched = _replay(client, seed, _offering_before_patch(standard))  # created with @type names
    assert patched.status_code == 200, patched.text
    _check(patched.json(), standard)
    assert patched.json()["@type"] == "ProductOfferingOracle"
    assert "atType" not in json.dumps(patched.json())


def test_seed_offering_created_in_one_style_reads_in_the_other(
    client: TestClient, oracle_client: TestClient, seed: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _, response = seed
    assert _replay(client, seed, _offering_before_patch(response)).status_code == 200
    standard, oracle = client.get(URL).json(), oracle_client.get(URL).json()
    assert to_oracle(standard) == oracle and to_standard(oracle) == standard
    listed = client.get("/tmf-api/productCatalogManagement/v4/productOffering?@type=ProductOfferingOracle")
    assert [o["id"] for o in listed.json()] == ["OnetimeOffer1210"]
    assert listed.json()[0]["href"] == "/tmf-api/productCatalogManagement/v4/productOffering/OnetimeOffer1210"
    by_oracle_name = oracle_client.get(f"{URL.rsplit('/', 1)[0]}?atBaseType=ProductOffering&fields=atType")
    assert by_oracle_name.json() == [
        {"id": "OnetimeOffer1210", "href": URL, "atType": "ProductOfferingOracle"},
    ]
