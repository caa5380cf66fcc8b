"""The TMF620 v5.0.0 resources: the v4 declarations with v5's collection names, classes and member changes.

One catalog serves both releases: each v5 collection is stored as the kind of its v4 counterpart
(`productCatalog` as `catalog`); tmf620/v5_mapping.py turns the stored form into the v5 view and back.
Member changes from the v5 OpenAPI (`allOf` flattened; nested types in v5/nested.py):
ProductCatalog/ProductSpecification `relatedParty` is RelatedPartyRefOrPartyRoleRef (party in
`partyOrPartyRole`), Category `parentId` became `parent` (a CategoryRef), ProductOfferingPrice lost
`constraint`; new members: see `_NEW`. A create must name its `@type` (v5's `*_FVO.required`).
"""

from __future__ import annotations

from dataclasses import replace

from offer_catalog.resources.shapes import Obj, Shape
from offer_catalog.resources.tmf620 import kinds
from offer_catalog.resources.tmf620.spec import TmfResource, links
from offer_catalog.resources.tmf620.values import OBJECTS, ref, refs

_REQUIRED = ("name", "@type")
_NEW: dict[str, dict[str, Shape]] = {
    "catalog": {"relatedParty": OBJECTS},
    "category": {"parent": ref("id")},
    "productOffering": {
        "allowedAction": OBJECTS,
        "bundledGroupProductOffering": OBJECTS,
        "externalIdentifier": OBJECTS,
        "policy": refs("id"),
        "productOfferingCharacteristic": OBJECTS,
    },
    "productOfferingPrice": {"externalIdentifier": OBJECTS, "policy": refs("id")},
    "productSpecification": {
        "category": refs("id"),
        "externalIdentifier": OBJECTS,
        "intentSpecification": ref("id"),
        "policy": refs("id"),
        "relatedParty": OBJECTS,
        "productSpecCharacteristic": OBJECTS,
    },
}
_DROPPED = {"category": ("parentId",), "productOfferingPrice": ("constraint",)}
_NAMES = {"catalog": ("productCatalog", "ProductCatalog")}
# References checked in strict mode, by the v5 collection paths of their targets.
_PATHS = {"catalog": "productCatalog"}
_OWN_REFS = {"category": links(productOffering="productOffering", subCategory="category", parent="category")}


def _v5(spec: TmfResource) -> TmfResource:
    path, cls = _NAMES.get(spec.path, (spec.path, spec.cls))
    props = {k: v for k, v in spec.shape.props.items() if k not in _DROPPED.get(spec.path, ())}
    props.update(_NEW.get(spec.path, {}))
    own = _OWN_REFS.get(spec.path, spec.refs)
    return replace(
        spec,
        path=path,
        cls=cls,
        shape=Obj(props, required=_REQUIRED),
        refs=tuple(replace(r, target=_PATHS.get(r.target, r.target)) for r in own),
        api="v5",
        stored_kind=spec.kind,
        type_required=True,
        also_types=("Catalog",) if spec.path == "catalog" else (),
    )


ALL: tuple[TmfResource, ...] = tuple(_v5(spec) for spec in kinds.ALL)
BY_PATH: dict[str, TmfResource] = {spec.path: spec for spec in ALL}
CLASSES: frozenset[str] = frozenset(spec.cls for spec in ALL)
