"""ProductOffering: what is sold, built on a product specification, with its prices, terms and places."""

from __future__ import annotations

from offer_catalog.resources.tmf620.spec import TmfResource, links
from offer_catalog.resources.tmf620.values import BOOLEAN, OBJECTS, STRING, body_shape, ref, refs

SPEC = TmfResource(
    path="productOffering",
    cls="ProductOffering",
    shape=body_shape(
        isBundle=BOOLEAN, isSellable=BOOLEAN, statusReason=STRING,
        agreement=refs("id"), attachment=OBJECTS, bundledProductOffering=OBJECTS, category=refs("id"),
        channel=refs("id"), marketSegment=refs("id"), place=refs("id"), prodSpecCharValueUse=OBJECTS,
        productOfferingPrice=OBJECTS, productOfferingRelationship=OBJECTS, productOfferingTerm=OBJECTS,
        productSpecification=ref("id"), resourceCandidate=ref("id"), serviceCandidate=ref("id"),
        serviceLevelAgreement=ref("id"),
    ),
    refs=links(
        category="category", productSpecification="productSpecification",
        productOfferingPrice="productOfferingPrice", bundledProductOffering="productOffering",
        productOfferingRelationship="productOffering",
    ),
)  # fmt: skip
