"""The request kit under the Offer Library and decisioning: limits, etags, routing and unexpected errors."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

from offer_catalog.offer_library import service
from support.offer_library import BASE, Xcore, auth, tag_body


def _problem(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["code"] == code and body["status"] == status
    return body


def test_an_oversized_body_is_413_and_a_deep_one_400(xc: Xcore) -> None:
    big = tag_body("x" * (1024 * 1024))
    _problem(xc.create("tag", big), 413, "payload_too_large")
    deep: object = 1
    for _ in range(70):
        deep = [deep]
    deep = {**tag_body(), "extra": deep}
    _problem(xc.create("tag", deep), 400, "json_too_deep")
    assert xc.results()["_embedded"]["total"] == 0


@pytest.mark.parametrize("tag", ["9" * 5000, '"' + "1" * 40 + '"', 'W/"x"', '"1"x'])
def test_odd_if_match_tags_are_a_conflict_and_change_nothing(xc: Xcore, tag: str) -> None:
    iid = xc.make("tag", tag_body("before"))["instanceId"]
    ops = [{"op": "replace", "path": "/_instance/xdm:name", "value": "after"}]
    body = _problem(xc.patch(iid, ops, **{"If-Match": tag}), 409, "version_conflict")
    assert body["repo:etag"] == 1 and body["instanceId"] == iid
    _problem(xc.delete(iid, **{"If-Match": tag}), 409, "version_conflict")
    assert xc.get(iid, **{"If-None-Match": tag}).status_code == 200
    assert xc.instance(iid)["xdm:name"] == "before"


def test_routing_errors_are_problems_of_each_api(client: TestClient, container: str) -> None:
    _problem(client.get(f"{BASE}/{container}/nothing", headers=auth()), 404, "not_found")
    response = client.request("OPTIONS", f"{BASE}/{container}/instances/x", headers=auth())
    _problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "DELETE, GET, HEAD, PATCH, PUT"
    response = client.get(f"/data/core/ode/{container}/decisions", headers=auth())
    _problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"
    _problem(client.get("/data/core/ods/nothing"), 404, "not_found")


def test_an_unexpected_error_is_one_logged_500_with_the_request_id(
    xc: Xcore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    iid = xc.make("tag", tag_body())["instanceId"]

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "get_instance", explode)
    with caplog.at_level(logging.ERROR):
        response = xc.get(iid, **{"X-Request-ID": "req-ol-500"})
    body = _problem(response, 500, "internal_error")
    assert body["requestId"] == "req-ol-500" and "boom" not in str(body)
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1 and getattr(logged[0], "request_id", None) == "req-ol-500"
