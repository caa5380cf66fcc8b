"""TMF630 list queries against a brute-force reference: filters, OR forms, fields, sort, paging, errors."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from tmf620_reference import Atom, Group, render, run

from offer_catalog.app import create_app
from offer_catalog.resources.tmf620.lifecycle import STATES
from offer_catalog.settings import load_settings
from offer_catalog.store import Store
from support.tmf620 import STD, Make, assert_error

URL = f"{STD}productOffering"
WORDS = ["alpha", "beta", "gamma", "delta", "omega"]
TYPES = ["ProductOffering", "ProductOfferingOracle", "BundleOffering"]


def _offering(i: int, rng: random.Random) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"po-{i:03d}",
        "name": f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}",
        "isBundle": rng.choice([True, False]),
        "lifecycleStatus": rng.choice(STATES),
        "version": rng.choice(["1.0", "2.0", "10"]),
        "rank": rng.randint(0, 9),
        "@type": rng.choice(TYPES),
        "validFor": {
            "startDateTime": f"2024-0{rng.randint(1, 3)}-1{rng.randint(0, 9)}T0{rng.randint(0, 9)}:00:00Z"
        },
        "productOfferingPrice": [
            {"id": f"pop-{k}", "name": rng.choice(WORDS)} for k in rng.sample(range(6), 2)
        ],
    }
    if rng.random() < 0.6:
        body["isSellable"] = rng.random() < 0.5
    if rng.random() < 0.5:
        body["code"] = rng.choice([3, "3", 4.5, "x"])
    return body


@pytest.fixture
def catalog(client: TestClient) -> list[dict[str, Any]]:
    """Thirty offerings with varied members, created through the API; their served views."""
    rng = random.Random(620)
    views = []
    for i in range(30):
        response = client.post(URL, json=_offering(i, rng))
        assert response.status_code == 201
        views.append(response.json())
    return views


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


HANDWRITTEN: list[list[Group]] = [
    [(Atom("name", "regex", ("^alpha",)),)],
    [(Atom("isBundle", "eq", ("false",)),)],
    [(Atom("isBundle", "eq", ("true",)),), (Atom("rank", "gte", ("5",)),)],
    [(Atom("rank", "gt", ("3",)),), (Atom("rank", "lte", ("7",)),)],
    [(Atom("rank", "ne", ("1", "2", "3")),)],
    [(Atom("code", "eq", ("3",)),)],
    [(Atom("code", "eq", ("4.5",)),)],
    [(Atom("version", "eq", ("10",)),)],
    [(Atom("version", "eq", ("1.0", "2.0")),)],
    [(Atom("lifecycleStatus", "eq", ("Active", "Launched", "In Study")),)],
    [(Atom("@type", "eq", ("ProductOfferingOracle",)),)],
    [(Atom("@baseType", "eq", ("ProductOffering",)),)],
    [(Atom("productOfferingPrice.id", "eq", ("pop-1",)),)],
    [(Atom("productOfferingPrice.name", "eq", ("beta",)), Atom("rank", "eq", ("0",)))],
    [(Atom("validFor.startDateTime", "gte", ("2024-02-01",)),)],
    [
        (Atom("validFor.startDateTime", "gte", ("2024-02",)),),
        (Atom("validFor.startDateTime", "lt", ("2024-03",)),),
    ],
    [(Atom("validFor.startDateTime", "eq", ("2024-01",)),)],
    [(Atom("validFor.startDateTime", "eq", ("2024-02-10T02",)),)],
    [(Atom("isSellable", "ne", ("true",)),)],
    [(Atom("id", "eq", ("po-003", "po-011", "nope")),)],
    [(Atom("id", "regex", ("0[12]$",)),)],
    [(Atom("name", "eq", ("alpha alpha 7", "beta")),)],
]


@pytest.mark.parametrize("groups", HANDWRITTEN, ids=lambda g: "&".join(a.path + a.op for x in g for a in x))
def test_filters_match_the_reference(
    client: TestClient, catalog: list[dict[str, Any]], groups: list[Group]
) -> None:
    expected = [v["id"] for v in run(catalog, groups)]
    rng = random.Random(1)
    for _ in range(3):  # several equivalent spellings of the same query
        query = render(groups, rng)
        assert _ids(client.get(f"{URL}?{query}")) == expected, query


@pytest.mark.parametrize(
    "pattern",
    ["^alpha", r"\d$", "a(l|m)p", "^(beta|gamma) ", "[0-9]{2}$", r"\s\d", "A", "x*", r"a\.b", "[^a-z ]"],
)
def test_regex_subset_agrees_on_both_stores(
    client: TestClient, catalog: list[dict[str, Any]], pattern: str
) -> None:
    groups: list[Group] = [(Atom("name", "regex", (pattern,)),)]
    expected = [v["id"] for v in run(catalog, groups)]
    assert _ids(client.get(f"{URL}?name*={quote(pattern, safe='')}")) == expected
    assert _ids(client.get(f"{URL}?name.regex={quote(pattern, safe='')}")) == expected


def _random_groups(rng: random.Random, catalog: list[dict[str, Any]]) -> list[Group]:
    sample = rng.choice(catalog)
    candidates = {
        "name": ("regex", [rng.choice(WORDS)]),
        "isBundle": ("eq", [str(sample["isBundle"]).lower()]),
        "rank": (
            rng.choice(["eq", "ne", "gt", "gte", "lt", "lte"]),
            [str(rng.randint(0, 9)) for _ in range(2)],
        ),
        "lifecycleStatus": ("eq", rng.sample(STATES, 2)),
        "@type": (rng.choice(["eq", "ne"]), [rng.choice(TYPES)]),
        "productOfferingPrice.id": ("eq", [f"pop-{rng.randint(0, 5)}"]),
        "validFor.startDateTime": (
            rng.choice(["gte", "lt", "eq"]),
            [sample["validFor"]["startDateTime"][:10]],
        ),
        "version": ("eq", [rng.choice(["1.0", "10", "2.0"])]),
    }
    paths = rng.sample(sorted(candidates), rng.randint(1, 3))
    groups: list[Group] = []
    for path in paths:
        op, values = candidates[path]
        values = values[:1] if op == "regex" else values[: rng.randint(1, len(values))]
        groups.append((Atom(path, op, tuple(values)),))
    if len(groups) >= 2 and rng.random() < 0.3:  # an OR across two attributes
        groups = [groups[0] + groups[1], *groups[2:]]
    return groups


def test_random_filters_match_the_reference(client: TestClient, catalog: list[dict[str, Any]]) -> None:
    rng = random.Random(2024)
    for _ in range(60):
        groups = _random_groups(rng, catalog)
        query = render(groups, rng)
        assert _ids(client.get(f"{URL}?{query}")) == [v["id"] for v in run(catalog, groups)], query


def test_last_update_exact_quoted_and_prefix(client: TestClient, catalog: list[dict[str, Any]]) -> None:
    stamp = catalog[0]["lastUpdate"]
    same = [v["id"] for v in catalog if v["lastUpdate"] == stamp]
    assert _ids(client.get(f"{URL}?lastUpdate={stamp}")) == same
    assert _ids(client.get(f'{URL}?lastUpdate="{stamp}"')) == same
    assert _ids(client.get(f"{URL}?lastUpdate=%22{quote(stamp)}%22")) == same
    day = [v["id"] for v in catalog if v["lastUpdate"].startswith(stamp[:10])]
    assert _ids(client.get(f"{URL}?lastUpdate={stamp[:10]}")) == day
    assert _ids(client.get(f"{URL}?lastUpdate%3E%3D{stamp}")) == [
        v["id"] for v in catalog if v["lastUpdate"] >= stamp
    ]


def test_href_filter(client: TestClient, catalog: list[dict[str, Any]]) -> None:
    assert _ids(client.get(f"{URL}?href={catalog[4]['href']}")) == [catalog[4]["id"]]
    assert _ids(client.get(f"{URL}?href=/elsewhere/productOffering/po-004")) == []


@pytest.mark.parametrize(
    "sort",
    ["name", "-name", "rank,id", "-rank,name", "+rank,-id", "validFor.startDateTime", "-id", "lastUpdate"],
)
def test_sort(client: TestClient, catalog: list[dict[str, Any]], sort: str) -> None:
    expected = sorted(catalog, key=lambda v: v["id"])
    for key in reversed([k.strip() for k in sort.split(",")]):
        path = key.lstrip("+-").split(".")
        expected.sort(key=lambda v: _at(v, path), reverse=key.startswith("-"))
    assert _ids(client.get(f"{URL}?sort={quote(sort)}")) == [v["id"] for v in expected]


def _at(view: dict[str, Any], path: list[str]) -> Any:
    value: Any = view
    for step in path:
        value = value[step]
    return value


def test_paging_headers_and_links(client: TestClient, catalog: list[dict[str, Any]]) -> None:
    """A partial page is 200 (both specifications declare only 200) with the paging headers."""
    ordered = sorted(v["id"] for v in catalog)
    page = client.get(f"{URL}?isBundle=true&offset=2&limit=3&fields=none")
    matching = [v["id"] for v in run(catalog, [(Atom("isBundle", "eq", ("true",)),)])]
    assert page.status_code == 200 and [i["id"] for i in page.json()] == matching[2:5]
    assert page.headers["x-total-count"] == str(len(matching)) and page.headers["x-result-count"] == "3"
    links = dict(reversed(part.split("; ")) for part in page.headers["link"].split(", "))
    assert links['rel="first"'] == f"<{URL}?isBundle=true&fields=none&offset=0&limit=3>"
    assert links['rel="prev"'] == f"<{URL}?isBundle=true&fields=none&offset=0&limit=3>"
    assert links['rel="next"'] == f"<{URL}?isBundle=true&fields=none&offset=5&limit=3>"
    last = (len(matching) - 1) // 3 * 3
    assert links['rel="last"'] == f"<{URL}?isBundle=true&fields=none&offset={last}&limit=3>"
    whole = client.get(f"{URL}?limit=1000")
    assert whole.status_code == 200 and _ids(whole) == ordered and whole.headers["x-result-count"] == "30"
    assert client.get(URL).status_code == 200 and "link" not in client.get(URL).headers
    beyond = client.get(f"{URL}?offset=100")
    assert beyond.status_code == 200 and beyond.json() == [] and beyond.headers["x-total-count"] == "30"
    walked = [i for o in range(0, 30, 7) for i in _ids_any(client.get(f"{URL}?offset={o}&limit=7"))]
    assert walked == ordered


@pytest.mark.parametrize("values", [("pop-1",), ("pop-1", "pop-4")], ids=["one value", "two values"])
def test_pages_of_an_indexed_path_filter(
    client: TestClient, catalog: list[dict[str, Any]], values: tuple[str, ...]
) -> None:
    """Every page of an equality on an indexed path (one value or an OR) is the reference's slice,
    each with the total of all matches (the page reads only its rows of the path index)."""
    matching = [v["id"] for v in run(catalog, [(Atom("productOfferingPrice.id", "eq", values),)])]
    assert 4 <= len(matching) < 30
    for offset in range(0, len(matching) + 2):
        page = client.get(f"{URL}?productOfferingPrice.id={','.join(values)}&offset={offset}&limit=3")
        assert _ids(page) == matching[offset : offset + 3], offset
        assert page.headers["x-total-count"] == str(len(matching))
    beyond = client.get(f"{URL}?productOfferingPrice.id={','.join(values)}&offset={10**19}&limit=1000")
    assert _ids(beyond) == [] and beyond.headers["x-total-count"] == str(len(matching))


def test_a_string_member_compares_as_text_only(client: TestClient) -> None:
    """A member typed as a string matches its text only: no number reading, and a value shaped
    like a date cut short is not a prefix (that is for date-time members)."""
    for id, name, start in [
        ("t-1", "2024-01", "2024-01"),
        ("t-2", "2024-01 promotion", "2024-01"),
        ("t-3", "10", "2025-10"),
    ]:
        body = {"id": id, "name": name, "validFor": {"startDateTime": f"{start}-15T10:00:00Z"}}
        assert client.post(URL, json=body).status_code == 201
    exact = client.get(f"{URL}?name=2024-01&fields=none&limit=5")
    assert _ids(exact) == ["t-1"] and exact.headers["x-total-count"] == "1"
    assert _ids(client.get(f"{URL}?name=10")) == ["t-3"]
    assert _ids(client.get(f"{URL}?name=2024-01,10")) == ["t-1", "t-3"]
    assert _ids(client.get(f"{URL}?validFor.startDateTime=2024-01")) == ["t-1", "t-2"]


def test_partial_pages_are_206_when_configured(store: Store, catalog: list[dict[str, Any]]) -> None:
    """OFFER_CATALOG_TMF_PARTIAL_CONTENT=true: TMF630's 206 for a partial page, declared in OpenAPI."""
    partial_settings = load_settings(
        {"database_url": "sqlite:///unused.db", "tmf_partial_content": True}, environ={}
    )
    with TestClient(create_app(partial_settings, store=store)) as partial:
        page = partial.get(f"{URL}?offset=2&limit=3")
        assert page.status_code == 206 and page.headers["x-result-count"] == "3"
        assert partial.get(f"{URL}?limit=1000").status_code == 200
        spec = partial.get(f"{STD}openapi.json").json()
        assert "206" in spec["paths"]["/productOffering"]["get"]["responses"]


