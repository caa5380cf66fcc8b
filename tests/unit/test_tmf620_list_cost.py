"""Which TMF620 list pages the SQLite store serves from its indexes and kept counts alone."""

from __future__ import annotations

import pytest

from offer_catalog.tmf620.query import INDEX_SERVED_ROWS, index_served, parse_list
from offer_catalog.tmf620.resources import RESOURCES

OFFERING = RESOURCES["productOffering"]


@pytest.mark.parametrize(
    ("query", "limit", "served"),
    [
        ("", 20, True),
        ("lifecycleStatus=Active", 20, True),
        ("lifecycleStatus=in%20test", 20, True),  # the state's spelling is the indexed value
        ("name=Offering%201", 20, True),
        ("name=123", 20, True),  # a string member: no number reading
        ("@type=ProductOffering&offset=180", 20, True),
        ("@type=ProductOffering&offset=181", 20, False),  # deeper than INDEX_SERVED_ROWS
        ("", INDEX_SERVED_ROWS + 1, False),
        ("lifecycleStatus=Active,Retired", 20, False),  # two values: sorted by id from both
        ("lifecycleStatus=Active&name=x", 20, False),
        ("lifecycleStatus=Active&sort=name", 20, False),
        ("lastUpdate.gt=2025-01-01T00:00:00Z", 20, False),
        ("description=x", 20, False),  # no member index
        ("productOfferingPrice.id=pop-1", 20, False),
        ("name*=^Off", 20, False),
        ("id=po-1", 20, False),  # every entity version is listed
        ("isBundle=true", 20, False),
    ],
)
def test_index_served(query: str, limit: int, served: bool) -> None:
    assert index_served(parse_list(query, OFFERING), limit) is served
