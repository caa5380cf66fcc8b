"""PQL: every construct, precedence, three-valued logic, types, dates, segments, context, offers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from offer_catalog.decisioning.pql import MISSING, Env, compile_rule

NOW = datetime(2026, 11, 22, 12, 30, tzinfo=UTC)
PROFILE: dict[str, Any] = {
    "person": {"name": {"firstName": "Joe", "lastName": "O'Hara"}, "birthDate": "1990-05-17"},
    "xdm:homeAddress": {"xdm:city": "Paris", "country": "FR"},
    "loyalty": {"points": 1200, "tier": "gold", "ratio": 0.5, "active": True, "note": None},
    "interests": ["golf", "wine"],
    "orders": [{"total": 10}, {"total": 25}],
    "segmentMembership": {
        "ups": {
            "seg-realized": {"status": "realized"},
            "seg-existing": {"status": "existing"},
            "seg-exited": {"status": "exited"},
        }
    },
}
CONTEXT = [
    {
        "@type": "_xdm.context.additionalParameters;version=1",
        "xdm:data": {"xdm:weather": "hot", "xdm:temp": 31},
    },
    {"@type": "_xdm.context.device;version=1", "xdm:data": {"xdm:os": "ios"}},
]
OFFER = {
    "@id": "xcore:personalized-offer:o1",
    "xdm:name": "Offer 1",
    "xdm:rank": {"xdm:priority": 5},
    "xdm:characteristics": {"city": "Paris", "xdm:margin": "12"},
    "xdm:selectionConstraint": {
        "xdm:startDate": "2026-01-01T00:00:00Z",
        "xdm:endDate": "2026-12-01T00:00:00Z",
    },
}


def env() -> Env:
    return Env(PROFILE, context=CONTEXT, offer=OFFER, now=NOW)


CASES: list[tuple[str, Any]] = [
    # literals
    ('"text"', "text"),
    ("'single'", "single"),
    (r'"q\"uote\\ \n\t\u00e9 \x"', 'q"uote\\ \n\té x'),
    ("42", 42),
    ("4.5", 4.5),
    ("1e3", 1000.0),
    (".5", 0.5),
    ("true", True),
    ("false", False),
    ("null", None),
    ("[1, 'a', null]", [1, "a", None]),
    ("[]", []),
    # profile paths, with and without profile., with and without xdm:
    ("person.name.firstName", "Joe"),
    ("profile.person.name.firstName", "Joe"),
    ("homeAddress.city", "Paris"),
    ("xdm:homeAddress.xdm:city", "Paris"),
    ("profile.homeAddress.country", "FR"),
    ("person.name.middleName", MISSING),
    ("person.name.firstName.length", MISSING),
    ("interests[0]", "golf"),
    ("interests[-1]", "wine"),
    ("interests[5]", MISSING),
    ("orders[1].total", 25),
    ("loyalty['tier']", "gold"),
    ("loyalty[1]", MISSING),
    ("(loyalty).tier", "gold"),
    ("profile.loyalty.points", 1200),
    ("count(profile)", 6),
    ("person.ups:nickname", MISSING),
    ("person.name.ups:firstName", MISSING),
    ('loyalty.tier.get("x")', MISSING),
    ('offer.characteristics.get("ups:x")', MISSING),
    # context data, both forms
    ("@{_xdm.context.additionalParameters;version=1}.xdm:weather", "hot"),
    ("@{_xdm.context.additionalParameters;version=1}.weather", "hot"),
    ("@{_XDM.CONTEXT.ADDITIONALPARAMETERS;VERSION=1}.weather", "hot"),
    ("@{_xdm.context.device;version=1}.os", "ios"),
    ("@{nope}.os", MISSING),
    ("context.weather", "hot"),
    ("context.xdm:os", "ios"),
    ("count(context)", 3),
    ("count(@{_xdm.context.device;version=1})", 1),
    ('context.weather = "hot" and context.temp = 31', True),
    ("@{_xdm.context.device;version=1}.os = @{_xdm.context.device;version=1}.xdm:os", True),
    ("context.temp > 30", True),
    # offer attributes
    ("offer.rank.priority", 5),
    ("offer.xdm:rank.xdm:priority", 5),
    ("offer.id", "xcore:personalized-offer:o1"),
    ("offer.name", "Offer 1"),
    ('offer.characteristics.get("city")', "Paris"),
    ('offer.characteristics.get("margin")', "12"),
    ('offer.characteristics.get("nope")', MISSING),
    ("offer.characteristics.get(loyalty.tier)", MISSING),
    ("offer.selectionConstraint.endDate > now()", True),
    # comparisons
    ("loyalty.points = 1200", True),
    ("loyalty.points == 1200.0", True),
    ("loyalty.points != 1200", False),
    ("loyalty.points < 1200", False),
    ("loyalty.points <= 1200", True),
    ("loyalty.points > 1000", True),
    ("loyalty.points >= 1201", False),
    ('loyalty.tier = "gold"', True),
    ('loyalty.tier != "silver"', True),
    ('loyalty.tier < "silver"', True),
    ("loyalty.active = true", True),
    ("loyalty.note = null", True),
    ("loyalty.tier = null", False),
    ("loyalty.note != null", False),
    ("interests = ['golf', 'wine']", True),
    # missing attributes: unknown, and test() is false
    ("person.age > 3", MISSING),
    ("person.age = null", MISSING),
    ("person.age != 3", MISSING),
    ("not person.age > 3", MISSING),
    # type mismatches: unknown
    ('"a" < 1', MISSING),
    ("loyalty.tier = 3", MISSING),
    ("loyalty.active = 1", MISSING),
    ("loyalty.active < true", MISSING),
    ("interests < 3", MISSING),
    ("loyalty < loyalty", MISSING),
    # boolean logic (Kleene)
    ("true and false", False),
    ("true and true", True),
    ("true or false", True),
    ("false or false", False),
    ("not true", False),
    ("not false", True),
    ("person.age > 3 and false", False),
    ("false and person.age > 3", False),
    ("person.age > 3 and true", MISSING),
    ("person.age > 3 or true", True),
    ("true or person.age > 3", True),
    ("person.age > 3 or false", MISSING),
    ("1 and true", MISSING),
    ("not 1", MISSING),
    ("true AND NOT false Or false", True),
    # precedence
    ("true or true and false", True),
    ("(true or true) and false", False),
    ("not true or true", True),
    ("not (true or true)", False),
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("10 - 4 - 3", 3),
    ("2 * 3 % 4", 2),
    ("-2 * 3", -6),
    ("--2", 2),
    ("1 + 2 = 3 and 2 < 3", True),
    ("-loyalty.points", -1200),
    # arithmetic
    ("7 / 2", 3.5),
    ("7 % 3", 1),
    ("loyalty.ratio * 4", 2.0),
    ("1 / 0", MISSING),
    ("1 % 0", MISSING),
    ("loyalty.points / (loyalty.points - 1200)", MISSING),
    ('"a" + "b"', "ab"),
    ('"a" + 1', MISSING),
    ('"a" - "b"', MISSING),
    ("-loyalty.tier", MISSING),
    ("person.age + 1", MISSING),
    ("true + 1", MISSING),
    ("1e308 * 1e308 > 0", True),
    # in / notIn
    ('loyalty.tier in ["gold", "platinum"]', True),
    ('loyalty.tier in ["silver"]', False),
    ('loyalty.tier notIn ["silver"]', True),
    ('loyalty.tier not in ["gold"]', False),
    ("person.age in [1, 2]", MISSING),
    ("person.age notIn [1, 2]", MISSING),
    ("loyalty.points in [1, 1200]", True),
    ('loyalty.points in ["1200"]', False),
    ('loyalty.points in ["x", 1200]', True),
    ('"golf" in interests', True),
    ('"chess" in interests', False),
    ('"golf" in loyalty.tier', MISSING),
    ("3 in [1, person.age]", MISSING),
    ("1 in [1, person.age]", True),
    ('3 in ["a", "b"]', False),
    ("2 in []", False),
    ("interests in [interests]", True),
    # if()
    ('if(loyalty.tier = "gold", 2, 1)', 2),
    ('if(loyalty.tier = "silver", 2, 1)', 1),
    ("if(person.age > 3, 2, 1)", 1),
    (
        'if(offer.characteristics.get("city") = homeAddress.city, offer.rank.priority * 2, '
        "offer.rank.priority)",
        10,
    ),
    ("if(true, 1, 1 / 0)", 1),
    # string methods
    ('person.name.firstName.equals("Joe")', True),
    ('person.name.firstName.equals("joe")', False),
    ('person.name.firstName.equals("JOE", false)', True),
    ('person.name.firstName.equals("JOE", true)', False),
    ('person.name.firstName.equals("Joe", loyalty.tier)', MISSING),
    ("person.name.firstName.equals(3)", MISSING),
    ('person.name.firstName.notEqualTo("Bob")', True),
    ('person.name.firstName.contains("o")', True),
    ('person.name.firstName.contains("O", false)', True),
    ('person.name.firstName.startsWith("J")', True),
    ('person.name.firstName.endsWith("E", false)', True),
    ('person.name.firstName.endsWith("x")', False),
    ('person.name.lastName.matches("O\'[A-Z][a-z]+")', True),
    ('person.name.firstName.matches("J")', False),
    ("person.name.firstName.matches(loyalty.tier)", False),
    ('"x".matches("x")', True),
    ('"Joe".matches(person.name.firstName)', True),
    ('loyalty.points.matches("1")', MISSING),
    ('"a".matches(loyalty.points)', MISSING),
    ('"a(".matches(person.name.firstName + "[")', MISSING),
    ('person.age.contains("x")', MISSING),
    # exists / isNull
    ("person.name.firstName.exists()", True),
    ("person.age.exists()", False),
    ("loyalty.note.exists()", False),
    ("exists(person.name)", True),
    ("exists(person.age)", False),
    ("person.age.isNull()", True),
    ("loyalty.note.isNull()", True),
    ("isNull(loyalty.tier)", False),
    ("isNotNull(loyalty.tier)", True),
    ("loyalty.tier.isNotNull()", True),
    ("not person.age.exists()", True),
    # maps and sizes
    ('loyalty.get("tier")', "gold"),
    ('homeAddress.get("city")', "Paris"),
    ("interests.size()", 2),
    ("interests.count()", 2),
    ("count(interests)", 2),
    ("count(loyalty)", 5),
    ('count("abc")', 3),
    ("count(loyalty.points)", MISSING),
    ("interests.get(1)", "wine"),
    ("interests.get(2)", MISSING),
    # segments
    ('inSegment("seg-realized")', True),
    ('inSegment("seg-existing")', True),
    ('inSegment("seg-exited")', False),
    ('inSegment("seg-unknown")', False),
    ("inSegment(loyalty.tier)", False),
    ("inSegment(loyalty.points)", MISSING),
    ('not inSegment("seg-exited") and inSegment("seg-realized")', True),
    ('inSegment("seg-exited") or inSegment("seg-existing")', True),
    # dates
    ('date("2024-01-01")', date(2024, 1, 1)),
    ("date(2024, 2, 29)", date(2024, 2, 29)),
    ("date(2023, 2, 29)", MISSING),
    ("date(2023, 2, loyalty.tier)", MISSING),
    ('datetime("2024-01-01T10:00:00Z")', datetime(2024, 1, 1, 10, tzinfo=UTC)),
    ('datetime("2024-01-01T12:00:00+02:00")', datetime(2024, 1, 1, 10, tzinfo=UTC)),
    ("now()", NOW),
    ('now() > datetime("2026-11-22T12:00:00Z")', True),
    ('now() < date("2026-11-23")', True),
    ('date("2026-11-22") = datetime("2026-11-22T00:00:00Z")', True),
    ('person.birthDate < date("2000-01-01")', True),
    ('person.birthDate = date("1990-05-17")', True),
    ('date("2000-01-01") > person.birthDate', True),
    ('person.name.firstName < date("2000-01-01")', MISSING),
    ('person.name.firstName = date("2000-01-01")', MISSING),
    ("date(person.birthDate)", date(1990, 5, 17)),
    ("date(person.name.firstName)", MISSING),
    ("datetime(person.birthDate)", datetime(1990, 5, 17, tzinfo=UTC)),
    ("date(loyalty.points)", MISSING),
    ("loyalty.points < now()", MISSING),
    # numeric helpers
    ("abs(-3)", 3),
    ("abs(loyalty.tier)", MISSING),
    ("max(1, 5, 3)", 5),
    ("min(4, loyalty.ratio)", 0.5),
    ("max(1, person.age)", MISSING),
    ('max("a", "b")', "b"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_evaluates(text: str, expected: Any) -> None:
    result = compile_rule(text).evaluate(env())
    if expected is MISSING:
        assert result is MISSING
    else:
        assert result == expected
        assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for t, e in CASES if e is MISSING or isinstance(e, bool)]
)
def test_test_is_true_only_for_true(text: str, expected: Any) -> None:
    assert compile_rule(text).test(env()) is (expected is True)


def test_missing_sentinel_is_falsy_and_printable() -> None:
    assert not MISSING
    assert repr(MISSING) == "MISSING"


def test_uses_offer_is_tracked() -> None:
    assert compile_rule("offer.rank.priority > 1").uses_offer
    assert compile_rule('if(true, offer.characteristics.get("a"), 1)').uses_offer
    assert not compile_rule("person.age > 1").uses_offer
    assert not compile_rule("offers.x > 1").uses_offer


def test_constant_expressions_are_folded_and_compiled_once() -> None:
    assert compile_rule("1 + 2").evaluate(Env()) == 3
    assert compile_rule("person.age > 1") is compile_rule("person.age > 1")
    assert "person.age" in repr(compile_rule("person.age > 1"))


def test_without_clock_now_is_missing() -> None:
    assert compile_rule("now()").evaluate(Env()) is MISSING


def test_naive_clock_is_utc() -> None:
    naive = Env(now=datetime(2026, 1, 1, 0, 0))
    assert compile_rule('now() = datetime("2026-01-01T00:00:00Z")').test(naive)


def test_offer_is_missing_without_offer() -> None:
    assert compile_rule("offer.rank.priority").evaluate(Env(PROFILE)) is MISSING


@pytest.mark.parametrize(
    ("membership", "segment", "member"),
    [
        (["a", "b"], "a", True),
        (["a", "b"], "c", False),
        ({"ups": {"a": {"status": "realized"}}}, "a", True),
        ({"ups": {"a": {"xdm:status": "existing"}}}, "a", True),
        ({"ups": {"a": {"status": "exited"}}}, "a", False),
        ({"ups": {"a": {}}}, "a", True),
        ({"ups": {"a": True}}, "a", True),
        ({"a": {"status": "realized"}}, "a", True),
        ({"a": {"status": "exited"}}, "a", False),
        ("not-a-map", "a", False),
    ],
)
def test_segment_membership_shapes(membership: Any, segment: str, member: bool) -> None:
    profile = {"segmentMembership": membership}
    assert compile_rule(f'inSegment("{segment}")').test(Env(profile)) is member


def test_prefixed_segment_membership() -> None:
    assert compile_rule('inSegment("a")').test(Env({"xdm:segmentMembership": ["a"]}))


def test_context_as_single_mapping() -> None:
    plain = Env({}, context={"weather": "cold"})
    assert compile_rule('context.weather = "cold"').test(plain)


def test_context_entries_without_data_are_skipped() -> None:
    odd = Env({}, context=[{"@type": "x"}, {"data": {"a": 1}}])
    assert compile_rule("context.a").evaluate(odd) == 1
    assert compile_rule("@{x}.a").evaluate(odd) is MISSING


def test_later_context_entries_win() -> None:
    both = Env({}, context=[{"xdm:data": {"a": 1}}, {"xdm:data": {"a": 2}}])
    assert compile_rule("context.a").evaluate(both) == 2
