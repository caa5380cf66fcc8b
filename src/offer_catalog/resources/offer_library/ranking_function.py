"""Ranking function (ranking formula): a PQL expression scoring offers.

No xcore create page documents its body; it is modelled on the rule: `xdm:name` and the PQL in
`xdm:expression` (the dps API's `expression`) or, like a rule, in `xdm:condition` (one of them).
"""

from __future__ import annotations

from typing import Any

from offer_catalog.resources.offer_library.eligibility_rule import DESCRIBED, DESCRIBED_FIELDS
from offer_catalog.resources.offer_library.spec import KindSpec, exactly_one, pql_text
from offer_catalog.resources.shapes import AnyJson, Obj, Problem

MAX_PQL = 8_000  # guardrail: ranking formula PQL up to 8K characters
EXPRESSION_MEMBERS = ("xdm:expression", "xdm:condition")

EXPRESSION = pql_text(MAX_PQL)

SHAPE = Obj(
    {
        **DESCRIBED,
        "xdm:expression": EXPRESSION,
        "xdm:condition": EXPRESSION,
        "xdm:returnType": AnyJson(object_only=True),
        "xdm:definedOn": AnyJson(object_only=True),
    },
    required=("xdm:name",),
)


def rules(instance: dict[str, Any]) -> list[Problem]:
    """Exactly one of xdm:expression and xdm:condition holds the formula."""
    return exactly_one(instance, EXPRESSION_MEMBERS, "give xdm:expression or xdm:condition")


SPEC = KindSpec(
    name="ranking-function",
    version="0.3",
    title="Ranking formula (ranking function)",
    shape=SHAPE,
    rules=rules,
    pql=tuple((name, "xdm:value") for name in EXPRESSION_MEMBERS),
    search_fields=(*DESCRIBED_FIELDS, ("xdm:expression", "xdm:value")),
)
