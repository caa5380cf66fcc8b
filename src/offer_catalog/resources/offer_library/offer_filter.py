"""Offer filter (collection): a static list of offers, or the offers carrying any or all of some tags.

The reference spells the id list `xdm:ids` (offer-library pages) and `ids` (repository spec): both
are accepted, one of them must be present, not both.
"""

from __future__ import annotations

from typing import Any

from offer_catalog.resources.offer_library.references import RefPath, kind_of_id
from offer_catalog.resources.offer_library.spec import INSTANCE, KindSpec, exactly_one
from offer_catalog.resources.shapes import Arr, Obj, Problem, Str, child

FILTER_TYPES = ("offers", "anyTags", "allTags")
ID_MEMBERS = ("xdm:ids", "ids")

SHAPE = Obj(
    {
        "xdm:name": Str(),
        "xdm:filterType": Str(enum=FILTER_TYPES),
        "xdm:ids": Arr(Str(fmt="uri"), min_items=1),
        "ids": Arr(Str(fmt="uri"), min_items=1),
    },
    required=("xdm:name", "xdm:filterType"),
)


def rules(instance: dict[str, Any]) -> list[Problem]:
    """Exactly one id list; its ids are tags (anyTags, allTags) or personalized offers (offers)."""
    problems = exactly_one(instance, ID_MEMBERS, "give xdm:ids or ids, not both")
    if problems:
        return problems
    ids = next(name for name in ID_MEMBERS if name in instance)
    expected = "personalized-offer" if instance["xdm:filterType"] == "offers" else "tag"
    base = child(INSTANCE, ids)
    return [
        Problem(
            child(base, index), "reference_kind", f"a {instance['xdm:filterType']} filter lists {expected}s"
        )
        for index, at_id in enumerate(instance[ids])
        if kind_of_id(at_id) != expected
    ]


def refs_of(instance: dict[str, Any]) -> tuple[RefPath, ...]:
    """The id list names tags, or personalized offers for an `offers` filter."""
    kinds = ("personalized-offer",) if instance.get("xdm:filterType") == "offers" else ("tag",)
    return tuple(RefPath((name,), kinds) for name in ID_MEMBERS)


SPEC = KindSpec(
    name="offer-filter",
    version="0.1",
    title="Collection (offer filter)",
    shape=SHAPE,
    refs=tuple(RefPath((name,), ("tag", "personalized-offer")) for name in ID_MEMBERS),
    refs_of=refs_of,
    rules=rules,
    search_fields=(("xdm:name",), ("xdm:filterType",)),
)
