"""Every stored resource can be read by a client generated from the specification: no null members,
and every reference carries the members its definition requires (both stores)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from support.tmf620 import STD, assert_error


def _has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(v is None or _has_null(v) for v in value.values())
    return isinstance(value, list) and any(_has_null(v) for v in value)


@pytest.mark.parametrize(
    ("body", "member"),
    [
        ({"validFor": None}, "validFor"),
        ({"description": "d", "category": [{"id": "c1", "name": None}]}, "category[0].name"),
        ({"validFor": {"startDateTime": None}}, "validFor.startDateTime"),
        ({"channel": [None]}, "channel[0]"),
    ],
)
def test_a_create_with_a_null_member_is_refused(
    client: TestClient, body: dict[str, Any], member: str
) -> None:
    before = client.get(f"{STD}productOffering").json()
    created = client.post(f"{STD}productOffering", json={"name": "n", **body})
    assert_error(created, 400, f"invalid_type:{member}")
    assert client.get(f"{STD}productOffering").json() == before


def test_a_patch_removes_null_members(client: TestClient) -> None:
    created = client.post(
        f"{STD}productOffering", json={"name": "n", "description": "d", "statusReason": "s"}
    )
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    merged = client.patch(f"{STD}productOffering/{ident}", json={"description": None})
    assert merged.status_code == 200 and "description" not in merged.json()
    patched = client.patch(
        f"{STD}productOffering/{ident}",
        json=[{"op": "add", "path": "/statusReason", "value": None}],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert "statusReason" not in patched.json()
    for read in (client.get(f"{STD}productOffering/{ident}"), client.get(f"{STD}productOffering")):
        assert read.status_code == 200 and not _has_null(read.json())


@pytest.mark.parametrize(
    ("resource", "body", "member"),
    [
        ("productOffering", {"productSpecification": {"name": "no id"}}, "productSpecification.id"),
        ("productOffering", {"category": [{"id": "c1"}, {"name": "x"}]}, "category[1].id"),
        ("catalog", {"relatedParty": [{"id": "p1", "role": "owner"}]}, "relatedParty[0].@referredType"),
        (
            "productSpecification",
            {"targetProductSchema": {"@type": "X"}},
            "targetProductSchema.@schemaLocation",
        ),
        ("productOfferingPrice", {"place": [{"role": "x"}]}, "place[0].id"),
    ],
)
def test_references_without_their_required_members_are_refused(
    client: TestClient, resource: str, body: dict[str, Any], member: str
) -> None:
    before = client.get(f"{STD}{resource}").json()
    assert_error(client.post(f"{STD}{resource}", json={"name": "r", **body}), 400, f"required:{member}")
    assert client.get(f"{STD}{resource}").json() == before
    created = client.post(f"{STD}{resource}", json={"name": "r"})
    assert created.status_code == 201
    patched = client.patch(f"{STD}{resource}/{created.json()['id']}", json=body)
    assert_error(patched, 400, f"required:{member}")
    assert client.get(f"{STD}{resource}/{created.json()['id']}").json() == created.json()


def test_a_null_the_specification_does_not_declare_reads_as_absent(client: TestClient) -> None:
    body = {"name": "n", "x-note": None, "category": [{"id": "c1", "x-extra": None}]}
    created = client.post(f"{STD}productOffering", json=body)
    assert created.status_code == 201, created.text
    assert "x-note" not in created.json() and created.json()["category"] == [{"id": "c1"}]
    assert not _has_null(client.get(f"{STD}productOffering/{created.json()['id']}").json())
