"""The eight Offer Library kinds and how a schema id (with or without `;version=`) names one."""

from __future__ import annotations

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
from offer_catalog.resources.offer_library.spec import KindSpec

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


def referrers_of(kind: str) -> list[tuple[KindSpec, tuple[str, ...]]]:
    """(kind, member path) pairs that may hold an @id of the given kind."""
    return [(spec, ref.path) for spec in ALL for ref in spec.refs if kind in ref.kinds]
