"""ProductSpecification: the characteristics a product may have, its parties and its underlying specs."""

from __future__ import annotations

from offer_catalog.resources.tmf620.spec import TmfResource, links
from offer_catalog.resources.tmf620.values import BOOLEAN, OBJECTS, STRING, body_shape, ref, refs

SPEC = TmfResource(
    path="productSpecification",
    cls="ProductSpecification",
    shape=body_shape(
        brand=STRING, isBundle=BOOLEAN, productNumber=STRING,
        attachment=OBJECTS, bundledProductSpecification=OBJECTS, productSpecCharacteristic=OBJECTS,
        productSpecificationRelationship=OBJECTS, relatedParty=refs("@referredType", "id"),
        resourceSpecification=refs("id"), serviceSpecification=refs("id"),
        targetProductSchema=ref("@schemaLocation", "@type"),
    ),
    refs=links(
        bundledProductSpecification="productSpecification",
        productSpecificationRelationship="productSpecification",
    ),
)  # fmt: skip
