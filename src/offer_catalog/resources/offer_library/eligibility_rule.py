"""Eligibility rule (decision rule): a PQL condition over the profile and context data."""

from __future__ import annotations

from offer_catalog.resources.offer_library.schema import AnyJson, Obj, Str
from offer_catalog.resources.offer_library.spec import KindSpec

MAX_PQL = 15_000  # guardrail: rule PQL up to 15K characters

CONDITION = Obj(
    {
        "xdm:type": Str(enum=("PQL",)),
        "xdm:format": Str(enum=("pql/text",)),
        "xdm:value": Str(min_length=1, max_length=MAX_PQL),
    },
    required=("xdm:value",),
)

SHAPE = Obj(
    {
        "xdm:name": Str(),
        "description": Str(),
        "xdm:description": Str(),
        "xdm:condition": CONDITION,
        "xdm:definedOn": AnyJson(object_only=True),
    },
    required=("xdm:name", "xdm:condition"),
)

SPEC = KindSpec(
    name="eligibility-rule",
    version="0.3",
    title="Decision rule (eligibility rule)",
    shape=SHAPE,
    pql=(("xdm:condition", "xdm:value"),),
    search_fields=(("xdm:name",), ("description",), ("xdm:description",), ("xdm:condition", "xdm:value")),
)
