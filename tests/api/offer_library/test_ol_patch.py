"""PATCH: JSON Patch over the HAL document, all six operations, atomic, validated like a PUT."""

from __future__ import annotations

from typing import Any

import pytest

from support.offer_library import Xcore, representation

World = dict[str, dict[str, Any]]


@pytest.fixture
def offer(xc: Xcore, world: World) -> str:
    iid: str = world["offer"]["instanceId"]
    return iid


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


def test_all_six_operations(xc: Xcore, world: World, offer: str) -> None:
    tag = world["tag"]["@id"]
    ops = [
        {"op": "test", "path": "/_instance/xdm:status", "value": "draft"},
        {"op": "add", "path": "/_instance/xdm:characteristics/season", "value": "winter"},
        {"op": "replace", "path": "/_instance/xdm:rank/xdm:priority", "value": 5},
        {
            "op": "copy",
            "from": "/_instance/xdm:characteristics/offer_code",
            "path": "/_instance/xdm:customMetadata",
        },
        {"op": "remove", "path": "/_instance/xdm:customMetadata"},
        {
            "op": "move",
            "from": "/_instance/xdm:characteristics/season",
            "path": "/_instance/xdm:characteristics/s",
        },
        {"op": "add", "path": "/_instance/xdm:tags/-", "value": tag},
        {"op": "remove", "path": "/_instance/xdm:tags/1"},
        {"op": "remove", "path": "/_instance/xdm:cappingConstraint/xdm:globalCap"},
    ]
    receipt = ok(xc.patch(offer, ops))
    assert receipt["repo:etag"] == 2
    instance = xc.instance(offer)
    assert instance["xdm:rank"] == {"xdm:priority": 5}
    assert instance["xdm:characteristics"] == {"offer_code": "CHECK200", "s": "winter"}
    assert "xdm:customMetadata" not in instance
    assert instance["xdm:tags"] == [tag]
    assert instance["xdm:cappingConstraint"] == {}


def test_a_failing_operation_changes_nothing(xc: Xcore, offer: str) -> None:
    before = xc.get(offer).json()
    ops = [
        {"op": "replace", "path": "/_instance/xdm:name", "value": "changed"},
        {"op": "test", "path": "/_instance/xdm:status", "value": "approved"},
    ]
    response = xc.patch(offer, ops)
    assert (response.status_code, response.json()["code"]) == (409, "test_failed")
    assert response.json()["operation"] == 1
    assert xc.get(offer).json() == before


@pytest.mark.parametrize(
    ("ops", "status", "code"),
    [
        ({"op": "replace"}, 400, "malformed_patch"),
        ([{"op": "frobnicate", "path": "/_instance"}], 400, "malformed_patch"),
        ([{"op": "replace", "path": "_instance/xdm:name", "value": "x"}], 400, "invalid_pointer"),
        ([{"op": "replace", "path": "/_instance/xdm:nothing", "value": "x"}], 422, "path_not_found"),
        ([{"op": "add", "path": "/_instance/xdm:nope/-", "value": "x"}], 422, "path_not_found"),
        ([{"op": "remove", "path": "/_instance/xdm:rank"}], 422, "validation_failed"),
        (
            [{"op": "replace", "path": "/_instance/xdm:rank/xdm:priority", "value": -1}],
            422,
            "validation_failed",
        ),
        (
            [{"op": "replace", "path": "/_instance/@id", "value": "xcore:personalized-offer:1"}],
            422,
            "non_editable",
        ),
        ([{"op": "remove", "path": "/_instance/@id"}], 200, None),
        ([{"op": "replace", "path": "/repo:etag", "value": 9}], 422, "non_editable"),
        ([{"op": "replace", "path": "/instanceId", "value": "other"}], 422, "non_editable"),
        ([{"op": "add", "path": "/extra", "value": 1}], 422, "non_editable"),
        ([{"op": "remove", "path": "/_instance"}], 422, "validation_failed"),
        ([{"op": "replace", "path": "/_instance", "value": []}], 422, "validation_failed"),
        ([{"op": "remove", "path": ""}], 409, "conflict"),
    ],
)
def test_patch_errors(xc: Xcore, offer: str, ops: Any, status: int, code: str | None) -> None:
    before = xc.instance(offer)
    response = xc.patch(offer, ops)
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["code"] == code
        assert response.headers["content-type"] == "application/problem+json"
        assert xc.instance(offer) == before
    else:  # removing @id keeps it: the server always holds the instance's @id
        assert xc.instance(offer)["@id"] == before["@id"]


def test_unchanged_metadata_and_links_may_appear(xc: Xcore, offer: str) -> None:
    document = xc.get(offer).json()
    ops = [
        {"op": "replace", "path": "/repo:etag", "value": document["repo:etag"]},
        {"op": "test", "path": "/_links/self/href", "value": xc.url(offer)},
        {"op": "add", "path": "/_links/extra", "value": {"href": "/elsewhere"}},
        {"op": "replace", "path": "/_instance/@id", "value": document["_instance"]["@id"]},
    ]
    ok(xc.patch(offer, ops))
    assert "extra" not in xc.get(offer).json()["_links"]  # _links is the server's


def test_add_to_a_missing_array_fails_until_the_array_exists(xc: Xcore, world: World) -> None:
    fallback = world["fallback"]["instanceId"]
    tag = world["tag"]["@id"]
    response = xc.patch(fallback, [{"op": "add", "path": "/_instance/xdm:tags/-", "value": tag}])
    assert (response.status_code, response.json()["code"]) == (422, "path_not_found")
    ok(xc.patch(fallback, [{"op": "add", "path": "/_instance/xdm:tags", "value": []}]))
    ok(xc.patch(fallback, [{"op": "add", "path": "/_instance/xdm:tags/-", "value": tag}]))
    assert xc.instance(fallback)["xdm:tags"] == [tag]


def test_patched_references_are_checked(xc: Xcore, world: World, offer: str) -> None:
    ghost = "xcore:offer-placement:00000000000000ff"
    response = xc.patch(
        offer, [{"op": "add", "path": "/_instance/xdm:representations/-", "value": representation(ghost)}]
    )
    assert (response.status_code, response.json()["code"]) == (422, "dangling_reference")
    assert response.json()["errors"][0]["path"] == "/_instance/xdm:representations/1/xdm:placement"
    assert response.json()["errors"][0]["reference"] == ghost


def test_an_empty_patch_still_writes_a_version(xc: Xcore, offer: str) -> None:
    assert ok(xc.patch(offer, []))["repo:etag"] == 2


def test_patch_of_an_unknown_instance_or_container_is_404(xc: Xcore, offer: str) -> None:
    assert xc.patch("no-such-instance", []).json()["code"] == "not_found"
    other = Xcore(xc.client, "no-such-container")
    response = other.patch(offer, [])
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
