"""The TMF620 v4 resources served, in the specification's order."""

from __future__ import annotations

from offer_catalog.resources.tmf620 import (
    catalog,
    category,
    product_offering,
    product_offering_price,
    product_specification,
)
from offer_catalog.resources.tmf620.spec import TmfResource

ALL: tuple[TmfResource, ...] = (
    catalog.SPEC,
    category.SPEC,
    product_offering.SPEC,
    product_offering_price.SPEC,
    product_specification.SPEC,
)
BY_PATH: dict[str, TmfResource] = {spec.path: spec for spec in ALL}
CLASSES: frozenset[str] = frozenset(spec.cls for spec in ALL)
