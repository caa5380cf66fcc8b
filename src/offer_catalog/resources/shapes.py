"""Declarative shapes of JSON values, shared by every API's resources: each reports every problem with its
JSON Pointer.

Unknown members are allowed (the XDM schemas are `meta:extensible`, TMF620 resources are extended by
subclassing); a shape covers the required members, types, enums, minimums, formats and members a
resource forbids. The shapes are frozen dataclasses whose attributes are public (members, required-ness,
types, enums, nested shapes), so tools may walk them; each also renders itself as JSON Schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from offer_catalog.patch.pointer import escape_token
from offer_catalog.resources.dates import parse_date_time
from offer_catalog.resources.uris import URI_PATTERN, is_uri


@dataclass(frozen=True, slots=True)
class Problem:
    """One rule an instance breaks: where (JSON Pointer into the HAL document), a stable code, why."""

    pointer: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The problem as a plain JSON object."""
        return {"path": self.pointer, "code": self.code, "message": self.message}


def child(pointer: str, token: str | int) -> str:
    """The pointer of a member or element below pointer."""
    return f"{pointer}/{escape_token(str(token))}"


class Shape(Protocol):
    """Something that checks a JSON value and describes itself as JSON Schema."""

    def check(self, value: Any, pointer: str, out: list[Problem]) -> None:
        """Append the problems of value (found at pointer) to out."""
        ...

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of this shape."""
        ...


_MIME = re.compile(r"^\w+/[-.\w]+(?:\+[-.\w]+)?$")
_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")


def _format_ok(fmt: str, value: str) -> bool:
    if fmt == "date-time":
        return parse_date_time(value) is not None
    if fmt == "uri":
        return is_uri(value)
    if fmt == "mime":
        return bool(_MIME.match(value))
    if fmt == "language":
        return bool(_LANGUAGE.match(value))
    return True


_JSON_FORMAT = {"date-time": "date-time", "uri": "uri"}


@dataclass(frozen=True, slots=True)
class Str:
    """A string, optionally from an enum, of a format (date-time, uri, mime, language), bounded."""

    enum: tuple[str, ...] = ()
    fmt: str | None = None
    max_length: int | None = None
    min_length: int = 0

    def check(self, value: Any, pointer: str, out: list[Problem]) -> None:
        if not isinstance(value, str):
            out.append(Problem(pointer, "type", "must be a string"))
        elif self.enum and value not in self.enum:
            out.append(Problem(pointer, "enum", f"must be one of {', '.join(self.enum)}"))
        elif self.fmt is not None and not _format_ok(self.fmt, value):
            out.append(Problem(pointer, "format", f"must be a valid {self.fmt}"))
        elif self.max_length is not None and len(value) > self.max_length:
            out.append(Problem(pointer, "max_length", f"must be at most {self.max_length} characters"))
        elif len(value) < self.min_length:
            out.append(Problem(pointer, "min_length", f"must be at least {self.min_length} characters"))

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if self.enum:
            schema["enum"] = list(self.enum)
        if self.fmt in _JSON_FORMAT:
            schema["format"] = _JSON_FORMAT[self.fmt]
        if self.fmt == "uri":
            # The service takes only an absolute URI where a schema says `format: uri`.
            schema["pattern"] = URI_PATTERN
        elif self.fmt == "mime":
            schema["pattern"] = _MIME.pattern
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.min_length:
            schema["minLength"] = self.min_length
        return schema


@dataclass(frozen=True, slots=True)
class Int:
    """A JSON integer (not a boolean, not 1.0), optionally with a minimum."""

    minimum: int | None = None

    def check(self, value: Any, pointer: str, out: list[Problem]) -> None:
        if type(value) is not int:
            out.append(Problem(pointer, "type", "must be an integer"))
        elif self.minimum is not None and value < self.minimum:
            out.append(Problem(pointer, "minimum", f"must be at least {self.minimum}"))

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        return schema


@dataclass(frozen=True, slots=True)
class Num:
    """A JSON number (integer or not, never a boolean)."""

    def check(self, value: Any, pointer: str, out: list[Problem]) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.append(Problem(pointer, "type", "must be a number"))

    def json_schema(self) -> dict[str, Any]:
        return {"type": "number"}


@dataclass(frozen=True, slots=True)
class Bool:
    """A JSON boolean."""

    def check(self, value: Any, pointer: str, out: list[Problem]) -> None:
        if not isinstance(value, bool):
            out.append(Problem(pointer, "type", "must be a boolean"))

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True, slots=True)
class AnyJson:
    """Any JSON value (or, with `object_only`, any JSON object)."""

    object_only: bool = False

    def check(self, value: Any, pointer: str, out: list[Problem]) -> None:
        if self.object_only and not isinstance(value, dict):
            out.append(Problem(pointer, "type", "must be an object"))

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object"} if self.object_only else {}


@dataclass(frozen=True, slots=True)
class Arr:
    """An array of items of one shape, with a minimum length."""

    items: Shape
    min_items: int = 0

    def check(self, value: Any, pointer: str, out: list[Problem]) -> None:
        if not isinstance(value, list):
            out.append(Problem(pointer, "type", "must be an array"))
            return
        if len(value) < self.min_items:
            out.append(Problem(pointer, "min_items", f"must hold at least {self.min_items} item(s)"))
        for index, item in enumerate(value):
            self.items.check(item, child(pointer, index), out)

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": self.items.json_schema()}
        if self.min_items:
            schema["minItems"] = self.min_items
        return schema


@dataclass(frozen=True, slots=True)
class MapOf:
    """An object whose every member has one shape (a string map such as xdm:characteristics)."""

    values: Shape

    def check(self, value: Any, pointer: str, out: list[Problem]) -> None:
        if not isinstance(value, dict):
            out.append(Problem(pointer, "type", "must be an object"))
            return
        for key, item in value.items():
            self.values.check(item, child(pointer, key), out)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": self.values.json_schema()}


@dataclass(frozen=True, slots=True)
class Obj:
    """An object with known members (others allowed), required ones, and members it forbids."""

    props: Mapping[str, Shape] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()

    def check(self, value: Any, pointer: str, out: list[Problem]) -> None:
        if not isinstance(value, dict):
            out.append(Problem(pointer, "type", "must be an object"))
            return
        for name in self.required:
            if name not in value:
                out.append(Problem(child(pointer, name), "required", f"{name} is required"))
        for name in self.forbidden:
            if name in value:
                out.append(Problem(child(pointer, name), "forbidden", f"{name} is not allowed here"))
        for name, shape in self.props.items():
            if name in value:
                shape.check(value[name], child(pointer, name), out)

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {name: shape.json_schema() for name, shape in self.props.items()},
        }
        if self.required:
            schema["required"] = list(self.required)
        if self.forbidden:
            schema["not"] = {"anyOf": [{"required": [name]} for name in self.forbidden]}
        return schema
