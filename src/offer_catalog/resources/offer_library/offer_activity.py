"""Offer activity (decision): criteria per placement selecting offers, ranking them, and a fallback.

Both forms are accepted: `xdm:criteria` (v0.5, one or more) or the older single `xdm:placement` +
`xdm:filter`. `xdm:fallback` is mandatory.

Every profile constraint and ranking form the decision engine saves is one it applies: `rules`
needs `xdm:eligibilityRule` (the rule every profile must pass: the schema names no other rule
member), segment constraints need at least one segment, and `rankingStrategy` (an AI ranking model
this service does not run) is refused with `unsupported_ranking` rather than ranked silently by
priority.
"""

from __future__ import annotations

from typing import Any

from offer_catalog.resources.offer_library.lifecycle import ACTIVITY_LIFECYCLE, ACTIVITY_STATUSES
from offer_catalog.resources.offer_library.offer_base import start_before_end
from offer_catalog.resources.offer_library.references import RefPath
from offer_catalog.resources.offer_library.spec import INSTANCE, KindSpec
from offer_catalog.resources.shapes import AnyJson, Arr, Int, Obj, Problem, Str, child

OPTION_SELECTION = Obj(
    {
        "xdm:description": Str(),
        "xdm:optionSelectionType": Str(enum=("directList", "filter")),
        "xdm:options": Arr(Str(fmt="uri"), min_items=1),
        "xdm:filter": Str(fmt="uri"),
    }
)
PROFILE_CONSTRAINTS = Obj(
    {
        "xdm:description": Str(),
        "xdm:profileConstraintType": Str(
            enum=("none", "eligibilityRule", "anySegments", "allSegments", "rules")
        ),
        "xdm:eligibilityRule": Str(fmt="uri"),
        "xdm:segmentIdentities": Arr(AnyJson()),
    }
)
RANKING = Obj(
    {
        "xdm:priority": Int(minimum=0),
        "xdm:order": Obj(
            {
                "xdm:orderEvaluationType": Str(enum=("static", "scoringFunction", "rankingStrategy")),
                "xdm:function": Str(fmt="uri"),
                "xdm:rankingStrategy": Str(fmt="uri"),
            }
        ),
    }
)
CRITERION = Obj(
    {
        "xdm:description": Str(),
        "xdm:placements": Arr(Str(fmt="uri"), min_items=1),
        "xdm:optionSelection": OPTION_SELECTION,
        "xdm:profileConstraints": PROFILE_CONSTRAINTS,
        "xdm:ranking": RANKING,
    },
    required=("xdm:placements", "xdm:optionSelection"),
)

SHAPE = Obj(
    {
        "xdm:name": Str(),
        "xdm:description": Str(),
        "xdm:status": Str(enum=ACTIVITY_STATUSES),
        "xdm:startDate": Str(fmt="date-time"),
        "xdm:endDate": Str(fmt="date-time"),
        "xdm:criteria": Arr(CRITERION, min_items=1),
        "xdm:placement": Str(fmt="uri"),
        "xdm:filter": Str(fmt="uri"),
        "xdm:fallback": Str(fmt="uri"),
    },
    required=("xdm:name", "xdm:status", "xdm:fallback"),
)

# (member that selects, value, member it needs)
_NEEDS = (
    ("xdm:profileConstraints", "xdm:profileConstraintType", "eligibilityRule", "xdm:eligibilityRule"),
    ("xdm:profileConstraints", "xdm:profileConstraintType", "rules", "xdm:eligibilityRule"),
    ("xdm:profileConstraints", "xdm:profileConstraintType", "anySegments", "xdm:segmentIdentities"),
    ("xdm:profileConstraints", "xdm:profileConstraintType", "allSegments", "xdm:segmentIdentities"),
    ("xdm:optionSelection", "xdm:optionSelectionType", "directList", "xdm:options"),
    ("xdm:optionSelection", "xdm:optionSelectionType", "filter", "xdm:filter"),
)


