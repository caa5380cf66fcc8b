"""Member-name styles: the standard `@type` names and Oracle's `atType` names, at any depth."""

from __future__ import annotations

import re
from typing import Any

from offer_catalog.errors import ValidationFailed

TO_STANDARD = {
    "atType": "@type",
    "atBaseType": "@baseType",
    "atSchemaLocation": "@schemaLocation",
    "atReferredType": "@referredType",
    "atValueSchemaLocation": "@valueSchemaLocation",
}
TO_ORACLE = {standard: oracle for oracle, standard in TO_STANDARD.items()}
_POINTER_NAME = re.compile(r"(?<=[/?&.])(" + "|".join(TO_STANDARD) + r")(?=[/?&.=]|$)")


def _rename(value: Any, names: dict[str, str], check: bool) -> Any:
    if isinstance(value, dict):
        if not any(k in names for k in value) and not any(isinstance(v, dict | list) for v in value.values()):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(names.get(key, key))
            renamed = _rename(item, names, check)
            if check and name in out and out[name] != renamed:
                raise ValidationFailed(
                    f"{key} and {name} are both given with different values",
                    code=f"duplicate_member:{name}",
                    details={"member": name},
                )
            out[name] = renamed
        return out
    if isinstance(value, list):
        return [_rename(item, names, check) for item in value]
    return value


def to_standard(value: Any) -> Any:
    """Input: Oracle's at-names become the standard @-names (both spellings accepted, new containers)."""
    return _rename(value, TO_STANDARD, True)


def to_oracle(value: Any) -> Any:
    """Output for an Oracle-style deployment: @-names become at-names."""
    return _rename(value, TO_ORACLE, False)


def standard_name(name: str) -> str:
    """One member name (a query attribute segment) in the standard style."""
    return TO_STANDARD.get(name, name)


def standard_pointer(path: str) -> str:
    """A JSON Pointer or patch-query path with at-name tokens rewritten to @-names."""
    if "at" not in path:
        return path
    return _POINTER_NAME.sub(lambda m: TO_STANDARD[str(m.group(1))], path)


def standard_patch(operations: Any) -> Any:
    """A JSON Patch (or patch-query) document with at-names rewritten in paths and values."""
    if not isinstance(operations, list):
        return operations
    out: list[Any] = []
    for op in operations:
        if isinstance(op, dict):
            op = {
                k: standard_pointer(v) if k in ("path", "from") and isinstance(v, str) else to_standard(v)
                for k, v in op.items()
            }
        out.append(op)
    return out
