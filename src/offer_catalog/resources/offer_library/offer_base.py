"""The members personalized and fallback offers share: representations, components, tags, status."""

from __future__ import annotations

from typing import Any

from offer_catalog.resources.dates import parse_date_time
from offer_catalog.resources.offer_library.lifecycle import OFFER_STATUSES
from offer_catalog.resources.offer_library.references import RefPath
from offer_catalog.resources.offer_library.spec import INSTANCE
from offer_catalog.resources.shapes import (
    Arr,
    MapOf,
    Obj,
    Problem,
    Shape,
    Str,
    child,
)

COMPONENT_TYPES = tuple(
    f"https://ns.adobe.com/experience/offer-management/content-component-{name}"
    for name in ("text", "html", "imagelink", "json")
)

COMPONENT = Obj(
    {
        "@type": Str(enum=COMPONENT_TYPES),
        "dc:format": Str(fmt="mime"),
        "dc:language": Arr(Str(fmt="language")),
        "repo:id": Str(),
        "repo:name": Str(),
        "repo:resolveURL": Str(fmt="uri"),
        "xdm:deliveryURL": Str(fmt="uri"),
        "xdm:linkURL": Str(fmt="uri"),
        "xdm:content": Str(),
        "xdm:copyline": Str(),
    },
    required=("@type", "dc:format"),
)

REPRESENTATION = Obj(
    {
        "xdm:channel": Str(fmt="uri"),
        "xdm:placement": Str(fmt="uri"),
        "xdm:components": Arr(COMPONENT),
    },
    required=("xdm:components", "xdm:channel", "xdm:placement"),
)

BASE_PROPS: dict[str, Shape] = {
    "xdm:name": Str(),
    "xdm:status": Str(enum=OFFER_STATUSES),
    "xdm:tags": Arr(Str(fmt="uri")),
    "xdm:representations": Arr(REPRESENTATION),
    "xdm:customMetadata": MapOf(Str()),
    "xdm:characteristics": MapOf(Str()),
}
BASE_REQUIRED = ("xdm:name", "xdm:status")

BASE_REFS = (
    RefPath(("xdm:representations", "xdm:placement"), ("offer-placement",)),
    RefPath(("xdm:tags",), ("tag",)),
)

SEARCH_FIELDS = (
    ("xdm:name",),
    ("xdm:status",),
    ("xdm:description",),
    ("xdm:representations", "xdm:components", "xdm:content"),
    ("xdm:representations", "xdm:components", "xdm:copyline"),
)


def one_representation_per_placement(instance: dict[str, Any]) -> list[Problem]:
    """An offer may not hold two representations for the same placement."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    base = child(INSTANCE, "xdm:representations")
    for index, rep in enumerate(instance.get("xdm:representations", [])):
        placement = rep["xdm:placement"]
        if placement in seen:
            problems.append(
                Problem(
                    child(child(base, index), "xdm:placement"),
                    "duplicate_placement",
                    f"representation {seen[placement]} already targets placement {placement}",
                )
            )
        else:
            seen[placement] = index
    return problems


def start_before_end(holder: dict[str, Any], pointer: str) -> list[Problem]:
    """xdm:startDate must come before xdm:endDate when both are present."""
    start, end = holder.get("xdm:startDate"), holder.get("xdm:endDate")
    if not isinstance(start, str) or not isinstance(end, str):
        return []
    begins, ends = parse_date_time(start), parse_date_time(end)
    if begins is not None and ends is not None and not begins < ends:
        return [Problem(child(pointer, "xdm:endDate"), "date_order", "endDate must be after startDate")]
    return []
