"""Placement: where offers show (channel and content component type)."""

from __future__ import annotations

from offer_catalog.resources.offer_library.offer_base import COMPONENT_TYPES
from offer_catalog.resources.offer_library.spec import KindSpec
from offer_catalog.resources.shapes import Arr, Obj, Str

SHAPE = Obj(
    {
        "xdm:name": Str(),
        "xdm:description": Str(),
        "xdm:channel": Str(fmt="uri"),
        "xdm:componentType": Str(enum=COMPONENT_TYPES),
        "xdm:contentTypes": Arr(Str(fmt="mime")),
    },
    required=("xdm:name", "xdm:channel", "xdm:componentType"),
)

SPEC = KindSpec(
    name="offer-placement",
    version="0.4",
    title="Placement",
    shape=SHAPE,
    search_fields=(("xdm:name",), ("xdm:description",), ("xdm:channel",), ("xdm:componentType",)),
)