def test_a_limit_above_the_largest_page_gets_a_capped_page(
    client: TestClient, store: Store, catalog: list[dict[str, Any]]
) -> None:
    """TMF630: a `limit` above the largest page is no error; the headers say what came and what is next."""
    ordered = sorted(v["id"] for v in catalog)
    whole = client.get(f"{URL}?limit=1001&sort=id")
    assert whole.status_code == 200 and _ids(whole) == ordered
    capped_settings = load_settings(
        {"database_url": "sqlite:///unused.db", "tmf_max_page_size": 7}, environ={}
    )
    with TestClient(create_app(capped_settings, store=store)) as capped:
        page = capped.get(f"{URL}?sort=id&offset=7&limit=50")
        assert page.status_code == 200 and [i["id"] for i in page.json()] == ordered[7:14]
        assert (page.headers["x-result-count"], page.headers["x-total-count"]) == ("7", "30")
        links = dict(reversed(part.split("; ")) for part in page.headers["link"].split(", "))
        assert links['rel="next"'] == f"<{URL}?sort=id&offset=14&limit=7>"
        assert links['rel="last"'] == f"<{URL}?sort=id&offset=28&limit=7>"
        assert len(capped.get(URL).json()) == 7 and capped.get(URL).headers["x-total-count"] == "30"


