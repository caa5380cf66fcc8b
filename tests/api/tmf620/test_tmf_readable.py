"""Every stored resource can be read by a client generated from the specification: no null members,
and every reference carries the members its definition requires (both stores)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from tmf620_support import STD, assert_error


def _has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(v is None or _has_null(v) for v in value.values())
    return isinstance(value, list) and any(_has_null(v) for v in value)


def test_null_members_are_absent_members(client: TestClient) -> None:
    body = {"name": "n", "validFor": None, "description": None, "category": [{"id": "c1", "name": None}]}
    created = client.post(f"{STD}productOffering", json=body)
    assert created.status_code == 201, created.text
    view = created.json()
    assert "validFor" not in view and "description" not in view and view["category"] == [{"id": "c1"}]
    ident = view["id"]
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
