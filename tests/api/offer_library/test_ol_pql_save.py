"""Rules and ranking formulas are compiled when saved: the whole PQL is accepted, what cannot be
supported is refused with its precise code, through the Offer Library HTTP API on both stores."""

from __future__ import annotations

from typing import Any

import pytest

from support.offer_library import SCHEMAS, ranking_body, rule_body


@pytest.mark.parametrize(
    "pql",
    [
        'person.name.doesNotStartWith("Joe") and city like "%es%"',
        '!(homeAddress.countryISO = "CA")',
        'emailAddress.regexGroup("@(\\w+)", 1) = "gmail"',
        'exists E from xEvent where (E.commerce.item.price > 50), I from E.items where I.SKU = "PS"',
        "(select X from xEvent where X.timestamp occurs <= 30 days before now).count() > 2",
        'select C from @{_xdm.context.weather;version=1} where C.xdm:sky = "rain"',
        'person.favoriteColors.intersects(["red"]) and orders.topN(price, 5).head().storeId = "s1"',
        "product.saleDate occurs between date(2015, 1, 8) and date(2017, 7, 1)",
    ],
)
def test_documented_pql_rules_are_saved(xc: Any, pql: str) -> None:
    receipt = xc.make("eligibility-rule", rule_body(pql))
    stored = xc.instance(receipt["instanceId"])
    assert stored["xdm:condition"]["xdm:value"] == pql


@pytest.mark.parametrize(
    ("kind", "member", "pql", "code", "position"),
    [
        ("eligibility-rule", "xdm:condition", "chain(xEvent, timestamp, [A])", "pql_unsupported_function", 0),
        ("eligibility-rule", "xdm:condition", '$2.homeAddress.city = "Oslo"', "pql_unsupported_function", 0),
        (
            "ranking-function",
            "xdm:expression",
            "offer.rank.priority * toInteger(x)",
            "pql_unsupported_function",
            22,
        ),
        ("eligibility-rule", "xdm:condition", 'name.matches("(?=J)J.*")', "pql_compile_error", 5),
        ("eligibility-rule", "xdm:condition", "exists X from xEvent where", "pql_syntax_error", 26),
    ],
)
def test_pql_that_cannot_be_supported_is_refused_on_save(
    xc: Any, kind: str, member: str, pql: str, code: str, position: int
) -> None:
    body = rule_body(pql) if kind == "eligibility-rule" else ranking_body(pql)
    response = xc.create(kind, body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == code
    error = problem["errors"][0]
    assert (error["path"], error["code"], error["position"]) == (
        f"/_instance/{member}/xdm:value",
        code,
        position,
    )
    assert xc.results({"schema": SCHEMAS[kind]})["_embedded"]["results"] == []  # nothing was stored
