"""`explain: true`: why each candidate offer was proposed or left out, and why the fallback was chosen."""

from __future__ import annotations

from typing import Any

import decisioning_fixtures as fx
import pytest

from offer_catalog.decisioning.capping import counter_key, period_of
from offer_catalog.decisioning.explain import attribute_values, referenced_paths

GENDER_RULE = "xcore:eligibility-rule:gender"


def explained(result: Any, scope: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = result.response["explanation"]["scopes"][scope]
    return out


def by_offer(scope: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["offer"].rsplit(":", 1)[-1]: c for c in scope["candidates"]}


def every_reason_catalog() -> Any:
    ids = [fx.oid(x) for x in ("a", "b", "c", "d", "e", "f", "g", "h", "ghost")]
    return fx.catalog(
        fx.rule(GENDER_RULE, 'person.gender = "female" and person.name.firstName.startsWith("A")'),
        fx.offer("a", priority=10),
        fx.offer("b", priority=9, status="draft"),
        fx.offer("c", priority=9, placements=(fx.MAIL,)),
        fx.offer("d", priority=9, end="2026-06-01T00:00:00Z"),
        fx.offer("e", priority=9, rule=GENDER_RULE),
        fx.offer("f", priority=9, caps={"xdm:globalCap": 1}),
        fx.offer("g", priority=1),
        fx.offer("h", priority=9, caps={"xdm:globalCap": "many"}),
        fx.activity([fx.criterion(options=ids)]),
    )


def test_every_reason_in_pipeline_order() -> None:
    snap = every_reason_catalog()
    key = counter_key(fx.oid("f"), "global", None, period_of(None, 1, fx.NOW.date()))
    profile = {"person": {"gender": "male", "name": {"firstName": "Bob"}}}
    result = fx.run(snap, fx.request((fx.ACT, fx.WEB, 3), profile=profile, explain=True), counters={key: 1})
    assert fx.picked(result) == ["a", "g"]
    scope = explained(result)
    assert (scope["activity"], scope["placement"]) == (fx.ACT, fx.WEB)
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
    body = fx.request((fx.ACT, fx.WEB, 3), (fx.ACT, fx.MAIL, 2), profile={"person": {"gender": "female"}})
    for seed in range(20):
        plain = fx.run(snap, body, seed=seed)
        with_reasons = fx.run(snap, {**body, "xdm:explain": True}, seed=seed)
        assert "explanation" not in plain.response
        assert with_reasons.response["xdm:propositions"] == plain.response["xdm:propositions"]
        assert with_reasons.response["xdm:propositionId"] == plain.response["xdm:propositionId"]
        assert with_reasons.increments == plain.increments


def test_fallback_reasons() -> None:
    snap = fx.catalog(fx.offer("a", status="draft"), fx.activity([fx.criterion(options=[fx.oid("a")])]))
    scope = explained(fx.run(snap, fx.request(explain=True)))
    assert scope["fallback"] == {"offer": fx.FALLBACK, "reason": "no_eligible_offer"}
    assert by_offer(scope)["a"]["reason"]["code"] == "not_approved"

    closed = fx.catalog(
        fx.offer("a"), fx.activity([fx.criterion(options=[fx.oid("a")])], end="2026-02-01T00:00:00Z")
    )
    scope = explained(fx.run(closed, fx.request(explain=True)))
    assert scope["candidates"] == []
    assert scope["fallback"]["reason"] == "activity_outside_date_window"
    assert scope["fallback"]["endDate"] == "2026-02-01T00:00:00Z"


def test_profile_constraints_and_duplicates() -> None:
    segments = {
        "xdm:profileConstraintType": "allSegments",
        "xdm:segmentIdentities": [{"_id": "s1"}, {"_id": "s2"}],
    }
    other = "xcore:offer-activity:a2"
    snap = fx.catalog(
        fx.offer("a", priority=5),
        fx.offer("b", priority=3),
        fx.activity([fx.criterion(options=[fx.oid("a"), fx.oid("b")])]),
        fx.activity(
            [fx.criterion(options=[fx.oid("a")]), fx.criterion(options=[fx.oid("b")], constraint=segments)],
            ident=other,
        ),
    )
    profile = {"segmentMembership": {"ups": {"s1": {"status": "realized"}}}}
    body = fx.request((fx.ACT, fx.WEB), (other, fx.WEB), profile=profile, explain=True)
    body["xdm:allowDuplicatePropositions"] = {"xdm:acrossActivities": False}
    result = fx.run(snap, body)
    assert fx.picked(result, 0) == ["a"]
    assert fx.picked(result, 1) == f"fallback:{fx.FALLBACK}"
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
    snap = fx.catalog(
        fx.ranking(formula, "offer.rank.priority * 2"),
        fx.offer("a", priority=5),
        fx.offer("b", priority=3),
        fx.offer("c", priority=1),
        fx.activity(
            [
                fx.criterion(options=[fx.oid("a"), fx.oid("b")], priority=2, function=formula),
                fx.criterion(options=[fx.oid("c")], priority=1),
            ]
        ),
    )
    found = by_offer(explained(fx.run(snap, fx.request(explain=True))))
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

    snap = fx.catalog(fx.offer("a"), fx.activity([fx.criterion(options=[fx.oid("a")])]))
    with pytest.raises(DecisionRequestError):
        fx.run(snap, fx.request(explain="yes"))


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
