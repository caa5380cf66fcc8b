"""Every example of Adobe's PQL function pages (help/segmentation/pql/*.md), evaluated as documented.

Each case is `(text, profile, expected)`; the test ids name the page the example comes from, and most
examples run against a profile that satisfies them and one that does not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from offer_catalog.decisioning.pql import MISSING, Env, compile_rule

# A Saturday; the week (Monday first) began on 2024-06-10.
NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
Case = tuple[str, dict[str, Any], Any]


def run(text: str, profile: dict[str, Any], context: list[dict[str, Any]] | None = None) -> Any:
    return compile_rule(text).evaluate(Env(profile, context=context, now=NOW))


def cases(page: str, items: list[Case]) -> Any:
    return pytest.mark.parametrize(
        ("text", "profile", "expected"),
        [pytest.param(t, p, e, id=f"{page}:{t}:{i}") for i, (t, p, e) in enumerate(items)],
    )


@cases(
    "string-functions",
    [
        ('city like "%es%"', {"city": "Los Angeles"}, True),
        ('city like "%es%"', {"city": "Paris"}, False),
        ('city like "P_ris"', {"city": "Paris"}, True),
        ('city like "P_ris"', {"city": "Pris"}, False),
        ('city like "a.b%"', {"city": "axb"}, False),  # only % and _ are special
        ('person.name.startsWith("Joe")', {"person": {"name": "Joe Smith"}}, True),
        ('person.name.startsWith("Joe")', {"person": {"name": "joe smith"}}, False),
        ('person.name.startsWith("joe", false)', {"person": {"name": "Joe Smith"}}, True),
        ('person.name.doesNotStartWith("Joe")', {"person": {"name": "Joe Smith"}}, False),
        ('person.name.doesNotStartWith("Joe")', {"person": {"name": "Bob"}}, True),
        ('person.name.doesNotStartWith("joe", false)', {"person": {"name": "JOE"}}, False),
        ('person.name.notStartsWith("Joe")', {"person": {"name": "Bob"}}, True),
        ('person.emailAddress.endsWith(".com")', {"person": {"emailAddress": "a@b.com"}}, True),
        ('person.emailAddress.endsWith(".com")', {"person": {"emailAddress": "a@b.org"}}, False),
        ('person.emailAddress.doesNotEndWith(".com")', {"person": {"emailAddress": "a@b.com"}}, False),
        ('person.emailAddress.doesNotEndWith(".com")', {"person": {"emailAddress": "a@b.org"}}, True),
        ('person.emailAddress.notEndsWith(".COM", false)', {"person": {"emailAddress": "a@b.com"}}, False),
        ('person.emailAddress.contains("2010@gm")', {"person": {"emailAddress": "joe2010@gmail.com"}}, True),
        ('person.emailAddress.contains("2010@gm")', {"person": {"emailAddress": "joe@gmail.com"}}, False),
        (
            'person.emailAddress.doesNotContain("2010@gm")',
            {"person": {"emailAddress": "joe2010@gmail.com"}},
            False,
        ),
        (
            'person.emailAddress.doesNotContain("2010@gm")',
            {"person": {"emailAddress": "joe@gmail.com"}},
            True,
        ),
        (
            'person.emailAddress.notContains("2010@GM", false)',
            {"person": {"emailAddress": "x2010@gm"}},
            False,
        ),
        ('person.name.equals("John")', {"person": {"name": "John"}}, True),
        ('person.name.equals("John")', {"person": {"name": "john"}}, False),
        ('person.name.notEqualTo("John")', {"person": {"name": "John"}}, False),
        ('person.name.notEqualTo("John")', {"person": {"name": "Jon"}}, True),
        ('person.name.matches("(?i)^John")', {"person": {"name": "JOHN"}}, True),
        ('person.name.matches("(?i)^John")', {"person": {"name": "Jon"}}, False),
        ('person.name.matches("(?i)^John.*")', {"person": {"name": "john smith"}}, True),
        ('emailAddress.regexGroup("@(\\w+)", 1)', {"emailAddress": "joe@gmail.com"}, "gmail"),
        ('emailAddress.regexGroup("@(\\w+)", 1)', {"emailAddress": "no-at-sign"}, MISSING),
        ('emailAddress.regexGroup("@(\\w+)")', {"emailAddress": "joe@gmail.com"}, "@gmail"),
    ],
)
def test_pql_string_functions(text: str, profile: dict[str, Any], expected: Any) -> None:
    assert run(text, profile) == expected


@cases(
    "boolean-functions",
    [
        (
            'homeAddress.countryISO = "CA" and person.birthYear = 1985',
            {"homeAddress": {"countryISO": "CA"}, "person": {"birthYear": 1985}},
            True,
        ),
        (
            'homeAddress.countryISO = "CA" and person.birthYear = 1985',
            {"homeAddress": {"countryISO": "CA"}, "person": {"birthYear": 1990}},
            False,
        ),
        (
            'homeAddress.countryISO = "CA" or person.birthYear = 1985',
            {"homeAddress": {"countryISO": "US"}, "person": {"birthYear": 1985}},
            True,
        ),
        (
            'homeAddress.countryISO = "CA" or person.birthYear = 1985',
            {"homeAddress": {"countryISO": "US"}, "person": {"birthYear": 1990}},
            False,
        ),
        ('not (homeAddress.countryISO = "CA")', {"homeAddress": {"countryISO": "US"}}, True),
        ('not (homeAddress.countryISO = "CA")', {"homeAddress": {"countryISO": "CA"}}, False),
        ('!(homeAddress.countryISO = "CA")', {"homeAddress": {"countryISO": "US"}}, True),
        ('!(homeAddress.countryISO = "CA")', {"homeAddress": {"countryISO": "CA"}}, False),
        ('!(homeAddress.countryISO = "CA")', {}, MISSING),
        ('if (homeAddress.countryISO = "CA", 1, 2)', {"homeAddress": {"countryISO": "CA"}}, 1),
        ('if (homeAddress.countryISO = "CA", 1, 2)', {"homeAddress": {"countryISO": "FR"}}, 2),
    ],
)
def test_pql_boolean_functions(text: str, profile: dict[str, Any], expected: Any) -> None:
    assert run(text, profile) == expected


@cases(
    "comparison-functions",
    [
        ('homeAddress.countryISO = "CA"', {"homeAddress": {"countryISO": "CA"}}, True),
        ('homeAddress.countryISO = "CA"', {"homeAddress": {"countryISO": "US"}}, False),
        ('homeAddress.countryISO != "CA"', {"homeAddress": {"countryISO": "US"}}, True),
        ('homeAddress.countryISO != "CA"', {"homeAddress": {"countryISO": "CA"}}, False),
        ("person.birthMonth > 2", {"person": {"birthMonth": 3}}, True),
        ("person.birthMonth > 2", {"person": {"birthMonth": 2}}, False),
        ("person.birthMonth >= 3", {"person": {"birthMonth": 3}}, True),
        ("person.birthMonth >= 3", {"person": {"birthMonth": 1}}, False),
        ("person.birthMonth < 2", {"person": {"birthMonth": 1}}, True),
        ("person.birthMonth < 2", {"person": {"birthMonth": 2}}, False),
        ("person.birthMonth <= 2", {"person": {"birthMonth": 2}}, True),
        ("person.birthMonth <= 2", {"person": {"birthMonth": 3}}, False),
    ],
)
def test_pql_comparison_functions(text: str, profile: dict[str, Any], expected: Any) -> None:
    assert run(text, profile) == expected


@cases(
    "arithmetic-functions",
    [
        ("product1.price + product2.price", {"product1": {"price": 10}, "product2": {"price": 2.5}}, 12.5),
        ("product.inventory * product.price", {"product": {"inventory": 4, "price": 2.5}}, 10.0),
        ("product1.price - product2.price", {"product1": {"price": 10}, "product2": {"price": 2.5}}, 7.5),
        ("totalProduct.price / totalProduct.sold", {"totalProduct": {"price": 100, "sold": 8}}, 12.5),
        ("person.age % 5 = 0", {"person": {"age": 35}}, True),
        ("person.age % 5 = 0", {"person": {"age": 36}}, False),
    ],
)
def test_pql_arithmetic_functions(text: str, profile: dict[str, Any], expected: Any) -> None:
    assert run(text, profile) == expected


@cases(
    "object-functions",
    [
        ("person.homeAddress.isNull()", {"person": {}}, True),
        ("person.homeAddress.isNull()", {"person": {"homeAddress": {"city": "Paris"}}}, False),
        ("person.homeAddress.isNotNull()", {"person": {"homeAddress": {"city": "Paris"}}}, True),
        ("person.homeAddress.isNotNull()", {"person": {"homeAddress": None}}, False),
    ],
)
def test_pql_object_functions(text: str, profile: dict[str, Any], expected: Any) -> None:
    assert run(text, profile) == expected


@cases(
    "map-functions",
    [
        (
            'identityMap.get("example@example.com")',
            {"identityMap": {"example@example.com": [{"id": "1"}]}},
            [{"id": "1"}],
        ),
        ('identityMap.get("example@example.com")', {"identityMap": {"other": []}}, MISSING),
        ("identityMap.keys()", {"identityMap": {"email": [], "ECID": []}}, ["email", "ECID"]),
        ("identityMap.values()", {"identityMap": {"email": [1], "ECID": [2]}}, [[1], [2]]),
        ("identityMap.keys()", {"identityMap": ["not", "a", "map"]}, MISSING),
    ],
)
def test_pql_map_functions(text: str, profile: dict[str, Any], expected: Any) -> None:
    assert run(text, profile) == expected


ORDERS = [
    {"storeId": "s1", "price": 30, "order": {"price": 30}},
    {"storeId": "s2", "price": 10, "order": {"price": 10}},
    {"storeId": "s1", "price": 50, "order": {"price": 50}},
    {"storeId": "s3", "price": 20, "order": {"price": 20}},
    {"storeId": "s2", "price": 40, "order": {"price": 40}},
    {"storeId": "s4", "price": 5, "order": {"price": 5}},
]
SHOPPER = {"orders": ORDERS, "person": {"orders": ORDERS}}


@cases(
    "array-functions",
    [
        ("person.birthMonth in [3, 6, 9]", {"person": {"birthMonth": 6}}, True),
        ("person.birthMonth in [3, 6, 9]", {"person": {"birthMonth": 7}}, False),
        ("person.birthMonth notIn [3, 6, 9]", {"person": {"birthMonth": 7}}, True),
        ("person.birthMonth notIn [3, 6, 9]", {"person": {"birthMonth": 6}}, False),
        ("person.birthMonth notIn [3, 6, 9]", {"person": {"birthMonth": None}}, False),  # null is never notIn
        ("person.birthMonth notIn [3, 6, 9]", {"person": {}}, MISSING),
        (
            'person.favoriteColors.intersects(["red", "blue", "green"])',
            {"person": {"favoriteColors": ["pink", "blue"]}},
            True,
        ),
        (
            'person.favoriteColors.intersects(["red", "blue", "green"])',
            {"person": {"favoriteColors": ["pink"]}},
            False,
        ),
        (
            'person1.favoriteColors.intersection(person2.favoriteColors) = ["red", "blue", "green"]',
            {
                "person1": {"favoriteColors": ["red", "pink", "blue", "green"]},
                "person2": {"favoriteColors": ["green", "blue", "red"]},
            },
            True,
        ),
        (
            'person1.favoriteColors.intersection(person2.favoriteColors) = ["red", "blue", "green"]',
            {
                "person1": {"favoriteColors": ["red", "blue"]},
                "person2": {"favoriteColors": ["green", "blue", "red"]},
            },
            False,
        ),
        (
            "person.favoriteCities.subsetOf(person.visitedCities)",
            {"person": {"favoriteCities": ["Rome"], "visitedCities": ["Rome", "Oslo"]}},
            True,
        ),
        (
            "person.favoriteCities.subsetOf(person.visitedCities)",
            {"person": {"favoriteCities": ["Rome", "Lima"], "visitedCities": ["Rome"]}},
            False,
        ),
        (
            'person.eatenFoods.supersetOf(["sushi", "pizza"])',
            {"person": {"eatenFoods": ["pizza", "tacos", "sushi"]}},
            True,
        ),
        ('person.eatenFoods.supersetOf(["sushi", "pizza"])', {"person": {"eatenFoods": ["pizza"]}}, False),
        ('person.favoriteColors.includes("red")', {"person": {"favoriteColors": ["blue", "red"]}}, True),
        ('person.favoriteColors.includes("red")', {"person": {"favoriteColors": ["blue"]}}, False),
        (
            "person.orders.storeId.distinct().count() > 1",
            {"person": {"orders": {"storeId": ["s1", "s1", "s2"]}}},
            True,
        ),
        (
            "person.orders.storeId.distinct().count() > 1",
            {"person": {"orders": {"storeId": ["s1", "s1"]}}},
            False,
        ),
        ("person.orders.map(storeId).distinct().count() > 1", SHOPPER, True),
        ("orders.groupBy(storeId).keys()", SHOPPER, ["s1", "s2", "s3", "s4"]),
        ('orders.groupBy(storeId).get("s1")', SHOPPER, [ORDERS[0], ORDERS[2]]),
        (
            "person.filter(age >= 21)",
            {"person": [{"age": 30}, {"age": 18}, {"age": 21}, {}]},
            [{"age": 30}, {"age": 21}],
        ),
        ("numbers.map(square)", {"numbers": [{"square": 1}, {"square": 4}, {"square": 9}]}, [1, 4, 9]),
        ("orders.topN(price, 5).map(price)", SHOPPER, [50, 40, 30, 20, 10]),
        ("orders.bottomN(price, 5).map(price)", SHOPPER, [5, 10, 20, 30, 40]),
        ("orders.topN(price, 5).head()", SHOPPER, ORDERS[2]),
        ("orders.bottomN(price, 2).head().storeId", SHOPPER, "s4"),
        ("orders.first().storeId", SHOPPER, "s1"),
        ("orders.last().storeId", SHOPPER, "s4"),
    ],
)
def test_pql_array_functions(text: str, profile: dict[str, Any], expected: Any) -> None:
    assert run(text, profile) == expected


@cases(
    "aggregation-functions",
    [
        ("orders.count()", SHOPPER, 6),
        ("orders.sum(order.price)", SHOPPER, 155),
        ("orders.average(order.price)", SHOPPER, 155 / 6),
        ("orders.min(order.price)", SHOPPER, 5),
        ("orders.max(order.price)", SHOPPER, 50),
        ("orders.sum(price)", SHOPPER, 155),
        ("[1, 2, 3.5].sum()", {}, 6.5),
        ("orders.count()", {"orders": []}, 0),
        ("orders.max(order.price)", {"orders": []}, MISSING),
        ("orders.average(order.price)", {"orders": []}, MISSING),
    ],
)
def test_pql_aggregation_functions(text: str, profile: dict[str, Any], expected: Any) -> None:
    assert run(text, profile) == expected


@cases(
    "datetime-functions",
    [
        ("person.birthMonth = currentMonth()", {"person": {"birthMonth": 6}}, True),
        ("person.birthMonth = currentMonth()", {"person": {"birthMonth": 5}}, False),
        ("person.birthdate.getMonth() = 6", {"person": {"birthdate": "1990-06-30"}}, True),
        ("person.birthdate.getMonth() = 6", {"person": {"birthdate": "1990-07-01"}}, False),
        ("product.saleYear = currentYear()", {"product": {"saleYear": 2024}}, True),
        ("product.saleYear = currentYear()", {"product": {"saleYear": 2023}}, False),
        (
            "person.birthday.getYear() in [1991, 1992, 1993, 1994, 1995]",
            {"person": {"birthday": "1993-02-01"}},
            True,
        ),
        (
            "person.birthday.getYear() in [1991, 1992, 1993, 1994, 1995]",
            {"person": {"birthday": "1990-02-01"}},
            False,
        ),
        ("person.birthDay = currentDayOfMonth()", {"person": {"birthDay": 15}}, True),
        ("person.birthDay = currentDayOfMonth()", {"person": {"birthDay": 16}}, False),
        ("product.sale.getDayOfMonth() <= 15", {"product": {"sale": "2024-03-15T23:00:00Z"}}, True),
        ("product.sale.getDayOfMonth() <= 15", {"product": {"sale": "2024-03-16T00:00:00Z"}}, False),
        ("product.saleDate occurs last week", {"product": {"saleDate": "2024-06-03T00:00:00Z"}}, True),
        ("product.saleDate occurs last week", {"product": {"saleDate": "2024-06-09T23:59:59Z"}}, True),
        ("product.saleDate occurs last week", {"product": {"saleDate": "2024-06-10T00:00:00Z"}}, False),
        ("product.saleDate occurs last week", {"product": {"saleDate": "2024-06-02T23:59:59Z"}}, False),
        (
            "product.saleDate occurs between date(2015, 1, 8) and date(2017, 7, 1)",
            {"product": {"saleDate": "2015-01-08"}},
            True,
        ),
        (
            "product.saleDate occurs between date(2015, 1, 8) and date(2017, 7, 1)",
            {"product": {"saleDate": "2017-07-01T18:00:00Z"}},
            True,
        ),
        (
            "product.saleDate occurs between date(2015, 1, 8) and date(2017, 7, 1)",
            {"product": {"saleDate": "2017-07-02"}},
            False,
        ),
        (
            "product.saleDate occurs between date(2015, 1, 8) and date(2017, 7, 1)",
            {"product": {"saleDate": "2015-01-07T23:00:00Z"}},
            False,
        ),
        (
            "product.saleDate occurs = 3 hours before now",
            {"product": {"saleDate": "2024-06-15T09:10:00Z"}},
            True,
        ),
        (
            "product.saleDate occurs = 3 hours before now",
            {"product": {"saleDate": "2024-06-15T10:00:00Z"}},
            False,
        ),
        (
            "product.saleDate occurs = 3 hours before now",
            {"product": {"saleDate": "2024-06-15T15:00:00Z"}},
            False,
        ),
        ("person.birthday occurs = 3 days before today", {"person": {"birthday": "2024-06-12"}}, True),
        (
            "person.birthday occurs = 3 days before today",
            {"person": {"birthday": "2024-06-12T23:30:00Z"}},
            True,
        ),
        ("person.birthday occurs = 3 days before today", {"person": {"birthday": "2024-06-13"}}, False),
        ("timestamp occurs on date(2019, 12, 31)", {"timestamp": "2019-12-31T10:00:00Z"}, True),
        ("timestamp occurs on date(2019, 12, 31)", {"timestamp": "2020-01-01T00:00:00Z"}, False),
        ("timestamp occurs today", {"timestamp": "2024-06-15T00:00:00Z"}, True),
        ("timestamp occurs yesterday", {"timestamp": "2024-06-14T23:59:00Z"}, True),
        ("timestamp occurs tomorrow", {"timestamp": "2024-06-15T23:59:00Z"}, False),
        ("timestamp occurs before today", {"timestamp": "2024-06-14T23:59:00Z"}, True),
        ("timestamp occurs before today", {"timestamp": "2024-06-15T00:00:00Z"}, False),
        ("timestamp occurs after today", {"timestamp": "2024-06-16T00:00:00Z"}, True),
        ("timestamp occurs after today", {"timestamp": "2024-06-15T23:00:00Z"}, False),
        ("timestamp occurs after now", {"timestamp": "2024-06-15T12:00:01Z"}, True),
        ("timestamp occurs this month", {"timestamp": "2024-06-01"}, True),
        ("timestamp occurs next year", {"timestamp": "2025-12-31T23:59:59Z"}, True),
        ("timestamp occurs last decade", {"timestamp": "2015-05-05"}, True),
        ("timestamp occurs this century", {"timestamp": "2001-01-01"}, True),
        ("timestamp occurs this century", {"timestamp": "2000-12-31"}, False),
        ("timestamp occurs this millennium", {"timestamp": "2001-01-01"}, True),
        ("timestamp occurs <= 3 days before now", {"timestamp": "2024-06-12T00:00:00Z"}, True),
        ("timestamp occurs <= 3 days before now", {"timestamp": "2024-06-11T23:00:00Z"}, False),
        ("timestamp occurs <= 3 days before now", {"timestamp": "2024-06-16T00:00:00Z"}, False),
        ("timestamp occurs > 1 months after last month", {"timestamp": "2024-07-02"}, True),
        ("timestamp occurs >= 2 weeks from now", {"timestamp": "2024-06-24T00:00:00Z"}, True),
        ("timestamp occurs >= 2 weeks from now", {"timestamp": "2024-06-23T00:00:00Z"}, False),
        ("timestamp occurs != 0 years before now", {"timestamp": "2023-06-15"}, True),
        ("timestamp occurs < 1000 milliseconds before now", {"timestamp": "2024-06-15T11:59:59.500Z"}, True),
        ("timestamp occurs = 90 minutes before now", {"timestamp": "2024-06-15T10:30:30Z"}, True),
        ("timestamp occurs = 5 seconds before now", {"timestamp": "2024-06-15T11:59:55Z"}, True),
        ("timestamp occurs = 1 century before now", {"timestamp": "1999-01-01"}, True),
        ("timestamp occurs = 1 millennia before now", {"timestamp": "1999-01-01"}, True),
        ("timestamp occurs last week", {"timestamp": "not a date"}, MISSING),
        ("timestamp occurs last week", {}, MISSING),
        ("timestamp < today", {"timestamp": "2024-06-14"}, True),
    ],
)
def test_pql_datetime_functions(text: str, profile: dict[str, Any], expected: Any) -> None:
    assert run(text, profile) == expected


def test_pql_datetime_functions_need_a_clock() -> None:
    env = Env({"timestamp": "2024-06-14", "person": {"birthMonth": 6}})
    for text in (
        "timestamp occurs last week",
        "timestamp occurs today",
        "person.birthMonth = currentMonth()",
    ):
        assert compile_rule(text).evaluate(env) is MISSING


EVENTS = [
    {
        "eventType": "commerce.purchases",
        "timestamp": "2024-06-14T10:00:00Z",
        "commerce": {"item": {"price": 80}, "order": {"priceTotal": 250.0, "currencyCode": "USD"}},
        "productListItems": [{"SKU": "PS"}, {"SKU": "XB"}],
    },
    {
        "eventType": "web.webpagedetails.pageViews",
        "timestamp": "2024-06-01T10:00:00Z",
        "commerce": {"item": {"price": 20}, "order": {"priceTotal": 30.0, "currencyCode": "EUR"}},
        "productListItems": [{"SKU": "PS"}],
    },
    {
        "eventType": "commerce.purchases",
        "timestamp": "2024-05-01T10:00:00Z",
        "commerce": {"item": {"price": 60}, "order": {"priceTotal": 500.0, "currencyCode": "USD"}},
        "productListItems": [{"SKU": "PS"}],
    },
]
BUYER = {"xEvent": EVENTS}


@cases(
    "logical-quantifiers",
    [
        (
            (
                "exists E from xEvent where (E.commerce.item.price > 50)"
                ', I from E.productListItems where I.SKU = "PS"'
            ),
            BUYER,
            True,
        ),
        (
            (
                "exists E from xEvent where (E.commerce.item.price > 100)"
                ', I from E.productListItems where I.SKU = "PS"'
            ),
            BUYER,
            False,
        ),
        (
            (
                "exists E from xEvent where (E.commerce.item.price > 50)"
                ', I from E.productListItems where I.SKU = "NO"'
            ),
            BUYER,
            False,
        ),
        (
            (
                "forall E from xEvent where (E.commerce.item.price > 50)"
                ', I from E.productListItems where I.SKU = "PS"'
            ),
            BUYER,
            False,
        ),
        (
            (
                "forall E from xEvent where (E.commerce.item.price > 10)"
                ', I from E.productListItems where I.SKU.startsWith("P") or I.SKU = "XB"'
            ),
            BUYER,
            True,
        ),
        (
            (
                'forAll E from xEvent where E.eventType = "commerce.purchases"'
                ' : E.commerce.order.currencyCode = "USD"'
            ),
            BUYER,
            True,
        ),
        (
            'forall E from xEvent where E.eventType = "commerce.purchases" : E.commerce.item.price > 70',
            BUYER,
            False,
        ),
        ("exists E from xEvent : E.commerce.order.priceTotal > 400", BUYER, True),
        ("exists E from xEvent where E.missing > 1", BUYER, MISSING),
        ("forall E from xEvent where E.missing > 1", BUYER, MISSING),
        ("exists E from xEvent where E.commerce.item.price > 1", {"xEvent": []}, False),
        ("forall E from xEvent where E.commerce.item.price > 1", {"xEvent": []}, True),
        ("exists E from xEvent where E.commerce.item.price > 1", {}, MISSING),
    ],
)
def test_pql_logical_quantifiers(text: str, profile: dict[str, Any], expected: Any) -> None:
    assert run(text, profile) == expected


@cases(
    "misc-functions",
    [
        (
            (
                "let S = (sum X.commerce.order.priceTotal over X from xEvent"
                ' where X.commerce.order.currencyCode = "USD")'
                " in (S > 100 and S < 1000)"
            ),
            BUYER,
            True,
        ),
        (
            (
                "let S = (sum X.commerce.order.priceTotal over X from xEvent"
                ' where X.commerce.order.currencyCode = "USD")'
                " in (S > 100 and S < 700)"
            ),
            BUYER,
            False,
        ),
        ("let S = (1 + 2) in S * S", {}, 9),
        ("let S = (1) in let T = (S + 1) in [S, T]", {}, [1, 2]),
    ],
)
def test_pql_misc_functions(text: str, profile: dict[str, Any], expected: Any) -> None:
    assert run(text, profile) == expected


@cases(
    "overview",
    [
        (
            "homeAddress.stateProvince = workAddress.stateProvince",
            {"homeAddress": {"stateProvince": "ON"}, "workAddress": {"stateProvince": "ON"}},
            True,
        ),
        (
            "homeAddress.stateProvince = workAddress.stateProvince",
            {"homeAddress": {"stateProvince": "ON"}, "workAddress": {"stateProvince": "QC"}},
            False,
        ),
        (
            "$1.homeAddress.stateProvince = $1.homeAddress.stateProvince",
            {"homeAddress": {"stateProvince": "ON"}},
            True,
        ),
        (
            "(Profile) => Profile.homeAddress.stateProvince = Profile.workAddress.stateProvince",
            {"homeAddress": {"stateProvince": "ON"}, "workAddress": {"stateProvince": "ON"}},
            True,
        ),
        (
            "(Profile) => Profile.homeAddress.stateProvince = Profile.workAddress.stateProvince",
            {"homeAddress": {"stateProvince": "ON"}, "workAddress": {"stateProvince": "QC"}},
            False,
        ),
        ('"pizza" = "pizza" and true and not false', {}, True),
        ("-201 + 0 + 412", {}, 211),
        ("-51.24 < 3.14 and 0.6942058 > 0", {}, True),
        ('date(2020, 3, 14) = date("2020-03-14")', {}, True),
        ('[1, 4, 7] = [1, 4, 7] and ["US", "CA"].includes("CA")', {}, True),
        ('select X from xEvent where X.eventType = "commerce.purchases"', BUYER, [EVENTS[0], EVENTS[2]]),
        ("X.timestamp occurs before today", {"X": {"timestamp": "2024-06-14"}}, True),
        ("X.timestamp occurs last month", {"X": {"timestamp": "2024-05-31T23:59:59Z"}}, True),
        ("X.timestamp occurs <= 3 days before now", {"X": {"timestamp": "2024-06-13"}}, True),
    ],
)
def test_pql_overview(text: str, profile: dict[str, Any], expected: Any) -> None:
    assert run(text, profile) == expected