def _ids_any(response: Any) -> list[str]:
    assert response.status_code in (200, 206)
    return [item["id"] for item in response.json()]


def test_fields(client: TestClient, catalog: list[dict[str, Any]]) -> None:
    first = catalog[0]
    one = client.get(f"{first['href']}?fields=name,rank")
    assert one.json() == {
        "id": first["id"],
        "href": first["href"],
        "name": first["name"],
        "rank": first["rank"],
    }
    assert client.get(f"{first['href']}?fields=none").json() == {"id": first["id"], "href": first["href"]}
    nested = client.get(
        f"{URL}?id={first['id']}&fields=validFor.startDateTime,productOfferingPrice.id"
    ).json()[0]
    assert nested["validFor"] == {"startDateTime": first["validFor"]["startDateTime"]}
    assert nested["productOfferingPrice"] == [{"id": p["id"]} for p in first["productOfferingPrice"]]
    listed = client.get(f"{URL}?fields=lifecycleStatus&sort=id").json()
    assert listed == [
        {"id": v["id"], "href": v["href"], "lifecycleStatus": v["lifecycleStatus"]} for v in catalog
    ]
    assert set(client.get(f"{URL}?fields=%40type").json()[0]) == {"id", "href", "@type"}


@pytest.mark.parametrize(
    "query",
    [
        "limit=abc",
        "limit=1e3",
        "offset=--1",
        "offset=1.5",
        "limit=1&limit=2",
        "name*=(",
        "name*=(?i)alpha",
        "sort=",
        "sort=-",
        "sort=a..b",
        "name~=x",
        "=x",
        "a..b=1",
        "fields>x",
        "rank.gt>=3",
        "justaword",
        "%ZZ=1",
        "name=%00",
        "href.gt=x",
    ],
)
def test_malformed_queries_are_400(client: TestClient, query: str) -> None:
    assert_error(client.get(f"{URL}?{query}"), 400, "invalid_query", prefix=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.text(alphabet=st.sampled_from(list('ab.=<>!*,;&"%0123456789-_@ ~()[]^$\\?+ZT:')), max_size=30)
)
def test_no_query_string_is_a_500(client: TestClient, catalog: list[dict[str, Any]], query: str) -> None:
    response = client.get(f"{URL}?{query}")
    assert response.status_code in (200, 206, 400), (query, response.text)
    if response.status_code == 400:
        assert response.json()["@type"] == "Error"


