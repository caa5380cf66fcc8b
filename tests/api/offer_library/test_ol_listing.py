"""Lists and search: property filters, orderby, keyset paging via _links.next.href, lookups, results shape."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from support.offer_library import (
    RECORDED_USER,
    SCHEMAS,
    Xcore,
    at_ids,
    offer_body,
)

World = dict[str, dict[str, Any]]
OFFER = SCHEMAS["personalized-offer"]
NAMES = ["Alpha", "beta", "Gamma", "delta", "Epsilon", "zeta"]


@pytest.fixture
def offers(xc: Xcore, world: World) -> dict[str, dict[str, Any]]:
    """Six more offers: names above, priorities 0-5, every other one approved; receipts by name."""
    p, t, r = world["placement"]["@id"], world["tag"]["@id"], world["rule"]["@id"]
    made = {}
    for index, name in enumerate(NAMES):
        body = offer_body(p, t, r, name=name, status="approved" if index % 2 else "draft")
        body["xdm:rank"] = {"xdm:priority": index}
        if index >= 4:
            del body["xdm:cappingConstraint"]
        made[name] = xc.make("personalized-offer", body)
    return made


def names(xc: Xcore, *properties: str, **params: str) -> list[str]:
    page = xc.results({"schema": OFFER, "property": list(properties), "limit": "100", **params})
    assert page["_embedded"]["count"] == len(page["_embedded"]["results"])
    return [item["_instance"]["xdm:name"] for item in page["_embedded"]["results"]]


@pytest.mark.parametrize(
    ("prop", "expected"),
    [
        ("_instance.xdm:status==approved", {"beta", "delta", "zeta"}),
        ("_instance.xdm:status!=approved", {"Alpha", "Gamma", "Epsilon", "Sale offer"}),
        ("_instance.xdm:rank.xdm:priority<2", {"Alpha", "beta", "Sale offer"}),
        ("_instance.xdm:rank.xdm:priority<=2", {"Alpha", "beta", "Gamma", "Sale offer"}),
        ("_instance.xdm:rank.xdm:priority>3", {"Epsilon", "zeta"}),
        ("_instance.xdm:rank.xdm:priority>=3", {"delta", "Epsilon", "zeta"}),
        ("_instance.xdm:rank.xdm:priority==4", {"Epsilon"}),
        ("_instance.xdm:rank.xdm:priority!=4", {"Alpha", "beta", "Gamma", "delta", "zeta", "Sale offer"}),
        ("_instance.xdm:name~alpha", {"Alpha"}),
        ("_instance.xdm:name~ALPH", set()),
        ("_instance.xdm:name~.*ta", {"beta", "delta", "zeta"}),
        ("_instance.xdm:name~(gamma|zeta)", {"Gamma", "zeta"}),
        ("_instance.xdm:name==alpha", set()),
        ("_instance.xdm:cappingConstraint", {"Alpha", "beta", "Gamma", "delta", "Sale offer"}),
        ("xdm:cappingConstraint.xdm:globalCap==150", {"Alpha", "beta", "Gamma", "delta", "Sale offer"}),
        ("_instance.xdm:tags", set(NAMES) | {"Sale offer"}),
        ("_instance.xdm:nothing", set()),
        ("repo:createdBy==" + RECORDED_USER, set(NAMES) | {"Sale offer"}),
        ("repo:etag==1", set(NAMES) | {"Sale offer"}),
        ("repo:createdDate>=2019-02-23T16:30:00.000Z", set(NAMES) | {"Sale offer"}),
        ("repo:createdDate<2019-02-23T16:30:00+01:00", set()),
        ("repo:lastModifiedByClientId~ACME-.*", set(NAMES) | {"Sale offer"}),
    ],
)
def test_each_filter_operator(xc: Xcore, offers: dict[str, Any], prop: str, expected: set[str]) -> None:
    assert set(names(xc, prop)) == expected


def test_filters_are_anded_and_metadata_compares(xc: Xcore, offers: dict[str, Any]) -> None:
    assert set(names(xc, "_instance.xdm:status==approved", "_instance.xdm:rank.xdm:priority>=3")) == {
        "delta",
        "zeta",
    }
    gamma = offers["Gamma"]
    assert (
        xc.patch(
            gamma["instanceId"], [{"op": "replace", "path": "/_instance/xdm:name", "value": "Gamma2"}]
        ).status_code
        == 200
    )
    assert names(xc, "repo:etag==2") == ["Gamma2"]
    assert names(xc, "repo:etag>1") == ["Gamma2"]
    after = offers["zeta"]["repo:lastModifiedDate"]
    assert names(xc, f"repo:lastModifiedDate>{after}") == ["Gamma2"]
    assert names(xc, f"instanceId=={gamma['instanceId']}") == ["Gamma2"]


@pytest.mark.parametrize(
    ("prop", "code"),
    [
        ("_instance.xdm:status=approved", "invalid_property"),
        ("_instance.xdm:status!approved", "invalid_property"),
        ("repo:etag==two", "invalid_property"),
        ("repo:etag~1", "invalid_property"),
        ("repo:createdDate>=yesterday", "invalid_property"),
        ("_instance..xdm:name==x", "invalid_property"),
        ("==x", "invalid_property"),
        ("_instance.xdm:name~(", "invalid_query"),
        ('_instance.xdm:"name==x', "invalid_query"),
    ],
)
def test_bad_filters_are_400(xc: Xcore, prop: str, code: str) -> None:
    response = xc.list({"property": prop})
    assert (response.status_code, response.json()["code"]) == (400, code)


def test_order_by(xc: Xcore, offers: dict[str, Any]) -> None:
    by_priority = names(xc, "_instance.xdm:status==approved", orderby="-_instance.xdm:rank.xdm:priority")
    assert by_priority == ["zeta", "delta", "beta"]
    # "+" arrives as a space once the query string is decoded
    assert names(xc, orderBy="+_instance.xdm:name")[:3] == ["Alpha", "Epsilon", "Gamma"]
    two_keys = names(xc, orderby="_instance.xdm:status,-_instance.xdm:rank.xdm:priority")
    assert two_keys == ["zeta", "delta", "beta", "Epsilon", "Gamma", "Sale offer", "Alpha"]
    assert names(xc, orderby="-repo:createdDate")[0] == "zeta"
    bad = xc.list({"orderby": "xdm:name,,"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_orderby")


def test_paging_follows_next_links(xc: Xcore, offers: dict[str, Any]) -> None:
    page = xc.results({"schema": OFFER, "limit": "3", "orderby": "-_instance.xdm:name"})
    seen = at_ids(page)
    totals = [page["_embedded"]["total"]]
    query = parse_qs(urlsplit(page["_links"]["next"]["href"]).query)
    assert query["orderby"] == ["-_instance.xdm:name,instanceId"]
    assert query["schema"] == [OFFER] and query["limit"] == ["3"]
    assert len(query["start"][0].split(",")) == 2
    while "next" in page["_links"]:
        page = xc.follow(page["_links"]["next"]["href"])
        seen += at_ids(page)
        totals.append(page["_embedded"]["total"])
    assert totals == [7, 4, 1]
    names_seen = [xc.results({"id": i})["_embedded"]["results"][0]["_instance"]["xdm:name"] for i in seen]
    assert names_seen == sorted(names_seen, reverse=True)
    assert len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize(
    "order", ["", "repo:createdDate", "-repo:createdDate", "_instance.xdm:rank.xdm:priority,instanceId"]
)
def test_paging_with_concurrent_inserts_sees_every_original_once(
    xc: Xcore, world: World, offers: dict[str, Any], order: str
) -> None:
    p, t, r = world["placement"]["@id"], world["tag"]["@id"], world["rule"]["@id"]
    originals = set(at_ids(xc.results({"schema": OFFER, "limit": "100"})))
    params = {"schema": OFFER, "limit": "2", **({"orderby": order} if order else {})}
    page = xc.results(params)
    seen = at_ids(page)
    inserted = 0
    for _ in range(50):  # bounded: inserts stop after three pages, so the feed ends
        if "next" not in page["_links"]:
            break
        for _ in range(2 if inserted < 6 else 0):
            body = offer_body(p, t, r, name=f"late {inserted}")
            body["xdm:rank"] = {"xdm:priority": inserted % 7}
            xc.make("personalized-offer", body)
            inserted += 1
        page = xc.follow(page["_links"]["next"]["href"])
        seen += at_ids(page)
    assert "next" not in page["_links"]
    assert inserted == 6
    assert len(seen) == len(set(seen))
    assert originals <= set(seen)


def test_start_cursors(xc: Xcore, offers: dict[str, Any]) -> None:
    everything = xc.results({"schema": OFFER, "orderby": "repo:createdDate", "start": "0,"})
    assert everything["_embedded"]["total"] == 7  # an epoch-milliseconds cursor, as the platform sends
    # A value that does not read as its key's type (a date-time, an etag) is refused.
    for start in ("a,b,c", '"unterminated', "2026-13-01T00:00:00Z"):
        response = xc.list({"schema": OFFER, "orderby": "repo:createdDate", "start": start})
        assert (response.status_code, response.json()["code"]) == (400, "invalid_start"), start
    etag = xc.list({"schema": OFFER, "orderby": "repo:etag", "start": "one"})
    assert (etag.status_code, etag.json()["code"]) == (400, "invalid_start")
    # Only the date: after that instant (Adobe's `start=<value>`).
    assert (
        xc.results({"schema": OFFER, "orderby": "repo:createdDate", "start": "1"})["_embedded"]["total"] == 7
    )
    quoted = xc.results({"schema": OFFER, "orderby": "_instance.xdm:name", "start": '"Gamma",""'})
    assert quoted["_embedded"]["results"][0]["_instance"]["xdm:name"] == "Gamma"
    # Values beyond the instanceId change nothing; fewer values: strictly after those.
    extra = xc.results({"schema": OFFER, "orderby": "_instance.xdm:name", "start": '"Gamma","",x,"y"'})
    assert at_ids(extra) == at_ids(quoted)
    ordered = names(xc, orderby="_instance.xdm:name")
    assert names(xc, orderby="_instance.xdm:name", start="Gamma") == ordered[ordered.index("Gamma") + 1 :]
    # A quote that opens no JSON string is plain text, up to the next comma.
    assert names(xc, orderby="_instance.xdm:name", start='"Gam"ma') == names(
        xc, orderby="_instance.xdm:name", start=json.dumps('"Gam"ma')
    )


def test_limits(xc: Xcore, offers: dict[str, Any]) -> None:
    assert xc.results({"limit": "1"})["_embedded"]["count"] == 1
    assert xc.results({"limit": "100000"})["_embedded"]["count"] == 14
    for bad in ("0", "-1", "ten", "1.5"):
        response = xc.list({"limit": bad})
        assert (response.status_code, response.json()["code"]) == (400, "invalid_limit")


def test_lookups(xc: Xcore, offers: dict[str, Any]) -> None:
    ids = [offers["Alpha"]["@id"], offers["zeta"]["@id"]]
    assert sorted(at_ids(xc.results({"id": ids}))) == sorted(ids)
    assert at_ids(xc.results({"name": "Gamma"})) == [offers["Gamma"]["@id"]]
    assert at_ids(xc.results({"name": "gamma"})) == []
    assert sorted(at_ids(xc.results({"schema": OFFER, "name": "*ta"}))) == sorted(
        offers[n]["@id"] for n in ("beta", "delta", "zeta")
    )
    assert at_ids(xc.results({"name": "G*a"})) == [offers["Gamma"]["@id"]]
    assert at_ids(xc.results({"name": "(.*)"})) == []
    assert at_ids(xc.results({"id": ids, "name": "Alpha"})) == [offers["Alpha"]["@id"]]
    assert at_ids(xc.results({"id": ids[1], "name": "Alpha"})) == []
    unknown = xc.list({"schema": "https://ns.adobe.com/experience/offer-management/coupon"})
    assert (unknown.status_code, unknown.json()["code"]) == (400, "unknown_schema")


def test_schema_values_are_the_documented_pattern(xc: Xcore, offers: dict[str, Any]) -> None:
    base = OFFER.split(";")[0]
    for value in (base, OFFER, base + ";version=7", f'"{OFFER}"'):
        assert xc.results({"schema": value})["_embedded"]["total"] == 7, value
    assert xc.results({"schema": ""})["_embedded"]["total"] == 14  # every kind
    for value in (" " + base, base + " ", base + ";version=x", base + ";v=1", f'"{base}'):
        response = xc.list({"schema": value})
        assert (response.status_code, response.json()["code"]) == (400, "unknown_schema"), value


def test_empty_results(xc: Xcore) -> None:
    page = xc.results({"schema": OFFER})
    assert page["_embedded"] == {"results": [], "total": 0, "count": 0}
    assert page["containerId"] == xc.container
    assert set(page["_links"]) == {"self"}
    assert page["_links"]["self"]["href"].startswith(f"/data/core/xcore/{xc.container}/instances?schema=")


class TestSearch:
    """Full-text search at /queries/core/search."""

    def search(self, xc: Xcore, **params: Any) -> list[str]:
        page = xc.results(params, path="queries/core/search")
        return [item["_instance"]["xdm:name"] for item in page["_embedded"]["results"]]

    def test_terms_and_operators(self, xc: Xcore, offers: dict[str, Any]) -> None:
        assert set(self.search(xc, q="ALPHA")) == {"Alpha"}
        assert set(self.search(xc, q="alpha zeta")) == {"Alpha", "zeta"}
        assert set(self.search(xc, q="alpha zeta", qop="AND")) == set()
        assert set(self.search(xc, q="sales rule", qop="and")) == {"Sales rule"}
        assert set(self.search(xc, q="sales rule", qop="\u00a0and\t")) == {"Sales rule"}
        assert set(self.search(xc, q='"sales rule"')) == {"Sales rule"}
        assert set(self.search(xc, q="ta", field="_instance.xdm:name", schema=OFFER)) == {
            "beta",
            "delta",
            "zeta",
        }
        assert set(self.search(xc, q="20% off", qop="AND", schema=OFFER)) == set(NAMES) | {"Sale offer"}
        assert set(self.search(xc, q="holiday")) == {"Holiday sales and promotions"}
        assert set(self.search(xc, q=r"a\+b")) == set()
        assert self.search(xc, q="", schema=OFFER, limit="100") == self.search(xc, schema=OFFER, limit="100")

    def test_scores_and_paging(self, xc: Xcore, offers: dict[str, Any]) -> None:
        page = xc.results({"q": "20% alpha", "schema": OFFER, "limit": "2"}, path="queries/core/search")
        assert page["_embedded"]["total"] == 7
        everything = xc.results({"q": "20% alpha", "schema": OFFER}, path="queries/core/search")
        scores = {i["_instance"]["xdm:name"]: i["_score"] for i in everything["_embedded"]["results"]}
        assert scores == {name: 2 if name == "Alpha" else 1 for name in [*NAMES, "Sale offer"]}
        assert "/queries/core/search?" in page["_links"]["next"]["href"]
        rest = xc.follow(page["_links"]["next"]["href"])
        assert rest["_embedded"]["total"] == 5
        scored = xc.results(
            {"q": "sale offer", "field": "_instance.xdm:name", "schema": OFFER}, path="queries/core/search"
        )
        assert [i["_score"] for i in scored["_embedded"]["results"]] == [2]

    def test_bad_search(self, xc: Xcore) -> None:
        for params, code in (
            ({"q": "x", "qop": "XOR"}, "invalid_search"),
            # The document's pattern (`^\s*(and|or)?\s*$`, ECMA 262) does not count U+0085 as a space.
            ({"q": "x", "qop": "\u0085and"}, "invalid_search"),
            ({"q": "x", "field": "repo:etag"}, "invalid_search"),
            ({"q": " ".join(f"t{i}" for i in range(21))}, "invalid_search"),
        ):
            response = xc.list(params, path="queries/core/search")
            assert (response.status_code, response.json()["code"]) == (400, code)
