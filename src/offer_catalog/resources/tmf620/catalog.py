"""Catalog: a collection of categories (and through them offerings), its parties and its validity."""

from __future__ import annotations

from offer_catalog.resources.tmf620.spec import TmfResource, links
from offer_catalog.resources.tmf620.values import STRING, body_shape, refs

SPEC = TmfResource(
    path="catalog",
    cls="Catalog",
    shape=body_shape(
        catalogType=STRING,
        category=refs("id"),
        relatedParty=refs("@referredType", "id"),
    ),
    refs=links(category="category"),
)