def test_date_times_are_compared_as_instants(client: TestClient, make: Make) -> None:
    """The user guide's own data carries offsets (`-04:00`): filters compare instants, on every operator."""
    starts = {
        "a": "2024-01-15T10:00:00-04:00",  # 14:00Z
        "b": "2024-01-15T12:00:00Z",
        "c": "2024-01-15T15:30:00+02:00",  # 13:30Z
        "d": "2024-01-15T14:00:00Z",
    }
    made = {k: make(id=k, validFor={"startDateTime": v}) for k, v in starts.items()}
    make(id="e")  # no validFor: only `ne` matches it

    def ids(query: str) -> set[str]:
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()}

    start = "validFor.startDateTime"
    assert ids(f"{start}.gt=2024-01-15T13:00:00Z") == {"a", "c", "d"}
    assert ids(f"{start}=2024-01-15T14:00:00Z") == {"a", "d"}
    assert ids(f"{start}=2024-01-15T10:00:00-04:00") == {"a", "d"}
    assert ids(f"{start}.lt=2024-01-15T09:45:00-04:00") == {"b", "c"}
    assert ids(f"{start}%3C=2024-01-15T15:30:00%2B02:00") == {"b", "c"}
    assert ids(f"{start}>=2024-01-15T15:30:00+02:00") == {"a", "c", "d"}  # an unencoded + reads as +
    assert ids(f"{start}.ne=2024-01-15T10:00:00-04:00") == {"b", "c", "e"}
    assert ids(f"{start}=2024-01-15") == {"a", "b", "c", "d"}  # a date cut short still matches by prefix
    ordered = client.get(f"{URL}?sort={start},id&fields=none").json()
    assert [o["id"] for o in ordered] == ["e", "b", "c", "a", "d"]  # by instant; none first
    backwards = client.get(f"{URL}?sort=-{start},id&fields=none").json()
    assert [o["id"] for o in backwards] == ["a", "d", "c", "b", "e"]
    stamp = made["a"]["lastUpdate"]  # whole seconds, Z
    instant = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    west = instant.astimezone(timezone(timedelta(hours=-4))).isoformat()
    assert ids(f"id=a&lastUpdate={quote(west)}") == {"a"}
    assert ids(f"id=a&lastUpdate.lte={quote(west)}") == {"a"}
    assert ids(f"id=a&lastUpdate.gt={quote(west)}") == set()
    later = (instant + timedelta(milliseconds=500)).isoformat()
    assert ids(f"id=a&lastUpdate.gte={quote(later)}") == set()
    assert ids(f"id=a&lastUpdate.lt={quote(later)}") == {"a"}
    assert ids(f"id=a&lastUpdate={quote(later)}") == set()
