"""The Offer Library kinds: one module per kind (shape, references, lifecycle, rules), pure and I/O-free."""

from offer_catalog.resources.offer_library.kinds import (
    ALL,
    BY_NAME,
    SCHEMA_PATTERN,
    by_schema,
    by_schema_param,
    referrers_of,
)
from offer_catalog.resources.offer_library.spec import KindSpec
from offer_catalog.resources.shapes import Problem

__all__ = [
    "ALL",
    "BY_NAME",
    "SCHEMA_PATTERN",
    "KindSpec",
    "Problem",
    "by_schema",
    "by_schema_param",
    "referrers_of",
]
