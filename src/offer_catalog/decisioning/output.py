"""Build the wire shapes of a decision response (section 3.2 of the reference) from engine picks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offer_catalog.decisioning.model import Activity, FallbackOffer, Offer, Placement
from offer_catalog.decisioning.request import DecisionRequest


def _field(body: Mapping[str, Any], name: str) -> Any:
    value = body.get("xdm:" + name)
    return body.get(name) if value is None else value


def _metadata(target: dict[str, Any], body: Mapping[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name == "priority":
            rank = _field(body, "rank")
            value = _field(rank, "priority") if isinstance(rank, Mapping) else None
        else:
            value = _field(body, name)
        if value is not None:
            target["xdm:" + name] = value


def reference(item: Activity | Placement, names: tuple[str, ...]) -> dict[str, Any]:
    """`{"xdm:id", "repo:etag"}` of an activity or placement, plus the requested metadata."""
    out: dict[str, Any] = {"xdm:id": item.id, "repo:etag": item.etag}
    _metadata(out, item.body, names)
    return out


def option(
    offer: Offer | FallbackOffer, placement_id: str, request: DecisionRequest, score: float | None = None
) -> dict[str, Any]:
    """One proposed option (or the fallback): id, etag, metadata, content for the placement, score.

    Content is the first component of the offer's representation for the placement, flattened into
    the option (`@type`, `dc:format`, `xdm:content`, `xdm:deliveryURL`, `dc:language`, ...), as in the
    reference response; with several components all of them are also listed under `xdm:components`.
    """
    out: dict[str, Any] = {"xdm:id": offer.id, "repo:etag": offer.etag}
    _metadata(out, offer.body, request.option_metadata)
    if request.include_content:
        representation = offer.representations.get(placement_id)
        components = _field(representation, "components") if representation is not None else None
        if isinstance(components, list) and components:
            if isinstance(components[0], Mapping):
                out.update(components[0])
            if len(components) > 1:
                out["xdm:components"] = components
    if score is not None:
        out["xdm:score"] = score
    return out
