"""Media types, envelopes, schema naming and etags: what each operation reads, answers and refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from support.offer_library import (
    HAL,
    PATCH_HAL,
    RECEIPT,
    SCHEMAS,
    Xcore,
    instance_type,
    placement_body,
    tag_body,
)

TAG = SCHEMAS["tag"]
TAG_BASE = TAG.split(";")[0]


def post(xc: Xcore, body: Any, content_type: str | None, accept: str | None = RECEIPT, **params: str) -> Any:
    headers = dict(xc.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return xc.client.post(xc.instances, headers=headers, content=content, params=params)


@pytest.mark.parametrize(
    "content_type",
    [
        f'application/schema-instance+json; version=1; schema="{TAG}"',
        f'application/schema-instance+json; schema="{TAG_BASE}"',
        f"application/schema-instance+json; schema={TAG}",
        f'Application/Schema-Instance+JSON;version=1;schema="{TAG}"',
        f'application/json; schema="{TAG}"',
    ],
)
def test_bare_bodies_with_the_schema_in_content_type(xc: Xcore, content_type: str) -> None:
    response = post(xc, tag_body(), content_type)
    assert response.status_code == 201, response.text
    assert xc.instance(response.json()["instanceId"])["xdm:name"] == tag_body()["xdm:name"]


def test_hal_bodies_are_unwrapped(xc: Xcore) -> None:
    response = post(xc, {"_instance": tag_body(), "_links": {}}, f'{HAL}; version=1; schema="{TAG}"')
    assert response.status_code == 201, response.text
    assert xc.instance(response.json()["instanceId"]) == {"@id": response.json()["@id"], **tag_body()}


def test_a_hal_envelope_sent_as_schema_instance_is_unwrapped_too(xc: Xcore) -> None:
    # a documented example mixes schema-instance+json with the _instance wrapper
    response = post(xc, {"_instance": tag_body("wrapped")}, instance_type("tag"))
    assert response.status_code == 201
    assert xc.instance(response.json()["instanceId"])["xdm:name"] == "wrapped"


def test_the_schema_may_come_from_the_query(xc: Xcore) -> None:
    assert post(xc, tag_body(), "application/schema-instance+json", schema=TAG).status_code == 201


def test_schema_errors(xc: Xcore) -> None:
    missing = post(xc, tag_body(), "application/schema-instance+json")
    assert (missing.status_code, missing.json()["code"]) == (400, "schema_required")
    unknown = post(xc, tag_body(), 'application/schema-instance+json; schema="https://example.com/x"')
    assert (unknown.status_code, unknown.json()["code"]) == (415, "unknown_schema")
    unknown_query = post(xc, tag_body(), "application/schema-instance+json", schema="https://example.com/x")
    assert (unknown_query.status_code, unknown_query.json()["code"]) == (400, "unknown_schema")
    conflict = post(xc, tag_body(), instance_type("tag"), schema=SCHEMAS["offer-placement"])
    assert (conflict.status_code, conflict.json()["code"]) == (400, "schema_conflict")


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/xml", "application/merge-patch+json", "nonsense"]
)
def test_unsupported_content_types_are_415(xc: Xcore, content_type: str | None) -> None:
    response = post(xc, tag_body(), content_type)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml, text/csv", f"{HAL}", "application/json;q=0"]
)
def test_unsatisfiable_accept_is_406_and_nothing_is_written(xc: Xcore, accept: str) -> None:
    response = post(xc, tag_body(), instance_type("tag"), accept=accept)
    assert (response.status_code, response.json()["code"]) == (406, "not_acceptable")
    assert xc.results({"schema": TAG})["_embedded"]["total"] == 0


@pytest.mark.parametrize("accept", [None, "*/*", "*", "application/*", "application/json", f"{RECEIPT}"])
def test_acceptable_receipts(xc: Xcore, accept: str | None) -> None:
    response = post(xc, tag_body(f"tag {accept}"), instance_type("tag"), accept=accept)
    assert response.status_code == 201
    expected = "application/json" if accept == "application/json" else RECEIPT
    assert response.headers["content-type"] == expected


def test_get_negotiation(xc: Xcore) -> None:
    iid = xc.make("tag", tag_body())["instanceId"]
    assert xc.get(iid, Accept="text/html").status_code == 406
    assert xc.get(iid, Accept="application/json").headers["content-type"] == "application/json"
    assert xc.list(Accept="text/html").status_code == 406
    assert (
        xc.list(Accept=f'{HAL}; schema="https://ns.adobe.com/experience/xcore/hal/results"').status_code
        == 200
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{", "invalid_json"),
        (b"", "invalid_json"),
        (b'{"xdm:name": "a", "xdm:name": "b"}', "invalid_json"),
        (b'{"xdm:name": NaN}', "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        (b"[1, 2]", "invalid_body"),
        (b'"tag"', "invalid_body"),
    ],
)
def test_malformed_bodies_are_400(xc: Xcore, body: bytes, code: str) -> None:
    response = post(xc, body, instance_type("tag"))
    assert (response.status_code, response.json()["code"]) == (400, code)


def test_hal_body_without_instance_is_400(xc: Xcore) -> None:
    response = post(xc, {"_links": {}}, f'{HAL}; schema="{TAG}"')
    assert (response.status_code, response.json()["code"]) == (400, "invalid_body")


def test_oversized_body_is_413(xc: Xcore) -> None:
    response = post(xc, {"xdm:name": "x" * (1024 * 1024 + 1)}, instance_type("tag"))
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")


def test_a_client_may_not_set_the_id_or_metadata_on_create(xc: Xcore) -> None:
    with_id = post(xc, {"@id": "xcore:tag:0000000000000001", **tag_body()}, instance_type("tag"))
    assert (with_id.status_code, with_id.json()["code"]) == (422, "non_editable")
    with_meta = post(xc, {"_instance": tag_body(), "repo:etag": 7}, f'{HAL}; schema="{TAG}"')
    assert (with_meta.status_code, with_meta.json()["code"]) == (422, "non_editable")


def test_put_and_patch_content_types(xc: Xcore) -> None:
    iid = xc.make("tag", tag_body())["instanceId"]
    assert xc.put(iid, tag_body(), content_type="text/plain").status_code == 415
    assert xc.patch(iid, [], content_type=HAL).status_code == 415
    assert xc.patch(iid, [], content_type="application/merge-patch+json").status_code == 415
    assert xc.patch(iid, [], content_type=f'{PATCH_HAL}; schema="{TAG}"').status_code == 200
    mismatch = xc.patch(iid, [], content_type=f'{PATCH_HAL}; schema="{SCHEMAS["offer-placement"]}"')
    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "schema_mismatch")
    put_mismatch = xc.put(iid, tag_body(), content_type=instance_type("offer-placement"))
    assert (put_mismatch.status_code, put_mismatch.json()["code"]) == (422, "schema_mismatch")
    assert xc.patch(iid, [], Accept="text/html").status_code == 406
    assert xc.delete(iid, Accept="text/html").status_code == 406


class TestEtags:
    """repo:etag is sent quoted in If-Match (stale: 409) and If-None-Match (current: 304)."""

    @pytest.fixture
    def iid(self, xc: Xcore) -> str:
        iid: str = xc.make("offer-placement", placement_body())["instanceId"]
        return iid

    def test_if_none_match(self, xc: Xcore, iid: str) -> None:
        current = xc.get(iid, **{"If-None-Match": '"1"'})
        assert current.status_code == 304 and current.content == b"" and current.headers["etag"] == '"1"'
        assert xc.get(iid, **{"If-None-Match": "*"}).status_code == 304
        assert xc.get(iid, **{"If-None-Match": 'W/"1"'}).status_code == 304
        stale = xc.get(iid, **{"If-None-Match": '"0", "7"'})
        assert stale.status_code == 200 and stale.json()["repo:etag"] == 1

    @pytest.mark.parametrize("method", ["patch", "put", "delete"])
    def test_stale_if_match_is_409_and_changes_nothing(self, xc: Xcore, iid: str, method: str) -> None:
        name = [{"op": "replace", "path": "/_instance/xdm:name", "value": "first"}]
        assert xc.patch(iid, name, **{"If-Match": '"1"'}).status_code == 200
        call = {
            "patch": lambda h: xc.patch(iid, name, **h),
            "put": lambda h: xc.put(
                iid, placement_body("late"), content_type=instance_type("offer-placement"), **h
            ),
            "delete": lambda h: xc.delete(iid, **h),
        }[method]
        for stale in ('"1"', "1", '"abc"', '"1", "3"'):
            response = call({"If-Match": stale})
            assert (response.status_code, response.json()["code"]) == (409, "version_conflict")
            assert response.json()["repo:etag"] == 2
        assert xc.get(iid).json()["repo:etag"] == 2
        assert call({"If-Match": '"2"'}).status_code == 200

    def test_if_match_forms(self, xc: Xcore, iid: str) -> None:
        ops = [{"op": "test", "path": "/_instance/@id", "value": xc.instance(iid)["@id"]}]
        for header, etag in (("*", 2), ('W/"2"', 3), ('"9", "3"', 4), ("4", 5)):
            response = xc.patch(iid, ops, **{"If-Match": header})
            assert response.status_code == 200, (header, response.text)
            assert response.json()["repo:etag"] == etag
