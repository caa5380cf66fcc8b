"""Validate a decision request body (plain dicts, section 3.2 of the reference) into typed data.

Field names are read with their `xdm:` prefix, or without it. Errors raise `DecisionRequestError`
with a stable `code` and a JSON `pointer` to the offending member.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

MAX_ITEMS_PER_SCOPE: Final = 30
MAX_SCOPES: Final = 30
MAX_ITEMS: Final = 100


class DecisionRequestError(ValueError):
    """A decision request that cannot be served; `code` is stable, `pointer` locates the problem.

    Codes: `invalid_request` (shape/type), `invalid_item_count`, `too_many_scopes`, `too_many_items`,
    `missing_identity` (HTTP 400); `unknown_activity`, `unknown_placement`, `activity_not_live`,
    `placement_not_in_activity`, `fallback_not_found` (HTTP 422).
    """

    def __init__(self, code: str, message: str, *, pointer: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.pointer = pointer


@dataclass(frozen=True, slots=True)
class Scope:
    """One proposition request: an (activity, placement) pair and how many options it wants."""

    activity_id: str
    placement_id: str
    item_count: int


@dataclass(frozen=True, slots=True)
class Profile:
    """One profile to decide for: its identity (first of the identity map), attributes and context."""

    namespace: str
    identity: str
    data: Mapping[str, Any]
    context: tuple[Mapping[str, Any], ...]
    request_id: str | None


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """A validated decision request; `across_*` are None when the request leaves them to defaults."""

    scopes: tuple[Scope, ...]
    profiles: tuple[Profile, ...]
    across_activities: bool | None = None
    across_placements: bool | None = None
    include_content: bool = False
    activity_metadata: tuple[str, ...] = ()
    option_metadata: tuple[str, ...] = ()
    placement_metadata: tuple[str, ...] = ()
    dry_run: bool = False
    explain: bool = False  # add an `explanation` of every candidate to each response (explain.py)
    # The older (2019 runtime) shape names activities only (`xdm:offerActivities`): `scopes` is empty
    # until the container's snapshot gives each activity's placements (runtime_views.legacy_scopes).
    legacy_activities: tuple[str, ...] = ()


def _get(body: Mapping[str, Any], name: str) -> Any:
    value = body.get("xdm:" + name)
    return body.get(name) if value is None else value


def _fail(pointer: str, message: str, code: str = "invalid_request") -> DecisionRequestError:
    return DecisionRequestError(code, message, pointer=pointer)


def _typed(
    body: Mapping[str, Any], name: str, kind: type | tuple[type, ...], pointer: str, default: Any
) -> Any:
    value = _get(body, name)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise _fail(f"{pointer}/xdm:{name}", f"xdm:{name} has the wrong type")
    return value


def parse_request(body: Any) -> DecisionRequest:
    """Validate a decision request body; raise `DecisionRequestError` on the first problem."""
    if not isinstance(body, Mapping):
        raise _fail("", "the request body must be an object")
    if _get(body, "offerActivities") is not None and _get(body, "propositionRequests") is None:
        return _legacy_request(body)
    raw_scopes = _typed(body, "propositionRequests", list, "", None)
    if not raw_scopes:
        raise _fail("/xdm:propositionRequests", "at least one proposition request is required")
    if len(raw_scopes) > MAX_SCOPES:
        raise _fail(
            "/xdm:propositionRequests", f"at most {MAX_SCOPES} proposition requests", "too_many_scopes"
        )
    scopes = _within_total(
        [_scope(item, f"/xdm:propositionRequests/{i}") for i, item in enumerate(raw_scopes)]
    )
    raw_profiles = _typed(body, "profiles", list, "", None)
    if not raw_profiles:
        raise _fail("/xdm:profiles", "at least one profile is required")
    profiles = tuple(_profile(item, f"/xdm:profiles/{i}") for i, item in enumerate(raw_profiles))
    return _options(body, scopes, profiles)


def _options(
    body: Mapping[str, Any], scopes: tuple[Scope, ...], profiles: tuple[Profile, ...], **extra: Any
) -> DecisionRequest:
    dup = _typed(body, "allowDuplicatePropositions", Mapping, "", {})
    fmt = _typed(body, "responseFormat", Mapping, "", {})
    meta = _typed(fmt, "includeMetadata", Mapping, "/xdm:responseFormat", {})
    _typed(body, "validateContextData", bool, "", False)  # accepted; context data is read as sent
    return DecisionRequest(
        scopes=scopes,
        profiles=profiles,
        across_activities=_typed(dup, "acrossActivities", bool, "/xdm:allowDuplicatePropositions", None),
        across_placements=_typed(dup, "acrossPlacements", bool, "/xdm:allowDuplicatePropositions", None),
        include_content=_typed(fmt, "includeContent", bool, "/xdm:responseFormat", False),
        activity_metadata=_names(meta, "activity"),
        option_metadata=_names(meta, "option"),
        placement_metadata=_names(meta, "placement"),
        dry_run=_typed(body, "dryRun", bool, "", False),
        explain=_typed(body, "explain", bool, "", False),
        **extra,
    )


def _legacy_request(body: Mapping[str, Any]) -> DecisionRequest:
    """The older runtime shape: `xdm:offerActivities[{xdm:offerActivity}]` and one top-level profile
    (`xdm:identityMap`, `xdm:contextData`, optional `xdm:profileData` / `xdm:decisionRequestId`)."""
    raw = _typed(body, "offerActivities", list, "", None)
    if not raw:
        raise _fail("/xdm:offerActivities", "at least one offer activity is required")
    if len(raw) > MAX_SCOPES:
        raise _fail("/xdm:offerActivities", f"at most {MAX_SCOPES} offer activities", "too_many_scopes")
    activities: list[str] = []
    for index, item in enumerate(raw):
        pointer = f"/xdm:offerActivities/{index}"
        ident = _typed(item, "offerActivity", str, pointer, None) if isinstance(item, Mapping) else None
        if not ident:
            raise _fail(pointer, "each item needs xdm:offerActivity, the activity's @id")
        activities.append(ident)
    profile = _profile(body, "")
    return _options(body, (), (profile,), legacy_activities=tuple(activities))


def _within_total(scopes: list[Scope]) -> tuple[Scope, ...]:
    """The scopes within Adobe's guardrail of 100 items in total: later ones ask fewer, one at least.

    `xdm:itemCount` is the most a scope may hold, so a request past the guardrail (which no schema
    can state: it is a sum) is served, not refused.
    """
    out: list[Scope] = []
    left = MAX_ITEMS
    for index, scope in enumerate(scopes):
        count = min(scope.item_count, left - (len(scopes) - index - 1))
        out.append(
            scope if count == scope.item_count else Scope(scope.activity_id, scope.placement_id, count)
        )
        left -= count
    return tuple(out)


def _scope(item: Any, pointer: str) -> Scope:
    if not isinstance(item, Mapping):
        raise _fail(pointer, "a proposition request must be an object")
    activity = _typed(item, "activityId", str, pointer, None)
    placement = _typed(item, "placementId", str, pointer, None)
    if not activity or not placement:
        raise _fail(pointer, "xdm:activityId and xdm:placementId are required")
    raw_count = _get(item, "itemCount")
    if isinstance(raw_count, float) and raw_count.is_integer():
        count = int(raw_count)  # JSON has one number type: 16.0 is 16, as the schema's `integer` reads it
    else:
        count = _typed(item, "itemCount", int, pointer, 1)
    if not 1 <= count <= MAX_ITEMS_PER_SCOPE:
        raise _fail(
            f"{pointer}/xdm:itemCount", f"itemCount must be 1..{MAX_ITEMS_PER_SCOPE}", "invalid_item_count"
        )
    return Scope(activity, placement, count)


def parse_profile(item: Any, pointer: str = "/xdm:profiles/0") -> Profile:
    """Validate one request profile (batch decisioning reads one per line); DecisionRequestError."""
    return _profile(item, pointer)


def _profile(item: Any, pointer: str) -> Profile:
    if not isinstance(item, Mapping):
        raise _fail(pointer, "a profile must be an object")
    identity_map = _typed(item, "identityMap", Mapping, pointer, {})
    namespace, identity = _first_identity(identity_map)
    if identity is None:
        raise _fail(
            f"{pointer}/xdm:identityMap", "the profile needs at least one identity", "missing_identity"
        )
    data = _typed(item, "profileData", Mapping, pointer, {})
    context = _typed(item, "contextData", list, pointer, [])
    for i, entry in enumerate(context):
        if not isinstance(entry, Mapping):
            raise _fail(f"{pointer}/xdm:contextData/{i}", "a context data entry must be an object")
    request_id = _typed(item, "decisionRequestId", str, pointer, None)
    return Profile(namespace, identity, data, tuple(context), request_id)


def _first_identity(identity_map: Mapping[str, Any]) -> tuple[str, str | None]:
    for namespace, identities in identity_map.items():
        for entry in identities if isinstance(identities, list) else [identities]:
            value = _get(entry, "id") if isinstance(entry, Mapping) else None
            if isinstance(value, str) and value:
                return namespace, value
    return "", None


def _names(meta: Mapping[str, Any], name: str) -> tuple[str, ...]:
    values = _typed(meta, name, list, "/xdm:responseFormat/xdm:includeMetadata", [])
    return tuple(v.removeprefix("xdm:") for v in values if isinstance(v, str))
