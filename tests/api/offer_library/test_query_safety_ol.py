"""Offer Library: property paths, sort keys and search fields cannot inject; bad input is a coded 4xx."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from offer_catalog.store import Store
from support.offer_library import Xcore, auth, make_container, tag_body
from support.safety import BAD_VALUES, error_code, snapshot

OTHER_ORG = "RIVAL999@AdobeOrg"
# Quotes, comments, NUL, unicode, backslashes and the JSON-path and SQL metacharacters.
TOKENS = [*"'\"\\/*-;()$[].,:=!<>~ %\x00\x01\nAaZz_09@é€𝄞", "--", "/*", "*/", "' OR 1=1", "$.", "'$\"]"]
HOSTILE = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join)


@pytest.fixture
def two_orgs(store: Store, client: TestClient, xc: Xcore) -> tuple[Xcore, Xcore]:
    """Our container with three tags, and a rival organisation's container with two."""
    for name in ("ours-1", "ours-2", "ours-3"):
        xc.make("tag", tag_body(name))
    rival = Xcore(client, make_container(store, org=OTHER_ORG), headers=auth(org=OTHER_ORG))
    for name in ("theirs-1", "theirs-2"):
        rival.make("tag", tag_body(name))
    return xc, rival


def _names(response: Any) -> set[str]:
    return {item["_instance"]["xdm:name"] for item in response.json()["_embedded"]["results"]}


def test_the_reported_injection_is_refused(two_orgs: tuple[Xcore, Xcore]) -> None:
    ours, rival = two_orgs
    for attack in (
        "_instance.a') OR kind IN ('personalized-offer','fallback-offer','offer-activity') /*",
        "_instance.a') OR kind IN ('tag') /*",
        '_instance.a") OR 1=1 --',
    ):
        response = ours.list({"property": attack})
        assert response.status_code == 400, response.text
        assert error_code(response) in ("invalid_query", "invalid_property")
    response = ours.list({"orderby": "a'"})
    assert response.status_code == 400 and error_code(response) == "invalid_query"
    assert _names(ours.list()) == {"ours-1", "ours-2", "ours-3"}
    assert _names(rival.list()) == {"theirs-1", "theirs-2"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=HOSTILE, value=HOSTILE)
def test_hostile_paths_never_leave_the_callers_container(
    two_orgs: tuple[Xcore, Xcore], path: str, value: str
) -> None:
    ours, _ = two_orgs
    for params in (
        {"property": path},
        {"property": f"_instance.{path}=={value}"},
        {"property": f"{path}~{value}"},
        {"orderby": path},
        {"orderby": f"-_instance.{path}"},
        {"q": value, "field": f"_instance.{path}"},
    ):
        where = "queries/core/search" if "q" in params else "instances"
        response = ours.list(params, path=where)
        assert response.status_code in (200, 400), (params, response.text)
        if response.status_code == 400:
            assert error_code(response)
        else:
            assert _names(response) <= {"ours-1", "ours-2", "ours-3"}, params


BAD_QUERIES = [
    ({"property": "repo:createdDate>9999999999999999"}, 400, "number_out_of_range"),
    ({"property": "repo:lastModifiedDate<-99999999999999999999"}, 400, "number_out_of_range"),
    ({"property": "repo:etag==" + "9" * 30}, 400, "number_out_of_range"),
    ({"orderby": "\x00"}, 400, "invalid_query"),
    ({"orderby": "_instance.a\x00b"}, 400, "invalid_query"),
    ({"orderby": ",".join(["k"] * 1_000)}, 400, "too_many_terms"),  # within max_query_bytes
    ([("property", f"n~{i}") for i in range(500)], 400, "too_many_terms"),
    ({"orderby": ",".join(["k"] * 10_000)}, 400, "query_too_long"),  # past max_query_bytes (16 KiB)
    ({"property": "_instance.xdm:name==a\x00"}, 400, "invalid_character"),
    ({"property": "_instance.xdm:name~(?<x>a)"}, 400, "invalid_query"),
    ({"property": "_instance.xdm:name~a{300}"}, 400, "invalid_query"),
    ({"property": "_instance.xdm:name~(a)\\1"}, 400, "invalid_query"),
    ({"property": "_instance.xdm:name~\\bword"}, 400, "invalid_query"),
    ({"property": "_instance." + ".".join(["a"] * 40) + "==x"}, 400, "invalid_query"),
    ({"property": "_instance.é==x"}, 400, "invalid_query"),
]


@pytest.mark.parametrize(("params", "status", "code"), BAD_QUERIES)
def test_bad_queries_are_coded_4xx(
    store: Store, client: TestClient, two_orgs: tuple[Xcore, Xcore], params: Any, status: int, code: str
) -> None:
    ours, rival = two_orgs
    before = snapshot(store, [ours.container, rival.container])
    response = ours.list(params)
    assert response.status_code == status, response.text
    assert error_code(response) == code
    assert client.get("/health").status_code == 200
    assert snapshot(store, [ours.container, rival.container]) == before


def test_numbers_no_store_holds_read_as_text(two_orgs: tuple[Xcore, Xcore]) -> None:
    ours, _ = two_orgs
    huge = "9" * 5000
    assert _names(ours.list({"property": f"_instance.xdm:name=={huge}"})) == set()
    assert _names(ours.list({"property": "_instance.xdm:name==1e999"})) == set()
    page = ours.list({"limit": huge})
    assert page.status_code == 200 and _names(page) == {"ours-1", "ours-2", "ours-3"}
    response = ours.list({"orderby": "_instance.n", "start": f"{huge},x"})
    assert response.status_code == 200, response.text


def test_catastrophic_patterns_answer(two_orgs: tuple[Xcore, Xcore]) -> None:
    ours, _ = two_orgs
    for params in (
        {"property": "_instance.xdm:name~(a+)+b"},
        {"name": "*a*a*a*a*a*a*a*a*b"},
        {"property": "_instance.xdm:name~(x+x+)+y"},
    ):
        response = ours.list(params)
        assert response.status_code == 200, response.text
        assert _names(response) == set()
    assert _names(ours.list({"property": "_instance.xdm:name~OURS-(1|3)"})) == {"ours-1", "ours-3"}


TAG_TYPE = 'application/schema-instance+json; version=1; schema="{}"'.format(
    "https://ns.adobe.com/experience/offer-management/tag;version=0.1"
)


@pytest.mark.parametrize(("value", "code"), BAD_VALUES)
def test_bad_bodies_are_coded_400_and_store_nothing(
    store: Store, client: TestClient, two_orgs: tuple[Xcore, Xcore], value: str, code: str
) -> None:
    ours, rival = two_orgs
    before = snapshot(store, [ours.container, rival.container])
    created = ours.client.post(
        ours.instances,
        headers={**ours.headers, "Content-Type": TAG_TYPE},
        content=f'{{"xdm:name": "bad", "x": {value}}}',
    )
    assert created.status_code == 400, created.text
    assert error_code(created) == code
    tag = ours.list().json()["_embedded"]["results"][0]
    patched = ours.client.patch(
        ours.url(tag["instanceId"]),
        headers={**ours.headers, "Content-Type": "application/vnd.adobe.platform.xcore.patch.hal+json"},
        content=f'[{{"op": "add", "path": "/_instance/x", "value": {value}}}]',
    )
    assert patched.status_code == 400, patched.text
    assert error_code(patched) == code
    assert client.get("/health").status_code == 200
    assert snapshot(store, [ours.container, rival.container]) == before
