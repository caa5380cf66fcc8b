"""`explain: true`: why each candidate offer was proposed or left out, and why the fallback was chosen."""

from __future__ import annotations

from typing import Any

import pytest
from decisioning_fixtures import (
    ACT,
    FALLBACK,
    MAIL,
    NOW,
    WEB,
    activity,
    catalog,
    criterion,
    offer,
    oid,
    picked,
    ranking,
    request,
    rule,
    run,
)

from offer_catalog.decisioning.capping import counter_key, period_of
from offer_catalog.decisioning.explain import attribute_values, referenced_paths

GENDER_RULE = "xcore:eligibility-rule:gender"


def explained(result: Any, scope: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = result.response["explanation"]["scopes"][scope]
    return out


def by_offer(scope: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["offer"].rsplit(":", 1)[-1]: c for c in scope["candidates"]}


def every_reason_catalog() -> Any:
    ids = [oid(x) for x in ("a", "b", "c", "d", "e", "f", "g", "h", "ghost")]
    return catalog(
        rule(GENDER_RULE, 'person.gender = "female" and person.name.firstName.startsWith("A")'),
        offer("a", priority=10),
        offer("b", priority=9, status="draft"),
        offer("c", priority=9, placements=(MAIL,)),
        offer("d", priority=9, end="2026-06-01T00:00:00Z"),
        offer("e", priority=9, rule=GENDER_RULE),
        offer("f", priority=9, caps={"xdm:globalCap": 1}),
        offer("g", priority=1),
        offer("h", priority=9, caps={"xdm:globalCap": "many"}),
        activity([criterion(options=ids)]),
    )


def test_every_reason_in_pipeline_order() -> None:
    snap = every_reason_catalog()
    key = counter_key(oid("f"), "global", None, period_of(None, 1, NOW.date()))
    profile = {"person": {"gender": "male", "name": {"firstName": "Bob"}}}
    result = run(snap, request((ACT, WEB, 3), profile=profile, explain=True), counters={key: 1})
    assert picked(result) == ["a", "g"]
    scope = explained(result)
    assert (scope["activity"], scope["placement"]) == (ACT, WEB)
    assert "fallback" not in scope
    found = by_offer(scope)
    assert found["a"]["outcome"] == "proposed"
    assert found["a"]["rank"] == 1
    assert found["a"]["priority"] == 10
    assert (found["g"]["outcome"], found["g"]["rank"]) == ("proposed", 2)
    codes = {name: c["reason"]["code"] for name, c in found.items() if c["outcome"] == "excluded"}
    assert codes == {
        "b": "not_approved",
        "c": "no_representation",
        "d": "outside_date_window",
        "e": "eligibility_rule",
        "f": "capped",
        "h": "invalid_offer",
        "ghost": "offer_not_found",
    }
    assert found["b"]["reason"]["status"] == "draft"
    assert found["d"]["reason"]["endDate"] == "2026-06-01T00:00:00Z"
    assert found["e"]["reason"]["value"] is False
    assert found["e"]["reason"]["attributes"] == {"person.gender": "male", "person.name.firstName": "Bob"}
    assert found["f"]["reason"]["caps"] == [{"counter": key, "count": 1, "limit": 1}]
    assert found["h"]["reason"]["problems"]


def test_explained_decision_is_the_same_decision() -> None:
    snap = every_reason_catalog()
    body = request((ACT, WEB, 3), (ACT, MAIL, 2), profile={"person": {"gender": "female"}})
    for seed in range(20):
        plain = run(snap, body, seed=seed)
        with_reasons = run(snap, {**body, "xdm:explain": True}, seed=seed)
        assert "explanation" not in plain.response
        assert with_reasons.response["xdm:propositions"] == plain.response["xdm:propositions"]
        assert with_reasons.response["xdm:propositionId"] == plain.response["xdm:propositionId"]
        assert with_reasons.increments == plain.increments


def test_fallback_reasons() -> None:
    snap = catalog(offer("a", status="draft"), activity([criterion(options=[oid("a")])]))
    scope = explained(run(snap, request(explain=True)))
    assert scope["fallback"] == {"offer": FALLBACK, "reason": "no_eligible_offer"}
    assert by_offer(scope)["a"]["reason"]["code"] == "not_approved"

    closed = catalog(offer("a"), activity([criterion(options=[oid("a")])], end="2026-02-01T00:00:00Z"))
    scope = explained(run(closed, request(explain=True)))
    assert scope["candidates"] == []
    assert scope["fallback"]["reason"] == "activity_outside_date_window"
    assert scope["fallback"]["endDate"] == "2026-02-01T00:00:00Z"


def test_profile_constraints_and_duplicates() -> None:
    segments = {
        "xdm:profileConstraintType": "allSegments",
        "xdm:segmentIdentities": [{"_id": "s1"}, {"_id": "s2"}],
    }
    other = "xcore:offer-activity:a2"
    snap = catalog(
        offer("a", priority=5),
        offer("b", priority=3),
        activity([criterion(options=[oid("a"), oid("b")])]),
        activity(
            [criterion(options=[oid("a")]), criterion(options=[oid("b")], constraint=segments)], ident=other
        ),
    )
    profile = {"segmentMembership": {"ups": {"s1": {"status": "realized"}}}}
    body = request((ACT, WEB), (other, WEB), profile=profile, explain=True)
    body["xdm:allowDuplicatePropositions"] = {"xdm:acrossActivities": False}
    result = run(snap, body)
    assert picked(result, 0) == ["a"]
    assert picked(result, 1) == f"fallback:{FALLBACK}"
    second = by_offer(explained(result, 1))
    assert second["a"]["reason"]["code"] == "duplicate"
    constraint = second["b"]["reason"]
    assert constraint["code"] == "profile_constraint"
    assert constraint["criteria"] == [
        {
            "criterion": 1,
            "passed": False,
            "type": "allSegments",
            "segments": ["s1", "s2"],
            "profileSegments": ["s1"],
        }
    ]


def test_scores_and_groups() -> None:
    formula = "xcore:ranking-function:r"
    snap = catalog(
        ranking(formula, "offer.rank.priority * 2"),
        offer("a", priority=5),
        offer("b", priority=3),
        offer("c", priority=1),
        activity(
            [
                criterion(options=[oid("a"), oid("b")], priority=2, function=formula),
                criterion(options=[oid("c")], priority=1),
            ]
        ),
    )
    found = by_offer(explained(run(snap, request(explain=True))))
    assert (found["a"]["outcome"], found["a"]["score"], found["a"]["group"]) == ("proposed", 10.0, 0)
    assert found["b"]["reason"] == {
        "code": "not_reached",
        "detail": "the scope was full before this offer's turn",
    }
    assert found["b"]["score"] == 6.0
    assert found["c"]["group"] == 1
    assert found["c"]["reason"]["detail"] == "earlier criteria groups filled the scope"


def test_explain_must_be_a_boolean() -> None:
    from offer_catalog.decisioning.request import DecisionRequestError

    snap = catalog(offer("a"), activity([criterion(options=[oid("a")])]))
    with pytest.raises(DecisionRequestError):
        run(snap, request(explain="yes"))


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ('person.gender = "female"', ("person.gender",)),
        ('person.name.firstName.startsWith("A.b")', ("person.name.firstName",)),
        ("homeAddress.city = offer.characteristics.city", ("homeAddress.city",)),
        ("'x.y' = \"a.b\"", ()),
        ("a.b > 1 and a.b < 3 or c.d.e exists", ("a.b", "c.d.e")),
        ('segmentMembership.get("ups").get("s1").status = "realized"', ("segmentMembership",)),
    ],
)
def test_referenced_paths(text: str, paths: tuple[str, ...]) -> None:
    assert referenced_paths(text) == paths


def test_attribute_values_read_xdm_prefixed_keys_and_missing() -> None:
    profile = {"xdm:person": {"age": 30}, "list": [1]}
    assert attribute_values(profile, ["person.age", "person.none", "list.x"]) == {
        "person.age": 30,
        "person.none": None,
        "list.x": None,
    }
