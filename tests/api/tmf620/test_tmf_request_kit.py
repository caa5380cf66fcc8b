"""The request kit under TMF620: body byte and depth limits, robust etags, routing errors as TMF Errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store
from support.tmf620 import ORA, STD, assert_error


@pytest.fixture
def small_client(store: Store) -> Iterator[TestClient]:
    """A client on an app that accepts bodies of at most 300 bytes nesting at most 4 levels."""
    settings = load_settings(
        {"database_url": "sqlite:///unused.db", "max_body_bytes": 300, "max_json_depth": 4}, environ={}
    )
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as test_client:
        yield test_client


def _count(client: TestClient) -> int:
    return len(client.get(f"{STD}productOffering").json())


def test_a_declared_length_over_the_limit_is_413_and_stores_nothing(small_client: TestClient) -> None:
    body = b'{"name": "' + b"x" * 400 + b'"}'
    response = small_client.post(f"{STD}productOffering", content=body)
    assert_error(response, 413, "payload_too_large")
    assert _count(small_client) == 0


def test_a_chunked_body_is_counted_as_it_arrives(small_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(10):
            yield b"y" * 50
        yield b'"}'

    assert_error(small_client.post(f"{STD}productOffering", content=chunks()), 413, "payload_too_large")
    assert _count(small_client) == 0

    def small() -> Iterator[bytes]:
        yield b'{"name": '
        yield b'"chunked"}'

    assert small_client.post(f"{STD}productOffering", content=small()).status_code == 201


def test_nesting_deeper_than_the_limit_is_400(small_client: TestClient) -> None:
    deep = b'{"name": "n", "a": [[[[1]]]]}'
    assert_error(small_client.post(f"{STD}productOffering", content=deep), 400, "json_too_deep")
    brackets_in_strings = b'{"name": "[[[[[[[[{{{{{{"}'
    assert small_client.post(f"{STD}productOffering", content=brackets_in_strings).status_code == 201
    href = small_client.get(f"{STD}productOffering").json()[0]["href"]
    response = small_client.patch(href, content=deep, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "json_too_deep")


def test_default_depth_limit_is_64(client: TestClient) -> None:
    body = b'{"name": "n", "a": ' + b"[" * 70 + b"]" * 70 + b"}"
    assert_error(client.post(f"{STD}productOffering", content=body), 400, "json_too_deep")


@pytest.mark.parametrize(
    "tag",
    ['"' + "9" * 5000 + '"', "9" * 5000, '"' + "1" * 40 + '"', 'W/"abc"', '"١"', '"1"x', "W/", '""', ","],
)
def test_odd_if_match_tags_match_nothing(client: TestClient, tag: str) -> None:
    href = client.post(f"{STD}catalog", json={"name": "c"}).json()["href"]
    raw = tag.encode("utf-8")
    response = client.patch(href, json={"name": "d"}, headers={"If-Match": raw})
    assert_error(response, 412, "precondition_failed")
    assert client.get(href, headers={"If-None-Match": raw}).status_code == 200
    assert client.get(href).json()["name"] == "c"


def test_non_ascii_bytes_in_if_match_match_nothing(client: TestClient) -> None:
    href = client.post(f"{STD}catalog", json={"name": "c"}).json()["href"]
    response = client.patch(href, json={"name": "d"}, headers=[("If-Match", b'"\xc3\xa91"')])
    assert_error(response, 412, "precondition_failed")


def test_a_huge_version_number_in_a_history_path_is_404(client: TestClient) -> None:
    href = client.post(f"{STD}catalog", json={"name": "c"}).json()["href"]
    for number in ("1" * 30, "9" * 5000, "٣"):
        assert_error(client.get(f"{href}/history/{number}"), 404, "not_found")
    assert client.get(f"{href}/history/1").status_code == 200


def test_head_and_routing_errors_come_from_the_route_table(client: TestClient) -> None:
    href = client.post(f"{STD}catalog", json={"name": "c"}).json()["href"]
    head = client.head(href)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == '"1"'
    for base in (STD, ORA):
        response = client.request("OPTIONS", f"{base}catalog/x/history")
        assert_error(response, 405, "method_not_allowed")
        assert response.headers["allow"] == "GET, HEAD"
    assert_error(client.get(f"{STD}productOffering/a%00b"), 404, "not_found")
