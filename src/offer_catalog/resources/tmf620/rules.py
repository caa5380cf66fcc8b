"""The rules every TMF620 resource body follows, over its declaration: defaults, server-managed members,
`@type`, member shapes, the validity period, the lifecycle."""

from __future__ import annotations

from typing import Any

import orjson

from offer_catalog.errors import LifecycleViolation, ValidationFailed
from offer_catalog.resources.dates import parse_date_time
from offer_catalog.resources.tmf620 import nested
from offer_catalog.resources.tmf620.kinds import CLASSES
from offer_catalog.resources.tmf620.spec import TmfResource
from offer_catalog.resources.tmf620.v5 import CLASSES as V5_CLASSES
from offer_catalog.resources.tmf620.v5 import nested as v5_nested
from offer_catalog.resources.uris import is_uri

Types = tuple[dict[str, dict[str, str]], dict[str, tuple[str, ...]]]
# Per release: the member types of its definitions and the members nested values require.
TYPES: dict[str, Types] = {
    "v4": (nested.DEFINITIONS, nested.REQUIRED),
    "v5": (v5_nested.DEFINITIONS, v5_nested.REQUIRED),
}
RELEASE_CLASSES = {"v4": CLASSES, "v5": V5_CLASSES}

# Members the server sets; a patch may not change them and a create cannot choose them (except id).
SERVER_MANAGED = ("id", "href", "lastUpdate")
_SCALARS: dict[str, tuple[type, ...]] = {"str": (str,), "bool": (bool,), "num": (int, float), "int": (int,)}
_TYPE_WORDS = {"str": "a string", "bool": "a boolean", "num": "a number", "int": "an integer"}


def _fail(kind: str, member: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=f"{kind}:{member}", details={"member": member})


def without_nulls(value: Any) -> Any:
    """The value with every object member whose value is null left out (null means "absent" here).

    Stored and served resources never hold a null member: a client generated from the specification,
    whose members are not nullable, could not read them. An object or array holding no null member
    is returned itself, not copied (a write mostly leaves the stored body's objects as they were).
    """
    return _copy_without_nulls(value) if _has_null_member(value) else value


def _copy_without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_copy_without_nulls(v) for v in value]
    return value


