"""Category: a node of a catalog's tree grouping offerings; `isRoot` and `parentId` place it."""

from __future__ import annotations

from offer_catalog.resources.tmf620.spec import TmfResource, links
from offer_catalog.resources.tmf620.values import BOOLEAN, STRING, body_shape, refs

SPEC = TmfResource(
    path="category",
    cls="Category",
    shape=body_shape(
        isRoot=BOOLEAN,
        parentId=STRING,
        productOffering=refs("id"),
        subCategory=refs("id"),
    ),
    refs=links(productOffering="productOffering", subCategory="category", parentId="category"),
)
