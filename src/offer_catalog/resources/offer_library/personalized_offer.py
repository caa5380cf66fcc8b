"""Personalized offer: an option with representations, a selection window, a rank and caps."""

from __future__ import annotations

from typing import Any

from offer_catalog.resources.offer_library.lifecycle import OFFER_LIFECYCLE
from offer_catalog.resources.offer_library.offer_base import (
    BASE_PROPS,
    BASE_REFS,
    BASE_REQUIRED,
    SEARCH_FIELDS,
    one_representation_per_placement,
)
from offer_catalog.resources.offer_library.references import RefPath
from offer_catalog.resources.offer_library.spec import INSTANCE, KindSpec
from offer_catalog.resources.shapes import Arr, Bool, Int, Obj, Problem, Str, child

SELECTION_CONSTRAINT = Obj(
    {
        "xdm:startDate": Str(fmt="date-time"),
        "xdm:endDate": Str(fmt="date-time"),
        "xdm:eligibilityRule": Str(fmt="uri"),
    },
    required=("xdm:startDate", "xdm:endDate"),
)
RANK = Obj({"xdm:priority": Int(minimum=0)}, required=("xdm:priority",))
CAPPING = Obj({"xdm:globalCap": Int(minimum=1), "xdm:profileCap": Int(minimum=1)})
FREQUENCY_CAP = Obj(
    {
        "xdm:index": Int(minimum=0),
        "xdm:limit": Int(minimum=1),
        "xdm:scope": Str(enum=("global", "profile")),
        "xdm:entity": Str(enum=("offer", "placement")),
        "xdm:events": Arr(Str(enum=("decisioning", "custom", "click", "impression")), min_items=1),
        "xdm:customQuery": Str(),
        "xdm:repeat": Obj(
            {
                "xdm:enabled": Bool(),
                "xdm:unit": Str(enum=("day", "week", "month")),
                "xdm:unitCount": Int(minimum=1),
            }
        ),
    },
    required=("xdm:limit", "xdm:scope", "xdm:entity"),
)

SHAPE = Obj(
    {
        **BASE_PROPS,
        "xdm:selectionConstraint": SELECTION_CONSTRAINT,
        "xdm:rank": RANK,
        "xdm:cappingConstraint": CAPPING,
        "xdm:frequencyCappingConstraints": Arr(FREQUENCY_CAP),
        "xdm:fCapConstraintsLastIndex": Int(minimum=0),
    },
    required=(*BASE_REQUIRED, "xdm:rank", "xdm:selectionConstraint"),
)


def _custom_queries(instance: dict[str, Any]) -> list[Problem]:
    """A custom query only filters custom events: a rule that counts none would ignore it."""
    base = child(INSTANCE, "xdm:frequencyCappingConstraints")
    return [
        Problem(
            child(child(base, index), "xdm:customQuery"),
            "custom_query_without_custom_events",
            "xdm:customQuery needs custom in xdm:events",
        )
        for index, rule in enumerate(instance.get("xdm:frequencyCappingConstraints", []))
        if "xdm:customQuery" in rule and "custom" not in rule.get("xdm:events", ["decisioning"])
    ]


def rules(instance: dict[str, Any]) -> list[Problem]:
    """One representation per placement; custom queries.

    A selection window that ends before it starts is stored (Adobe's own create example has one and
    exported data holds them): the offer is never eligible, and the decisioning diagnostics say so.
    """
    return [*one_representation_per_placement(instance), *_custom_queries(instance)]


SPEC = KindSpec(
    name="personalized-offer",
    version="0.5",
    title="Personalized offer",
    shape=SHAPE,
    refs=(*BASE_REFS, RefPath(("xdm:selectionConstraint", "xdm:eligibilityRule"), ("eligibility-rule",))),
    lifecycle=OFFER_LIFECYCLE,
    rules=rules,
    search_fields=SEARCH_FIELDS,
)