def _criterion_rules(criterion: dict[str, Any], pointer: str) -> list[Problem]:
    problems: list[Problem] = []
    selection = criterion["xdm:optionSelection"]
    chosen = [name for name in ("xdm:filter", "xdm:options") if name in selection]
    if len(chosen) != 1:
        problems.append(
            Problem(
                child(pointer, "xdm:optionSelection"),
                "option_selection",
                "give exactly one of xdm:filter and xdm:options",
            )
        )
    for holder, selector, value, needed in _NEEDS:
        part = criterion.get(holder, {})
        if part.get(selector) == value and needed not in part:
            problems.append(
                Problem(child(child(pointer, holder), needed), "required", f"{needed} is required")
            )
    constraint = criterion.get("xdm:profileConstraints", {})
    if constraint.get("xdm:profileConstraintType") in ("anySegments", "allSegments") and not constraint.get(
        "xdm:segmentIdentities", [None]
    ):
        where = child(child(pointer, "xdm:profileConstraints"), "xdm:segmentIdentities")
        problems.append(Problem(where, "empty_segments", "a segment constraint needs at least one segment"))
    order = criterion.get("xdm:ranking", {}).get("xdm:order", {})
    where = child(child(pointer, "xdm:ranking"), "xdm:order")
    for value, needed in (("scoringFunction", "xdm:function"), ("rankingStrategy", "xdm:rankingStrategy")):
        if order.get("xdm:orderEvaluationType") == value and needed not in order:
            problems.append(Problem(child(where, needed), "required", f"{needed} is required"))
    if order.get("xdm:orderEvaluationType") == "rankingStrategy":
        problems.append(
            Problem(
                child(where, "xdm:orderEvaluationType"),
                "unsupported_ranking",
                "rankingStrategy (AI ranking models) is not supported: use static or scoringFunction",
            )
        )
    return problems


def rules(instance: dict[str, Any]) -> list[Problem]:
    """Criteria (or the older placement + filter) are present and complete; dates are in order."""
    problems = start_before_end(instance, INSTANCE)
    criteria = instance.get("xdm:criteria")
    if criteria is None:
        for name in ("xdm:placement", "xdm:filter"):
            if name not in instance:
                problems.append(
                    Problem(child(INSTANCE, "xdm:criteria"), "required", "xdm:criteria is required")
                )
                break
        return problems
    base = child(INSTANCE, "xdm:criteria")
    for index, criterion in enumerate(criteria):
        problems.extend(_criterion_rules(criterion, child(base, index)))
    return problems


def placements(instance: dict[str, Any]) -> list[str]:
    """Every placement the activity decides for."""
    found = [p for c in instance.get("xdm:criteria", []) for p in c.get("xdm:placements", [])]
    if "xdm:placement" in instance:
        found.append(instance["xdm:placement"])
    return list(dict.fromkeys(found))


SPEC = KindSpec(
    name="offer-activity",
    version="0.5",
    title="Decision (offer activity)",
    shape=SHAPE,
    refs=(
        RefPath(("xdm:criteria", "xdm:placements"), ("offer-placement",)),
        RefPath(("xdm:criteria", "xdm:optionSelection", "xdm:filter"), ("offer-filter",)),
        RefPath(("xdm:criteria", "xdm:optionSelection", "xdm:options"), ("personalized-offer",)),
        RefPath(("xdm:criteria", "xdm:profileConstraints", "xdm:eligibilityRule"), ("eligibility-rule",)),
        RefPath(("xdm:criteria", "xdm:ranking", "xdm:order", "xdm:function"), ("ranking-function",)),
        RefPath(("xdm:fallback",), ("fallback-offer",)),
        RefPath(("xdm:placement",), ("offer-placement",)),
        RefPath(("xdm:filter",), ("offer-filter",)),
    ),
    lifecycle=ACTIVITY_LIFECYCLE,
    rules=rules,
    search_fields=(("xdm:name",), ("xdm:status",), ("xdm:description",)),
)
