"""TMF620: filter, sort and field names cannot inject; bad queries and bodies are coded 400s."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from offer_catalog.store import Store
from offer_catalog.tmf620.resources import SCOPE
from support.safety import BAD_VALUES, error_code, snapshot
from support.tmf620 import STD, Make

OFFERINGS = f"{STD}productOffering"
TOKENS = [*"'\"\\/*-;()$[].,:=!<>~ %\x00\x01\nAaZz_09@é€𝄞", "--", "/*", "*/", "' OR 1=1", "$.", "'$\"]"]
HOSTILE = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join)


@pytest.fixture
def catalog(make: Make) -> dict[str, set[str]]:
    """Three offerings and two categories (another kind in the same store), by id."""
    offerings = {make(name=f"offer {i}")["id"] for i in range(3)}
    categories = {make("category", name=f"category {i}")["id"] for i in range(2)}
    return {"offerings": offerings, "categories": categories}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=HOSTILE, value=HOSTILE)
def test_hostile_names_only_ever_answer_the_resource_asked_for(
    client: TestClient, catalog: dict[str, set[str]], name: str, value: str
) -> None:
    for query in (
        f"{quote(name)}={quote(value)}",
        f"name.{quote(name)}={quote(value)}",
        f"{quote(name)}.regex={quote(value)}",
        f"sort={quote(name)}",
        f"fields={quote(name)}",
        f"name={quote(value)}",
    ):
        response = client.get(f"{OFFERINGS}?{query}")
        assert response.status_code in (200, 206, 400), (query, response.text)
        if response.status_code == 400:
            assert error_code(response)
        else:
            assert {item["id"] for item in response.json()} <= catalog["offerings"], query


BAD_QUERIES = [
    ("offset=1e30", "invalid_query:offset"),
    ("limit=" + "9" * 5000 + "x", "invalid_query:limit"),
    ("&".join(f"name.regex=n{i}" for i in range(500)), "too_many_terms"),  # within max_query_bytes
    ("sort=" + ",".join(["name"] * 2_000), "too_many_terms"),
    ("sort=" + ",".join(["name"] * 10_000), "query_too_long"),  # past max_query_bytes (16 KiB)
    ("sort=a'", "invalid_query"),
    ("sort=%00", "invalid_query"),
    ("a')%20OR%201=1--=x", "invalid_query"),
    ("name.regex=(?<x>a)", "invalid_query"),
    ("name.regex=a{300}", "invalid_query"),
    ("name.regex=(a)\\1", "invalid_query"),
    ("name=a%00", "invalid_query"),
    ("é=x", "invalid_query"),
]


@pytest.mark.parametrize(("query", "code"), BAD_QUERIES)
def test_bad_queries_are_coded_400(
    store: Store, client: TestClient, catalog: dict[str, set[str]], query: str, code: str
) -> None:
    before = snapshot(store, [SCOPE])
    response = client.get(f"{OFFERINGS}?{query}")
    assert response.status_code == 400, response.text
    assert error_code(response) == code
    assert client.get("/health").status_code == 200
    assert snapshot(store, [SCOPE]) == before


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("offset=9223372036854775808", 0),
        ("offset=" + "1" * 30, 0),
        ("offset=-5", 3),
        ("limit=" + "9" * 5000, 3),
        ("limit=-1", 0),
        ("limit=5000", 3),
        ("fields=a'b", 3),
    ],
)
def test_paging_numbers_are_clamped_and_unknown_fields_select_nothing(
    client: TestClient, catalog: dict[str, set[str]], query: str, count: int
) -> None:
    """The v4 specification takes any integer for offset and limit and any text for fields."""
    response = client.get(f"{OFFERINGS}?{query}")
    assert response.status_code == 200, response.text
    assert len(response.json()) == count
    assert response.headers["X-Total-Count"] == "3"
    if query.startswith("fields"):
        assert all(set(item) == {"id", "href"} for item in response.json())


def test_numbers_beyond_64_bits_in_filters_read_as_text(client: TestClient, catalog: dict[str, Any]) -> None:
    for query in (f"version={'9' * 5000}", "version=1e999", f"version.gt={'9' * 30}"):
        response = client.get(f"{OFFERINGS}?{query}")
        assert response.status_code == 200, response.text
        assert response.json() == []


def test_catastrophic_patterns_answer(client: TestClient, catalog: dict[str, Any]) -> None:
    for pattern in ("(a+)+$", "(x+x+)+y", "^(a|aa)+$"):
        response = client.get(f"{OFFERINGS}?name.regex={quote(pattern)}")
        assert response.status_code == 200, response.text
        assert response.json() == []
    matched = client.get(f"{OFFERINGS}?name.regex={quote('^offer [02]$')}")
    assert sorted(item["name"] for item in matched.json()) == ["offer 0", "offer 2"]


@pytest.mark.parametrize(("value", "code"), BAD_VALUES)
def test_bad_bodies_are_coded_400_and_store_nothing(
    store: Store, client: TestClient, catalog: dict[str, set[str]], value: str, code: str
) -> None:
    before = snapshot(store, [SCOPE])
    json_type = {"Content-Type": "application/json"}
    created = client.post(OFFERINGS, content=f'{{"name": "x", "n": {value}}}', headers=json_type)
    assert created.status_code == 400, created.text
    assert error_code(created) == code
    target = f"{OFFERINGS}/{sorted(catalog['offerings'])[0]}"
    merge = {"Content-Type": "application/merge-patch+json"}
    patched = client.patch(target, content=f'{{"n": {value}}}', headers=merge)
    assert patched.status_code == 400, patched.text
    assert error_code(patched) == code
    json_patch = {"Content-Type": "application/json-patch+json"}
    ops = f'[{{"op": "add", "path": "/n", "value": {value}}}]'
    assert error_code(client.patch(target, content=ops, headers=json_patch)) == code
    assert client.get("/health").status_code == 200
    assert snapshot(store, [SCOPE]) == before
