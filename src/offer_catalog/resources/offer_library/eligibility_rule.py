"""Eligibility rule (decision rule): a PQL condition over the profile and context data."""

from __future__ import annotations

from offer_catalog.resources.offer_library.spec import KindSpec, pql_text
from offer_catalog.resources.shapes import AnyJson, Obj, Str

MAX_PQL = 15_000  # guardrail: rule PQL up to 15K characters

CONDITION = pql_text(MAX_PQL)

# The members that name and describe a PQL kind (the ranking formula is modelled on the rule).
DESCRIBED = {"xdm:name": Str(), "description": Str(), "xdm:description": Str()}
DESCRIBED_FIELDS = (("xdm:name",), ("description",), ("xdm:description",))

SHAPE = Obj(
    {**DESCRIBED, "xdm:condition": CONDITION, "xdm:definedOn": AnyJson(object_only=True)},
    required=("xdm:name", "xdm:condition"),
)

SPEC = KindSpec(
    name="eligibility-rule",
    version="0.3",
    title="Decision rule (eligibility rule)",
    shape=SHAPE,
    pql=(("xdm:condition", "xdm:value"),),
    search_fields=(*DESCRIBED_FIELDS, ("xdm:condition", "xdm:value")),
)
