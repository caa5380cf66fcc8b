"""What a write may carry, as JSON Schema: the limits every API's JSON body reader applies.

`writable` narrows a schema to what the request kit accepts (http/body.py, patch/strict_json.py):
strings without NUL, numbers within 64 bits, and any member the schema does not name as an
`Extension` (any such JSON value). Use it for request bodies; answers keep the plain schemas.
"""

from __future__ import annotations

from typing import Any

from offer_catalog.openapi.declare import matching, ref

NO_NUL = "^[^\\x00]*$"
_INT64 = {"minimum": -(2**63), "maximum": 2**63 - 1}


def writable(schema: Any) -> Any:
    """The schema narrowed to what a write takes (recursively through properties and items)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            out[key] = writable(schema[key])
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            out[key] = [writable(option) for option in schema[key]]
    if "properties" in schema:
        out["properties"] = {name: writable(member) for name, member in schema["properties"].items()}
    kind = out.get("type")
    if kind == "string" and not {"enum", "format", "pattern"} & set(out):
        out["pattern"] = NO_NUL
    elif kind == "integer":
        # A number may be a float of any size; an integer beyond 64 bits is refused (number_out_of_range),
        # which a bound on `number` cannot state: JSON Schema reads 1e300 as an integer too.
        out = {**_INT64, **out}
    elif kind == "object":
        out.setdefault("additionalProperties", ref("Extension"))
        out.setdefault("propertyNames", {"pattern": NO_NUL})
    return out


def extension() -> dict[str, Any]:
    """The `Extension` component: any JSON value a write may carry where a schema names no member."""
    member = ref("Extension")
    return {
        "anyOf": [
            matching(NO_NUL),
            {"type": "number"},
            {"type": ["boolean", "null"]},
            {"type": "array", "items": member},
            {"type": "object", "additionalProperties": member, "propertyNames": {"pattern": NO_NUL}},
        ],
        "description": "Strings without NUL, numbers (an integer within 64 bits), a body at most 64 levels "
        "deep by default",
    }


# JSON Patch (RFC 6902) operations by what each needs besides op and path.
_PATCH_OPS = ((("add", "replace", "test"), "value"), (("remove",), None), (("move", "copy"), "from"))


POINTER = r"^(/([^~/\x00]|~[01])*)+$"
"""A JSON Pointer (RFC 6901) to a member: `~` only as `~0` or `~1`, no NUL."""
_NAME, _VALUE = r"[^=&/.\x00]+", r"[^&/\x00]*"
_CONDITION = rf"{_NAME}(\.{_NAME})*={_VALUE}"
QUERY_POINTER = rf"^(/([^~/?\x00]|~[01])*(\?{_CONDITION}(&{_CONDITION})*)?)+$"
"""A JSON Patch Query path (TMF630, patch/patch_query.py): a pointer whose tokens may end in
`?member.path=value&...` (the first `?` of a token starts its query)."""


def json_patch_operation(paths: str = "", pattern: str = POINTER) -> dict[str, Any]:
    """One JSON Patch operation: its op, its path (`pattern`; `paths`: more about them) and what it needs."""
    pointer = {
        "type": "string",
        "pattern": pattern,
        "description": "JSON Pointer" + (f"; {paths}" if paths else ""),
    }
    options = []
    for ops, needs in _PATCH_OPS:
        properties: dict[str, Any] = {"op": {"type": "string", "enum": list(ops)}, "path": pointer}
        if needs is not None:
            properties[needs] = pointer if needs == "from" else ref("Extension")
        options.append(writable({"type": "object", "required": list(properties), "properties": properties}))
    return {"oneOf": options}
