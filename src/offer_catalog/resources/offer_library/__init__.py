"""The Offer Library kinds: one module per kind (shape, references, lifecycle, rules), pure and I/O-free."""

from offer_catalog.resources.offer_library.kinds import ALL, BY_NAME, by_schema, referrers_of
from offer_catalog.resources.offer_library.schema import Problem
from offer_catalog.resources.offer_library.spec import KindSpec

__all__ = ["ALL", "BY_NAME", "KindSpec", "Problem", "by_schema", "referrers_of"]
