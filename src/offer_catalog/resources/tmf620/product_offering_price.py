"""ProductOfferingPrice: a price (one-time, recurring, usage) of offerings, with its tax and its period."""

from __future__ import annotations

from offer_catalog.resources.shapes import Int
from offer_catalog.resources.tmf620.spec import TmfResource, links
from offer_catalog.resources.tmf620.values import (
    BOOLEAN,
    MONEY,
    NUMBER,
    OBJECTS,
    QUANTITY,
    STRING,
    body_shape,
    refs,
)

SPEC = TmfResource(
    path="productOfferingPrice",
    cls="ProductOfferingPrice",
    shape=body_shape(
        isBundle=BOOLEAN, percentage=NUMBER, priceType=STRING, recurringChargePeriodLength=Int(),
        recurringChargePeriodType=STRING,
        bundledPopRelationship=OBJECTS, constraint=refs("id"), place=refs("id"), popRelationship=OBJECTS,
        price=MONEY, pricingLogicAlgorithm=OBJECTS, prodSpecCharValueUse=OBJECTS,
        productOfferingTerm=OBJECTS, tax=OBJECTS, unitOfMeasure=QUANTITY,
    ),
    refs=links(bundledPopRelationship="productOfferingPrice", popRelationship="productOfferingPrice"),
)  # fmt: skip