def _has_null_member(value: Any) -> bool:
    """Whether an object in value has a member whose value is null (a null array element is kept)."""
    if isinstance(value, dict):
        return any(v is None or _has_null_member(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_null_member(v) for v in value)
    return False


_ANY = frozenset({"Any", "any"})
"""Member type codes of any JSON value (v4's `Any` definition, an untyped v5 member)."""


def declared_null(code: str, value: Any, member: str = "", types: Types = TYPES["v4"]) -> str | None:
    """The path of the first `null` the definition `code` does not allow in value: a declared member
    or an element of a declared array (`validFor`, `category[1].name`); None if there is none.

    No member of the specification is nullable but one it types as any value (v4's `Any`, an untyped
    v5 member: JSON's null is one); a member it does not declare may hold anything."""
    if code.startswith("[") and isinstance(value, list):
        for index, item in enumerate(value):
            at = f"{member}[{index}]"
            found = (
                at if item is None and code[1:-1] not in _ANY else declared_null(code[1:-1], item, at, types)
            )
            if found is not None:
                return found
    elif code in types[0] and isinstance(value, dict):
        for name, inner in types[0][code].items():
            if name in value:
                at = f"{member}.{name}" if member else name
                missing = value[name] is None and inner not in _ANY
                found = at if missing else declared_null(inner, value[name], at, types)
                if found is not None:
                    return found
    return None


def _check_nested(code: str, value: Any, member: str, types: Types = TYPES["v4"]) -> None:
    """A value against a definition's member type (`nested.DEFINITIONS` of its release), at every depth."""
    if code.startswith("["):
        if not isinstance(value, list):
            raise _fail("invalid_type", member, f"{member} must be an array")
        for index, item in enumerate(value):
            if item is not None:
                _check_nested(code[1:-1], item, f"{member}[{index}]", types)
    elif code == "uri":
        if not isinstance(value, str) or not is_uri(value):
            raise _fail("invalid_value", member, f"{member} must be an absolute URI")
    elif code == "datetime":
        if not isinstance(value, str):
            raise _fail("invalid_type", member, f"{member} must be an RFC 3339 date-time string")
        if parse_date_time(value) is None:
            raise _fail("invalid_value", member, f"{member} must be an RFC 3339 date-time")
    elif code in _SCALARS:
        if isinstance(value, bool) != (code == "bool") or not isinstance(value, _SCALARS[code]):
            raise _fail("invalid_type", member, f"{member} must be {_TYPE_WORDS[code]}")
    elif code in types[0] and code != "Any":
        if not isinstance(value, dict):
            raise _fail("invalid_type", member, f"{member} must be an object")
        _check_definition(code, value, member + ".", types)


def _check_definition(
    definition: str, body: dict[str, Any], prefix: str = "", types: Types = TYPES["v4"]
) -> None:
    """Every member of a body against its definition, and the members the definition requires."""
    for name, code in types[0][definition].items():
        if body.get(name) is not None:
            _check_nested(code, body[name], prefix + name, types)
    for name in types[1].get(definition, ()):
        if body.get(name) is None:
            raise _fail("required", prefix + name, f"{prefix}{name} is required")


def check_carried(cls: str, body: dict[str, Any], prefix: str, types: Types = TYPES["v4"]) -> None:
    """A resource another catalog sends (an event's payload) against its release's definition, at
    every depth, with no null member it declares; ValidationFailed naming the member after `prefix`."""
    if (member := declared_null(cls, body, "", types)) is not None:
        raise _fail("invalid_type", prefix + member, f"{prefix}{member} may not be null")
    if cls in types[0]:
        _check_definition(cls, without_nulls(body), prefix, types)


def _check_period(body: dict[str, Any]) -> None:
    period = body.get("validFor")
    if not isinstance(period, dict):
        return
    start, end = period.get("startDateTime"), period.get("endDateTime")
    if not isinstance(start, str) or not isinstance(end, str):
        return
    begins, ends = parse_date_time(start), parse_date_time(end)
    if begins is not None and ends is not None and begins > ends:
        raise _fail(
            "invalid_period",
            "validFor",
            f"validFor.startDateTime {start!r} is after validFor.endDateTime {end!r}",
        )


def base_type(cls: str, body: dict[str, Any]) -> str:
    """The base class a body declares: its @baseType, else the resource class itself."""
    declared = body.get("@baseType")
    return declared if isinstance(declared, str) and declared else cls


def _check_type(resource: TmfResource, body: dict[str, Any], previous: dict[str, Any] | None) -> None:
    cls, kind = resource.cls, body["@type"]
    if not isinstance(kind, str):
        raise _fail("invalid_type", "@type", "@type must be a string")
    if kind != cls and kind in RELEASE_CLASSES[resource.api] and kind not in resource.also_types:
        raise _fail("invalid_value", "@type", f"@type {kind!r} is another resource; this resource is a {cls}")
    if previous is not None and base_type(cls, body) != base_type(cls, previous):
        # The request is well formed; the resource's current class forbids it: a conflict (409).
        raise LifecycleViolation(
            f"@baseType cannot change from {base_type(cls, previous)!r} to {base_type(cls, body)!r}",
            code="not_patchable:@baseType",
            details={"member": "@baseType"},
        )


def _state(resource: TmfResource, value: Any, previous: dict[str, Any] | None) -> str:
    """The lifecycle state as declared; ValidationFailed (unknown) or LifecycleViolation (move refused)."""
    lifecycle = resource.lifecycle
    member = lifecycle.member
    state = lifecycle.spelled(value) if isinstance(value, str) else None
    if state is None:
        raise ValidationFailed(
            f"{member} {value!r} is not one of: {', '.join(lifecycle.statuses)}",
            code=f"invalid_value:{member}",
            details={"member": member, "allowed": list(lifecycle.statuses)},
        )
    stored = previous.get(member) if previous is not None else None
    # A state stored in another spelling (or before the deployment dropped an extra state) still counts.
    current = lifecycle.spelled(stored) or stored if isinstance(stored, str) else None
    if current is None or current == state or current not in lifecycle.moves:
        return state
    allowed = lifecycle.allowed_from(current)
    if state in allowed:
        return state
    following = ", ".join(allowed) if allowed else f"none ({current} is a final state)"
    raise LifecycleViolation(
        f"{member} cannot change from {current!r} to {state!r}; allowed next states: {following}",
        code=f"invalid_transition:{member}",
        details={"member": member, "from": current, "to": state, "allowed": list(allowed)},
    )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in k or _has_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_nul(v) for v in value)


