"""Fallback offer: the offer a decision returns when no option qualifies; it has no constraints."""

from __future__ import annotations

from offer_catalog.resources.offer_library.lifecycle import OFFER_LIFECYCLE
from offer_catalog.resources.offer_library.offer_base import (
    BASE_PROPS,
    BASE_REFS,
    BASE_REQUIRED,
    SEARCH_FIELDS,
    one_representation_per_placement,
)
from offer_catalog.resources.offer_library.spec import KindSpec
from offer_catalog.resources.shapes import Obj

SHAPE = Obj(
    BASE_PROPS,
    required=BASE_REQUIRED,
    # "cannot have any other constraints" (no selection window, rank or caps)
    forbidden=(
        "xdm:selectionConstraint",
        "xdm:rank",
        "xdm:cappingConstraint",
        "xdm:frequencyCappingConstraints",
    ),
)

SPEC = KindSpec(
    name="fallback-offer",
    version="0.1",
    title="Fallback offer",
    shape=SHAPE,
    refs=BASE_REFS,
    lifecycle=OFFER_LIFECYCLE,
    rules=one_representation_per_placement,
    search_fields=SEARCH_FIELDS,
)
