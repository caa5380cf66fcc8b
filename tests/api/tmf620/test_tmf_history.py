"""Every stored version is readable: /{id}/history and /{id}/history/{n} (beyond the spec)."""

from __future__ import annotations

from starlette.testclient import TestClient

from support.tmf620 import ORA, STD, assert_error


def test_history_lists_every_version_including_the_deletion(client: TestClient) -> None:
    href = client.post(f"{STD}productOffering", json={"id": "h1", "name": "v1"}).json()["href"]
    client.patch(href, json={"name": "v2"})
    client.patch(href, json={"name": "v3", "description": "d"})
    assert client.delete(href).status_code == 204
    entries = client.get(f"{href}/history").json()
    assert [e["version"] for e in entries] == [1, 2, 3, 4]
    assert [e["resource"]["name"] for e in entries] == ["v1", "v2", "v3", "v3"]
    assert [e["deleted"] for e in entries] == [False, False, False, True]
    for entry in entries:
        assert entry["resource"]["id"] == "h1" and entry["resource"]["href"] == href
        assert entry["lastUpdate"].endswith("Z")
    one = client.get(f"{href}/history/2")
    assert one.status_code == 200 and one.json() == entries[1] and one.headers["etag"] == '"2"'


def test_history_of_a_live_resource_and_its_href_under_the_oracle_path(client: TestClient) -> None:
    client.post(f"{STD}catalog", json={"id": "c1", "name": "c"})
    entries = client.get(f"{ORA}catalog/c1/history").json()
    assert len(entries) == 1 and entries[0]["resource"]["href"] == f"{ORA}catalog/c1"


def test_missing_history_and_versions_are_404(client: TestClient) -> None:
    assert_error(client.get(f"{STD}productOffering/none/history"), 404, "not_found")
    client.post(f"{STD}productOffering", json={"id": "h2", "name": "x"})
    for version in ("0", "2", "abc", "-1"):
        assert_error(client.get(f"{STD}productOffering/h2/history/{version}"), 404, "not_found")


def test_history_uses_oracle_names_when_configured(oracle_client: TestClient) -> None:
    oracle_client.post(
        f"{ORA}productOffering", json={"id": "h3", "name": "x", "atType": "ProductOfferingOracle"}
    )
    entry = oracle_client.get(f"{ORA}productOffering/h3/history/1").json()
    assert entry["resource"]["atType"] == "ProductOfferingOracle"
    assert entry["resource"]["atBaseType"] == "ProductOffering"