def prepare(resource: TmfResource, body: Any, previous: dict[str, Any] | None, now: str) -> dict[str, Any]:
    """The body to store for a create (previous None) or an update; ValidationFailed/LifecycleViolation."""
    if not isinstance(body, dict):
        raise ValidationFailed("the resource must be a JSON object", code="invalid_body")
    cls, status = resource.cls, resource.lifecycle.member
    # Server-managed members a client sends are replaced, but a malformed one is still refused.
    for member in ("id", "href"):
        if body.get(member) is not None and not isinstance(body[member], str):
            raise _fail("invalid_type", member, f"{member} must be a string")
    if body.get("lastUpdate") is not None:
        _check_nested("datetime", body["lastUpdate"], "lastUpdate")
    if previous is None and resource.type_required and body.get("@type") is None:
        # v5: every create names its class (`Extensible.required`); v4 defaults it to the resource's.
        raise _fail("required", "@type", "@type is required")
    if previous is None and (null_at := declared_null(cls, body, "", TYPES[resource.api])) is not None:
        # No member of the specification is nullable: a create holding a null is malformed (a merge
        # patch, whose null deletes a member, never reaches here with one). A null where the
        # specification declares nothing is left out like any null.
        if null_at in resource.shape.required:
            raise _fail("required", null_at, f"{null_at} is required")
        raise _fail("invalid_type", null_at, f"{null_at} may not be null")
    result = {k: v for k, v in without_nulls(body).items() if k not in SERVER_MANAGED}
    if result.get(status) == "":
        del result[status]  # blank: the default on create, the current state on update
        if previous is not None and status in previous:
            result[status] = previous[status]
    if previous is None:
        if resource.lifecycle.default is not None:
            result.setdefault(status, resource.lifecycle.default)
        result.setdefault("version", resource.default_version)
        result.setdefault("@type", cls)
        for member in resource.shape.required:
            if member not in result:
                raise _fail("required", member, f"{member} is required")
    for member in ("name", status, "@type"):
        if member not in result:
            raise _fail("required", member, f"{member} is required and cannot be removed")
    if isinstance(result["@type"], str) and not result["@type"].strip():
        result["@type"] = cls  # a blank class name is the resource's own class
    if result["@type"] != cls and result["@type"] not in resource.also_types and "@baseType" not in result:
        result["@baseType"] = cls
    _check_type(resource, result, previous)
    resource.check_members(result)
    # A member the write leaves as it was is not checked again: what another release stored under
    # its own rules (v5's any-string @schemaLocation, ...) does not block this release's writes.
    changed = result if previous is None else {k: v for k, v in result.items() if previous.get(k) != v}
    _check_definition(cls, changed, "", TYPES[resource.api])
    _check_period(result)
    result[status] = _state(resource, result[status], previous)
    if b"\\u0000" in orjson.dumps(result) and _has_nul(result):
        # PostgreSQL cannot store NUL in text or jsonb; refuse it on every store alike.
        raise ValidationFailed("the resource may not contain NUL characters", code="invalid_value")
    result["lastUpdate"] = now
    return result
