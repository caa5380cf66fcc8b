"""The runtime API's views of a compiled snapshot, in the shapes Adobe's runtime tutorial documents.

- `activity_offers`: `GET /data/core/ode/{container}/offers?activityId=…` — per activity, the offers
  it can propose (approved, valid, selected by its collection or list, with a representation for a
  placement of the activity, and a selection window that is not empty) and its fallback offer.
- `operations`: `GET /data/core/ode/{container}/diagnostics` — `xdm:operations` with the last
  compilation's date and its problems, split into the offer catalog and the activities.
- `legacy_scopes`: the older request shape names activities only (`xdm:offerActivities`); each
  becomes one scope per placement the activity serves, in the order its criteria list them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from offer_catalog.decisioning.model import Activity, Diagnostic, Offer, Snapshot
from offer_catalog.decisioning.request import DecisionRequest, DecisionRequestError, Scope

XCORE: Final = "/data/core/xcore"
ACTIVITY_PREFIX: Final = "xcore:offer-activity:"
MAX_ACTIVITIES: Final = 30


def proposable(offer: Offer, placements: Sequence[str]) -> bool:
    """An offer the runtime may propose for one of placements (capping and rules aside)."""
    return (
        offer.approved
        and offer.valid
        and offer.start <= offer.end
        and any(placement in offer.representations for placement in placements)
    )


def activity_offer_ids(activity: Activity) -> list[str]:
    """The offers an activity's criteria select that it may propose, in first-seen order."""
    placements = list(activity.scopes)
    seen: dict[str, Offer] = {}
    for plan in activity.scopes.values():
        for group in plan.groups:
            for entry in group.entries:
                seen.setdefault(entry.offer.id, entry.offer)
    return [ident for ident, offer in seen.items() if proposable(offer, placements)]


def _ref(ident: str, etag: int, container_id: str, instance_ids: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"@id": ident}
    if ident in instance_ids:
        out["_links"] = {"self": {"href": f"{XCORE}/{container_id}/instances/{instance_ids[ident]}"}}
    out["repo:etag"] = str(etag)
    return out


def activity_offers(
    snapshot: Snapshot, activity_ids: Sequence[str], container_id: str, instance_ids: Mapping[str, str]
) -> dict[str, Any]:
    """The `xdm:activityOffers` body for the given activities (all known to the snapshot)."""
    out = []
    for ident in activity_ids:
        activity = snapshot.activities[ident]
        item: dict[str, Any] = {
            "xdm:offerActivity": _ref(ident, activity.etag, container_id, instance_ids),
            "xdm:offers": [
                _ref(offer, snapshot.offers[offer].etag, container_id, instance_ids)
                for offer in activity_offer_ids(activity)
            ],
        }
        fallback = snapshot.fallbacks.get(activity.fallback_id or "")
        if fallback is not None:
            item["xdm:fallbackOffer"] = _ref(fallback.id, fallback.etag, container_id, instance_ids)
        out.append(item)
    return {"xdm:activityOffers": out}


def referenced_ids(snapshot: Snapshot, activity_ids: Sequence[str]) -> list[str]:
    """Every @id `activity_offers` names (to look their instanceIds up)."""
    ids: list[str] = []
    for ident in activity_ids:
        activity = snapshot.activities[ident]
        ids.append(ident)
        ids.extend(activity_offer_ids(activity))
        if activity.fallback_id:
            ids.append(activity.fallback_id)
    return list(dict.fromkeys(ids))


def requested_activities(values: Sequence[str], snapshot: Snapshot) -> list[str]:
    """The `activityId` parameters (one @id each, repeated, spaces around it stripped), checked: 1 to 30
    known activities."""
    if not values:
        raise DecisionRequestError("invalid_request", "activityId is required", pointer="activityId")
    if any(not value for value in values):
        raise DecisionRequestError("invalid_request", "an activityId is blank", pointer="activityId")
    if len(values) > MAX_ACTIVITIES:
        raise DecisionRequestError(
            "too_many_scopes", f"at most {MAX_ACTIVITIES} activities per request", pointer="activityId"
        )
    ids = list(dict.fromkeys(values))
    for ident in ids:
        if ident not in snapshot.activities:
            raise DecisionRequestError("unknown_activity", f"no activity {ident!r}", pointer="activityId")
    return ids


def _error(diagnostic: Diagnostic) -> dict[str, str]:
    return {"@id": diagnostic.id, "code": diagnostic.code, "message": diagnostic.message}


def operations(diagnostics: Sequence[Diagnostic], built_at: str) -> dict[str, Any]:
    """The documented `xdm:operations` body: the catalog's and the activities' last update."""
    activities = [_error(d) for d in diagnostics if d.id.startswith(ACTIVITY_PREFIX)]
    catalog = [_error(d) for d in diagnostics if not d.id.startswith(ACTIVITY_PREFIX)]
    return {
        "xdm:operations": {
            "xdm:offerCatalogUpdate": {"xdm:date": built_at, "xdm:errors": catalog},
            "xdm:activitiesUpdate": {"xdm:date": built_at, "xdm:errors": activities},
        }
    }


def legacy_scopes(snapshot: Snapshot, activity_ids: Sequence[str]) -> tuple[Scope, ...]:
    """One scope (one item) per placement of each activity of an older-shape request."""
    scopes: list[Scope] = []
    for index, ident in enumerate(activity_ids):
        activity = snapshot.activities.get(ident)
        pointer = f"/xdm:offerActivities/{index}/xdm:offerActivity"
        if activity is None:
            raise DecisionRequestError("unknown_activity", f"no activity {ident!r}", pointer=pointer)
        if not activity.scopes:
            raise DecisionRequestError(
                "placement_not_in_activity", "the activity targets no placement", pointer=pointer
            )
        scopes.extend(Scope(ident, placement, 1) for placement in activity.scopes)
    return tuple(scopes)


def legacy_error(request: DecisionRequest, error: DecisionRequestError) -> DecisionRequestError:
    """The error with its pointer into an older-shape body (`/xdm:offerActivities/{i}/…`)."""
    prefix = "/xdm:propositionRequests/"
    if not request.legacy_activities or not error.pointer.startswith(prefix):
        return error
    index = error.pointer[len(prefix) :].split("/", 1)[0]
    if not index.isdigit() or int(index) >= len(request.scopes):
        return error
    activity = request.legacy_activities.index(request.scopes[int(index)].activity_id)
    pointer = f"/xdm:offerActivities/{activity}/xdm:offerActivity"
    return DecisionRequestError(error.code, error.message, pointer=pointer)
