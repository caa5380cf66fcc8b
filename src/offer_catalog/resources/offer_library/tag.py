"""Tag (collection qualifier): a name offers carry and collections select on; names are unique."""

from __future__ import annotations

from offer_catalog.resources.offer_library.spec import KindSpec
from offer_catalog.resources.shapes import Obj, Str

SHAPE = Obj({"xdm:name": Str(min_length=1)}, required=("xdm:name",))

SPEC = KindSpec(
    name="tag",
    version="0.1",
    title="Collection qualifier (tag)",
    shape=SHAPE,
    unique_name=True,
)
