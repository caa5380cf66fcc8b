"""The rules of a TMF620 resource body: defaults, server-managed members, types, dates, lifecycle, @type."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import orjson

from offer_catalog.errors import ValidationFailed
from offer_catalog.tmf620.lifecycle import DEFAULT_STATE, canonical_state, check_transition
from offer_catalog.tmf620.schema import MEMBER_TYPES, REF_REQUIRED, REQUIRED_ON_CREATE, RESOURCE_CLASSES

DEFAULT_VERSION = "1.0"
# Members the server sets; a patch may not change them and a create cannot choose them (except id).
SERVER_MANAGED = ("id", "href", "lastUpdate")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_SCALARS: dict[str, tuple[type, ...]] = {"str": (str,), "bool": (bool,), "num": (int, float), "int": (int,)}
_TYPE_WORDS = {"str": "a string", "bool": "a boolean", "num": "a number", "int": "an integer"}


def _fail(kind: str, member: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=f"{kind}:{member}", details={"member": member})


def parse_datetime(value: object, member: str) -> datetime:
    """An RFC 3339 date-time with an offset, or ValidationFailed naming the member."""
    if not isinstance(value, str):
        raise _fail("invalid_type", member, f"{member} must be an RFC 3339 date-time string")
    if not _RFC3339.fullmatch(value):
        raise _fail("invalid_value", member, f"{member} {value!r} is not an RFC 3339 date-time")
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        raise _fail("invalid_value", member, f"{member} {value!r} is not a valid date-time") from None


def _check_value(code: str, value: Any, member: str) -> None:
    if code in _SCALARS:
        ok = isinstance(value, _SCALARS[code]) and (code == "bool" or not isinstance(value, bool))
        if not ok:
            raise _fail("invalid_type", member, f"{member} must be {_TYPE_WORDS[code]}")
    elif code == "datetime":
        parse_datetime(value, member)
    elif code.startswith("["):
        if not isinstance(value, list):
            raise _fail("invalid_type", member, f"{member} must be an array")
        for index, item in enumerate(value):
            _check_value(code[1:-1], item, f"{member}[{index}]")
    elif not isinstance(value, dict):
        raise _fail("invalid_type", member, f"{member} must be an object")
    elif code in MEMBER_TYPES:
        _check_members(code, value, member + ".")


def _check_members(definition: str, body: dict[str, Any], prefix: str = "") -> None:
    for name, code in MEMBER_TYPES[definition].items():
        if body.get(name) is not None:
            _check_value(code, body[name], prefix + name)
    for name, required in REF_REQUIRED.get(definition, {}).items():
        value = body.get(name)
        refs = enumerate(value) if isinstance(value, list) else [(None, value)] if value is not None else []
        for index, ref in refs:
            where = prefix + name + ("" if index is None else f"[{index}]")
            for member in required:
                if ref.get(member) is None:
                    raise _fail("required", f"{where}.{member}", f"{where}.{member} is required")


def without_nulls(value: Any) -> Any:
    """The value with every object member whose value is null left out (null means "absent" here).

    Stored and served resources never hold a null member: a client generated from the specification,
    whose members are not nullable, could not read them.
    """
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def _check_period(body: dict[str, Any]) -> None:
    period = body.get("validFor")
    if not isinstance(period, dict):
        return
    start, end = period.get("startDateTime"), period.get("endDateTime")
    if start is None or end is None:
        return
    if parse_datetime(start, "validFor.startDateTime") > parse_datetime(end, "validFor.endDateTime"):
        raise _fail(
            "invalid_period",
            "validFor",
            f"validFor.startDateTime {start!r} is after validFor.endDateTime {end!r}",
        )


def base_type(cls: str, body: dict[str, Any]) -> str:
    """The base class a body declares: its @baseType, else the resource class itself."""
    declared = body.get("@baseType")
    return declared if isinstance(declared, str) and declared else cls


def _check_type(cls: str, body: dict[str, Any], previous: dict[str, Any] | None) -> None:
    kind = body["@type"]
    if not isinstance(kind, str) or not kind.strip():
        raise _fail("invalid_value", "@type", "@type must be a non-empty string")
    if kind != cls and kind in RESOURCE_CLASSES:
        raise _fail("invalid_value", "@type", f"@type {kind!r} is another resource; this resource is a {cls}")
    if previous is not None and base_type(cls, body) != base_type(cls, previous):
        raise _fail(
            "not_patchable",
            "@baseType",
            f"@baseType cannot change from {base_type(cls, previous)!r} to {base_type(cls, body)!r}",
        )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in k or _has_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_nul(v) for v in value)


def prepare(cls: str, body: Any, previous: dict[str, Any] | None, now: str) -> dict[str, Any]:
    """The body to store for a create (previous None) or an update; ValidationFailed/LifecycleViolation."""
    if not isinstance(body, dict):
        raise ValidationFailed("the resource must be a JSON object", code="invalid_body")
    result = {k: v for k, v in without_nulls(body).items() if k not in SERVER_MANAGED}
    if previous is None:
        result.setdefault("lifecycleStatus", DEFAULT_STATE)
        result.setdefault("version", DEFAULT_VERSION)
        result.setdefault("@type", cls)
        for member in REQUIRED_ON_CREATE[cls]:
            if member not in result or result[member] is None:
                raise _fail("required", member, f"{member} is required")
    for member in ("name", "lifecycleStatus", "@type"):
        if result.get(member) is None:
            raise _fail("required", member, f"{member} is required and cannot be removed")
    if result["@type"] != cls and result.get("@baseType") is None:
        result["@baseType"] = cls
    _check_type(cls, result, previous)
    _check_members(cls, result)
    if isinstance(result["name"], str) and not result["name"].strip():
        raise _fail("invalid_value", "name", "name must not be empty")
    _check_period(result)
    result["lifecycleStatus"] = canonical_state(result["lifecycleStatus"])
    if previous is not None:
        check_transition(previous.get("lifecycleStatus", ""), result["lifecycleStatus"])
    if b"\\u0000" in orjson.dumps(result) and _has_nul(result):
        # PostgreSQL cannot store NUL in text or jsonb; refuse it on every store alike.
        raise ValidationFailed("the resource may not contain NUL characters", code="invalid_value")
    result["lastUpdate"] = now
    return result
