"""The `@type` a v5 view gives nested objects that carry none (v5's Extensible requires one everywhere).

Transcribed from the v5.0.0 specification's schemas (TMF620-Product_Catalog_Management-v5.0.0.oas.yaml):
for each schema a resource reaches, the members holding objects and the schema they hold. A schema not
listed holds no nested objects; one in `_UNTYPED` is not Extensible (no `@type` is added to it).
"""

from __future__ import annotations

from functools import cache
from typing import Any

_CHILDREN: dict[str, dict[str, str]] = {
    "AllowedProductAction": {"validFor": "TimePeriod", "channel": "ChannelRef"},
    "Attachment": {"size": "Quantity", "validFor": "TimePeriod"},
    "BundledGroupProductOffering": {
        "bundledProductOffering": "BundledProductOffering",
        "bundledGroupProductOffering": "BundledGroupProductOffering",
        "bundledGroupProductOfferingOption": "BundledGroupProductOfferingOption",
    },
    "BundledProductOffering": {"bundledProductOfferingOption": "BundledProductOfferingOption"},
    "Category": {
        "parent": "CategoryRef",
        "productOffering": "ProductOfferingRef",
        "subCategory": "CategoryRef",
        "validFor": "TimePeriod",
    },
    "CharacteristicSpecification": {
        "validFor": "TimePeriod",
        "charSpecRelationship": "CharacteristicSpecificationRelationship",
        "characteristicValueSpecification": "CharacteristicValueSpecification",
    },
    "CharacteristicSpecificationRelationship": {"validFor": "TimePeriod"},
    "CharacteristicValueSpecification": {"validFor": "TimePeriod"},
    "PricingLogicAlgorithm": {"validFor": "TimePeriod"},
    "ProductCatalog": {
        "validFor": "TimePeriod",
        "relatedParty": "RelatedPartyRefOrPartyRoleRef",
        "category": "CategoryRef",
    },
    "ProductOffering": {
        "validFor": "TimePeriod",
        "place": "PlaceRef",
        "serviceLevelAgreement": "SLARef",
        "channel": "ChannelRef",
        "serviceCandidate": "ServiceCandidateRef",
        "category": "CategoryRef",
        "resourceCandidate": "ResourceCandidateRef",
        "productOfferingTerm": "ProductOfferingTerm",
        "productOfferingPrice": "ProductOfferingPriceRefOrValue",
        "agreement": "AgreementRef",
        "bundledProductOffering": "BundledProductOffering",
        "bundledGroupProductOffering": "BundledGroupProductOffering",
        "attachment": "AttachmentRefOrValue",
        "marketSegment": "MarketSegmentRef",
        "productOfferingRelationship": "ProductOfferingRelationship",
        "productOfferingCharacteristic": "CharacteristicSpecification",
        "prodSpecCharValueUse": "ProductSpecificationCharacteristicValueUse",
        "policy": "PolicyRef",
        "allowedAction": "AllowedProductAction",
        "productSpecification": "ProductSpecificationRef",
        "externalIdentifier": "ExternalIdentifier",
    },
    "ProductOfferingPrice": {
        "validFor": "TimePeriod",
        "unitOfMeasure": "Quantity",
        "price": "Money",
        "bundledPopRelationship": "BundledProductOfferingPriceRelationship",
        "popRelationship": "ProductOfferingPriceRelationship",
        "prodSpecCharValueUse": "ProductSpecificationCharacteristicValueUse",
        "productOfferingTerm": "ProductOfferingTerm",
        "place": "PlaceRef",
        "policy": "PolicyRef",
        "pricingLogicAlgorithm": "PricingLogicAlgorithm",
        "tax": "TaxItem",
        "externalIdentifier": "ExternalIdentifier",
    },
    "ProductOfferingRelationship": {"validFor": "TimePeriod"},
    "ProductOfferingTerm": {"duration": "Duration", "validFor": "TimePeriod"},
    "ProductSpecification": {
        "category": "CategoryRef",
        "validFor": "TimePeriod",
        "relatedParty": "RelatedPartyRefOrPartyRoleRef",
        "productSpecCharacteristic": "CharacteristicSpecification",
        "serviceSpecification": "ServiceSpecificationRef",
        "bundledProductSpecification": "BundledProductSpecification",
        "productSpecificationRelationship": "ProductSpecificationRelationship",
        "resourceSpecification": "ResourceSpecificationRef",
        "attachment": "AttachmentRefOrValue",
        "policy": "PolicyRef",
        "targetProductSchema": "TargetProductSchema",
        "intentSpecification": "IntentSpecificationRef",
        "externalIdentifier": "ExternalIdentifier",
    },
    "ProductSpecificationCharacteristicValueUse": {
        "validFor": "TimePeriod",
        "productSpecCharacteristicValue": "CharacteristicValueSpecification",
        "productSpecification": "ProductSpecificationRef",
    },
    "ProductSpecificationRef": {"targetProductSchema": "TargetProductSchema"},
    "ProductSpecificationRelationship": {
        "characteristic": "CharacteristicSpecification",
        "validFor": "TimePeriod",
    },
    "RelatedPartyRefOrPartyRoleRef": {"partyOrPartyRole": "PartyRefOrPartyRoleRef"},
    "TaxItem": {"taxAmount": "Money"},
}
_UNTYPED = frozenset({"Duration", "Money", "Quantity", "TargetProductSchema", "TimePeriod"})
# The oneOf members whose schema depends on what the object holds (see _resolve).
_POLYMORPHIC = frozenset({"ProductOfferingPriceRefOrValue", "AttachmentRefOrValue", "PartyRefOrPartyRoleRef"})
_VALUE_BASE = "CharacteristicValueSpecification"
# Members only the value form of a RefOrValue holds.
_PRICE_VALUE = frozenset({"price", "priceType", "percentage"})
_ATTACHMENT_VALUE = frozenset({"content", "mimeType", "attachmentType", "size"})

