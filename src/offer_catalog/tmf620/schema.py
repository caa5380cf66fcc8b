"""TMF620 v4.1.0 member types per resource, transcribed from the swagger (never read at runtime).

Generated at development time from `TMF620-ProductCatalog-v4.1.0.swagger.json`
(`definitions.<Name>.properties`):
`str`, `bool`, `num`, `int` and `datetime` (a string with format date-time) are JSON scalars; `obj` is
a `$ref` to another definition (a reference or a nested value, checked to be an object); `[obj]` and
`[str]` are arrays of those; `TimePeriod`, `Money` and `Quantity` are small value types whose own
members are checked too. `id` and `href` are left out: the server manages them.
"""

from __future__ import annotations

RESOURCE_CLASSES = ("Catalog", "Category", "ProductOffering", "ProductOfferingPrice", "ProductSpecification")

# `*_Create.required` is `name` for all five resources in v4.1.0.
REQUIRED_ON_CREATE: dict[str, tuple[str, ...]] = {name: ("name",) for name in RESOURCE_CLASSES}

MEMBER_TYPES: dict[str, dict[str, str]] = {
    "Catalog": {"catalogType": "str", "description": "str", "lastUpdate": "datetime",
        "lifecycleStatus": "str", "name": "str", "version": "str", "category": "[obj]",
        "relatedParty": "[obj]", "validFor": "TimePeriod", "@baseType": "str", "@schemaLocation": "str",
        "@type": "str"},
    "Category": {"description": "str", "isRoot": "bool", "lastUpdate": "datetime",
        "lifecycleStatus": "str", "name": "str", "parentId": "str", "version": "str",
        "productOffering": "[obj]", "subCategory": "[obj]", "validFor": "TimePeriod", "@baseType": "str",
        "@schemaLocation": "str", "@type": "str"},
    "ProductOffering": {"description": "str", "isBundle": "bool", "isSellable": "bool",
        "lastUpdate": "datetime", "lifecycleStatus": "str", "name": "str", "statusReason": "str",
        "version": "str", "agreement": "[obj]", "attachment": "[obj]", "bundledProductOffering": "[obj]",
        "category": "[obj]", "channel": "[obj]", "marketSegment": "[obj]", "place": "[obj]",
        "prodSpecCharValueUse": "[obj]", "productOfferingPrice": "[obj]",
        "productOfferingRelationship": "[obj]", "productOfferingTerm": "[obj]",
        "productSpecification": "obj", "resourceCandidate": "obj", "serviceCandidate": "obj",
        "serviceLevelAgreement": "obj", "validFor": "TimePeriod", "@baseType": "str",
        "@schemaLocation": "str", "@type": "str"},
    "ProductOfferingPrice": {"description": "str", "isBundle": "bool", "lastUpdate": "datetime",
        "lifecycleStatus": "str", "name": "str", "percentage": "num", "priceType": "str",
        "recurringChargePeriodLength": "int", "recurringChargePeriodType": "str", "version": "str",
        "bundledPopRelationship": "[obj]", "constraint": "[obj]", "place": "[obj]",
        "popRelationship": "[obj]", "price": "Money", "pricingLogicAlgorithm": "[obj]",
        "prodSpecCharValueUse": "[obj]", "productOfferingTerm": "[obj]", "tax": "[obj]",
        "unitOfMeasure": "Quantity", "validFor": "TimePeriod", "@baseType": "str",
        "@schemaLocation": "str", "@type": "str"},
    "ProductSpecification": {"brand": "str", "description": "str", "isBundle": "bool",
        "lastUpdate": "datetime", "lifecycleStatus": "str", "name": "str", "productNumber": "str",
        "version": "str", "attachment": "[obj]", "bundledProductSpecification": "[obj]",
        "productSpecCharacteristic": "[obj]", "productSpecificationRelationship": "[obj]",
        "relatedParty": "[obj]", "resourceSpecification": "[obj]", "serviceSpecification": "[obj]",
        "targetProductSchema": "obj", "validFor": "TimePeriod", "@baseType": "str",
        "@schemaLocation": "str", "@type": "str"},
    "TimePeriod": {"endDateTime": "datetime", "startDateTime": "datetime"},
    "Money": {"unit": "str", "value": "num"},
    "Quantity": {"amount": "num", "units": "str"},
}  # fmt: skip

# Members a reference must carry (`definitions.<Ref>.required` of the referenced definition, v4.1.0, with
# v4.0.0 where 4.1.0 dropped the definition): a client generated from the specification cannot read a
# resource whose reference lacks them.
REF_REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "Catalog": {"category": ("id",), "relatedParty": ("@referredType", "id")},
    "Category": {"productOffering": ("id",), "subCategory": ("id",)},
    "ProductOffering": {"agreement": ("id",), "category": ("id",), "channel": ("id",),
        "marketSegment": ("id",), "place": ("id",), "productSpecification": ("id",),
        "resourceCandidate": ("id",), "serviceCandidate": ("id",), "serviceLevelAgreement": ("id",)},
    "ProductOfferingPrice": {"constraint": ("id",), "place": ("id",)},
    "ProductSpecification": {"relatedParty": ("@referredType", "id"), "resourceSpecification": ("id",),
        "serviceSpecification": ("id",), "targetProductSchema": ("@schemaLocation", "@type")},
}  # fmt: skip
