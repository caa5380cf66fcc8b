"""The eight Offer Library kinds and how a schema id (with or without `;version=`) names one."""

from __future__ import annotations

import re

from offer_catalog.resources.offer_library import (
    eligibility_rule,
    fallback_offer,
    offer_activity,
    offer_filter,
    personalized_offer,
    placement,
    ranking_function,
    tag,
)
from offer_catalog.resources.offer_library.spec import SCHEMA_BASE, KindSpec

ALL: tuple[KindSpec, ...] = (
    personalized_offer.SPEC,
    fallback_offer.SPEC,
    placement.SPEC,
    tag.SPEC,
    offer_filter.SPEC,
    eligibility_rule.SPEC,
    ranking_function.SPEC,
    offer_activity.SPEC,
)
BY_NAME: dict[str, KindSpec] = {spec.name: spec for spec in ALL}
_BY_SCHEMA: dict[str, KindSpec] = {spec.schema_base: spec for spec in ALL}


def schema_base(schema: str) -> str:
    """The schema id without its `;version=...` part and surrounding blanks or quotes."""
    return schema.strip().strip('"').split(";", 1)[0].strip()


def by_schema(schema: str) -> KindSpec | None:
    """The kind a schema id names (any version), or None."""
    return _BY_SCHEMA.get(schema_base(schema))


# Dots escaped by hand: re.escape's `\-` is no valid escape in the ECMA-262 patterns of JSON Schema.
_SCHEMA_ID = (
    SCHEMA_BASE.replace(".", r"\.")
    + f"({'|'.join(spec.name for spec in ALL)})"
    + r"(;version=[0-9]+(\.[0-9]+)*)?"
)
SCHEMA_PATTERN = f'^({_SCHEMA_ID}|"{_SCHEMA_ID}")$'
"""A `schema` query value: a kind's schema id, with or without `;version=` (any version), bare or
double-quoted (as Adobe's pages write it)."""
_SCHEMA_VALUE = re.compile(SCHEMA_PATTERN)


def by_schema_param(value: str) -> KindSpec | None:
    """The kind a `schema` query value names (exactly SCHEMA_PATTERN), or None."""
    return by_schema(value) if _SCHEMA_VALUE.match(value) else None


def referrers_of(kind: str) -> list[tuple[KindSpec, tuple[str, ...]]]:
    """(kind, member path) pairs that may hold an @id of the given kind."""
    return [(spec, ref.path) for spec in ALL for ref in spec.refs if kind in ref.kinds]