# CharacteristicValueSpecification subtypes by the JSON type of `value` (bool first: a bool is an int).
_VALUE_KINDS: tuple[tuple[type, str], ...] = (
    (str, "String"),
    (bool, "Boolean"),
    (int, "Integer"),
    (float, "Number"),
)


def with_types(schema: str, obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` (a `schema` value) with `@type` set where v5 requires one and none is given, at every depth.

    Copy-on-write: objects needing nothing are returned as they are (shared, never mutated)."""
    if schema in _POLYMORPHIC or schema == _VALUE_BASE:
        schema = _resolve(schema, obj)
    out = obj
    if "@type" not in obj and schema not in _UNTYPED:
        out = {**obj, "@type": schema}
    plan = _plan(schema)
    if not plan:
        return out
    for member in plan.keys() & obj.keys():
        value = obj[member]
        child = plan[member]
        typed: Any = value
        if isinstance(value, dict):
            typed = with_types(child, value)
        elif isinstance(value, list):
            items = [with_types(child, v) if isinstance(v, dict) else v for v in value]
            for new, old in zip(items, value, strict=True):
                if new is not old:
                    typed = items
                    break
        if typed is not value:
            if out is obj:
                out = dict(obj)
            out[member] = typed
    return out


@cache
def _plan(schema: str) -> dict[str, str]:
    """The members of a `schema` value that can need a `@type` somewhere below (computed once per schema)."""
    return {m: child for m, child in _CHILDREN.get(schema, {}).items() if _needs_types(child)}


@cache
def _needs_types(schema: str) -> bool:
    # Polymorphic schemas resolve to a typed one; an untyped schema needs work only through its members.
    return schema not in _UNTYPED or any(_needs_types(c) for c in _CHILDREN.get(schema, {}).values())


def _resolve(schema: str, obj: dict[str, Any]) -> str:
    """The schema of a polymorphic (oneOf) member, from what the object holds."""
    if schema == "ProductOfferingPriceRefOrValue":
        value = "id" not in obj or not _PRICE_VALUE.isdisjoint(obj)
        return "ProductOfferingPrice" if value else "ProductOfferingPriceRef"
    if schema == "AttachmentRefOrValue":
        value = "id" not in obj or not _ATTACHMENT_VALUE.isdisjoint(obj)
        return "Attachment" if value else "AttachmentRef"
    if schema == "PartyRefOrPartyRoleRef":
        return "PartyRoleRef" if "partyId" in obj or "partyName" in obj else "PartyRef"
    if schema == "CharacteristicValueSpecification" and "@type" not in obj and "value" in obj:
        return _value_schema(obj["value"])
    return schema


def _value_schema(value: Any) -> str:
    """The CharacteristicValueSpecification subtype holding `value` (the base when none fits)."""
    base = "CharacteristicValueSpecification"
    kind = _scalar_kind(value)
    if kind:
        return kind + base
    if isinstance(value, list) and value:
        kinds = {_scalar_kind(v) for v in value}
        if kinds == {"Integer", "Number"}:
            kinds = {"Number"}
        if len(kinds) == 1 and "" not in kinds:
            return f"{kinds.pop()}Array{base}"
    return base


def _scalar_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "Object"
    for cls, kind in _VALUE_KINDS:
        if isinstance(value, cls):
            return kind
    return ""
