"""Entity versions per the TMF620 user guide: several versions under one id, the current one by default,
a given one by `?version=` or `/{id}:(version=x)`, lists filtered by id or version; history stays separate."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from support.tmf620 import ORA, STD, Make, assert_error

URL = f"{STD}productOffering"


def _versions(client: TestClient, query: str) -> list[tuple[str, str, str]]:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.text
    return sorted((o["id"], o["version"], o["name"]) for o in response.json())


def test_a_new_version_under_an_existing_id(client: TestClient, make: Make) -> None:
    first = make(id="42", version="1.0", name="first")
    second = client.post(URL, json={"id": "42", "version": "2.0", "name": "second"})
    assert second.status_code == 201, second.text
    assert second.json()["version"] == "2.0" and second.headers["location"] == f"{URL}/42"
    assert client.get(f"{URL}/42").json()["name"] == "second"  # the default read: the current version
    kept = client.get(f"{URL}/42?version=1.0")
    assert kept.status_code == 200
    assert kept.json() == {**first, "href": f"{URL}/42?version=1.0"}
    assert client.get(f"{URL}/42:(version=1.0)").json() == kept.json()
    assert (
        client.get(f"{ORA}productOffering/42?version=1.0").json()["href"]
        == f"{ORA}productOffering/42?version=1.0"
    )
    assert client.get(f"{URL}/42?version=2.0").json() == second.json()
    assert_error(client.get(f"{URL}/42?version=3.0"), 404, "not_found")
    for taken in ({"version": "1.0"}, {"version": "2.0"}, {}):
        assert_error(client.post(URL, json={"id": "42", "name": "again", **taken}), 409, "already_exists")
    assert_error(client.post(URL, json={"id": "42:(version=9)", "name": "x"}), 400, "invalid_value:id")
    history = client.get(f"{URL}/42/history").json()  # our per-write history of the current document
    assert [e["resource"]["version"] for e in history] == ["1.0", "2.0"]


def test_lists_show_current_versions_unless_filtering_on_id_or_version(
    client: TestClient, make: Make
) -> None:
    make(id="42", version="1.0", name="first")
    assert client.post(URL, json={"id": "42", "version": "2.0", "name": "second"}).status_code == 201
    make(id="7", version="1.0", name="other")
    assert _versions(client, "sort=id") == [("42", "2.0", "second"), ("7", "1.0", "other")]
    assert _versions(client, "id=42") == [("42", "1.0", "first"), ("42", "2.0", "second")]
    assert _versions(client, "id=42&version=1.0") == [("42", "1.0", "first")]
    assert _versions(client, "version=1.0") == [("42", "1.0", "first"), ("7", "1.0", "other")]
    assert client.get(f"{URL}?id=42").headers["x-total-count"] == "2"


def test_patch_and_delete_address_one_version(client: TestClient, make: Make) -> None:
    make(id="42", version="1.0", name="first")
    assert client.post(URL, json={"id": "42", "version": "2.0", "name": "second"}).status_code == 201
    patched = client.patch(f"{URL}/42:(version=1.0)", json={"name": "first, renamed"})
    assert patched.status_code == 200 and patched.json()["href"] == f"{URL}/42?version=1.0"
    assert client.get(f"{URL}/42").json()["name"] == "second"
    moved = client.patch(f"{URL}/42?version=1.0", json={"version": "2.0"})
    assert_error(moved, 400, "not_patchable:version")
    assert client.patch(f"{URL}/42", json={"name": "second, renamed"}).json()["version"] == "2.0"
    assert client.delete(f"{URL}/42?version=1.0").status_code == 204
    assert_error(client.get(f"{URL}/42?version=1.0"), 404, "not_found")
    assert _versions(client, "id=42") == [("42", "2.0", "second, renamed")]
    assert client.post(URL, json={"id": "42", "version": "1.0", "name": "back"}).status_code == 201
    assert _versions(client, "id=42") == [("42", "1.0", "back"), ("42", "2.0", "second, renamed")]


def test_deleting_the_entity_deletes_every_version(client: TestClient, make: Make) -> None:
    make(id="42", version="1.0", name="first")
    assert client.post(URL, json={"id": "42", "version": "2.0", "name": "second"}).status_code == 201
    assert client.post(URL, json={"id": "42", "version": "3.0", "name": "third"}).status_code == 201
    assert client.delete(f"{URL}/42").status_code == 204
    for version in ("", "?version=1.0", "?version=2.0", "?version=3.0", ":(version=1.0)"):
        assert_error(client.get(f"{URL}/42{version}"), 404, "not_found")
    assert _versions(client, "id=42") == []
    assert client.get(f"{URL}/42/history").json()[-1]["deleted"] is True
    again = client.post(URL, json={"id": "42", "version": "1.0", "name": "back"})
    assert again.status_code == 201, again.text
    assert _versions(client, "id=42") == [("42", "1.0", "back")]


@pytest.mark.parametrize("version", ["", "   ", "#1", "v\u00e9rsion \u2603", "x" * 300, "a/b)c"])
def test_any_version_string_is_kept_and_addressable(client: TestClient, make: Make, version: str) -> None:
    first = make(id="42", version=version, name="first")
    assert first["version"] == version
    second = client.post(URL, json={"id": "42", "version": "next", "name": "second"})
    assert second.status_code == 201, second.text
    kept = client.get(f"{URL}/42", params={"version": version})
    assert kept.status_code == 200, kept.text
    assert kept.json()["name"] == "first" and kept.json()["version"] == version
    assert _versions(client, "id=42") == sorted([("42", version, "first"), ("42", "next", "second")])
    again = client.post(URL, json={"id": "42", "version": version, "name": "again"})
    assert_error(again, 409, "already_exists")
