"""Resource shape declarations (Obj, Str, Arr, ...) rendered as JSON Schema by walking their members.

The walker reads the shapes' public attributes by class name, so it follows the shape classes wherever
they are declared; a shape class it does not know is asked for its own `json_schema()`, else it is any
JSON value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Schema = dict[str, Any]
Walker = Callable[[Any, Callable[[Any], Schema]], Schema]
_FORMATS = {"date-time": "date-time", "uri": "uri"}
_MIME = r"^\w+/[-.\w]+(?:\+[-.\w]+)?$"


def _string(shape: Any, inner: Callable[[Any], Schema]) -> Schema:
    schema: Schema = {"type": "string"}
    if shape.enum:
        schema["enum"] = list(shape.enum)
    fmt = getattr(shape, "fmt", None)
    if fmt in _FORMATS:
        schema["format"] = _FORMATS[fmt]
    elif fmt == "mime":
        schema["pattern"] = _MIME
    if getattr(shape, "max_length", None) is not None:
        schema["maxLength"] = shape.max_length
    if getattr(shape, "min_length", 0):
        schema["minLength"] = shape.min_length
    return schema


def _number(kind: str) -> Walker:
    def render(shape: Any, inner: Callable[[Any], Schema]) -> Schema:
        schema: Schema = {"type": kind}
        if getattr(shape, "minimum", None) is not None:
            schema["minimum"] = shape.minimum
        return schema

    return render


def _array(shape: Any, inner: Callable[[Any], Schema]) -> Schema:
    schema: Schema = {"type": "array", "items": inner(shape.items)}
    if getattr(shape, "min_items", 0):
        schema["minItems"] = shape.min_items
    return schema


def _object(shape: Any, inner: Callable[[Any], Schema]) -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": {name: inner(member) for name, member in shape.props.items()},
    }
    if shape.required:
        schema["required"] = list(shape.required)
    if getattr(shape, "forbidden", ()):
        schema["not"] = {"anyOf": [{"required": [name]} for name in shape.forbidden]}
    return schema


_WALKERS: dict[str, Walker] = {
    "Str": _string,
    "Int": _number("integer"),
    "Num": _number("number"),
    "Bool": lambda shape, inner: {"type": "boolean"},
    "AnyJson": lambda shape, inner: {"type": "object"} if shape.object_only else {},
    "Arr": _array,
    "MapOf": lambda shape, inner: {"type": "object", "additionalProperties": inner(shape.values)},
    "Obj": _object,
}


def json_schema(shape: Any, named: Mapping[str, Any] | None = None) -> Schema:
    """The JSON Schema of a shape and, recursively, of its members and items.

    `named`: component schemas by name; a member that *is* one of those shapes becomes a `$ref` to it.
    """
    if named:
        for name, component in named.items():
            if shape is component:
                return {"$ref": "#/components/schemas/" + name}
        return _walk(shape, lambda member: json_schema(member, named))
    return _walk(shape, json_schema)


def _walk(shape: Any, inner: Callable[[Any], Schema]) -> Schema:
    walker = _WALKERS.get(type(shape).__name__)
    if walker is not None:
        return walker(shape, inner)
    own = getattr(shape, "json_schema", None)
    return dict(own()) if callable(own) else {}
