"""What an operation and an API declare about themselves for their OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Schema = dict[str, Any]
SCHEMAS = "#/components/schemas/"


def ref(name: str) -> Schema:
    """A reference to one of the document's component schemas."""
    return {"$ref": SCHEMAS + name}


def matching(pattern: str) -> Schema:
    """A string in which `pattern` finds a match (JSON Schema `pattern`: anchor it to match the whole)."""
    return {"type": "string", "pattern": pattern}


def array_of(schema: Schema) -> Schema:
    """An array of items of one schema."""
    return {"type": "array", "items": schema}


@dataclass(frozen=True, slots=True)
class Param:
    """A query, header or path parameter (`many`: repeatable, each value one item, up to `max_items`)."""

    name: str
    where: str = "query"
    description: str = ""
    schema: Schema = field(default_factory=lambda: {"type": "string"})
    required: bool = False
    many: bool = False
    max_items: int | None = None

    def render(self) -> Schema:
        """The OpenAPI parameter object."""
        schema = array_of(self.schema) if self.many else self.schema
        if self.many and self.required:
            schema["minItems"] = 1
        if self.many and self.max_items is not None:
            schema["maxItems"] = self.max_items
        out: Schema = {"name": self.name, "in": self.where, "required": self.required or self.where == "path"}
        if self.description:
            out["description"] = self.description
        out["schema"] = schema
        if self.many:
            out["explode"] = True
        return out


@dataclass(frozen=True, slots=True)
class Reply:
    """A success answer: its body schema under each media type (none: no body) and its headers."""

    description: str
    schema: Schema | None = None
    media_types: tuple[str, ...] = ("application/json",)
    headers: Mapping[str, Schema] = field(default_factory=dict)

    def render(self) -> Schema:
        """The OpenAPI response object."""
        out: Schema = {"description": self.description}
        if self.headers:
            out["headers"] = dict(self.headers)
        if self.schema is not None:
            out["content"] = {t: {"schema": self.schema} for t in self.media_types}
        return out


@dataclass(frozen=True, slots=True)
class Body:
    """A request body: its schema under each media type it is accepted as."""

    content: Mapping[str, Schema]
    required: bool = True

    @classmethod
    def of(cls, schema: Schema, *media_types: str) -> Body:
        """One schema under several media types."""
        return cls({t: schema for t in media_types or ("application/json",)})

    def render(self) -> Schema:
        """The OpenAPI request body object."""
        return {"required": self.required, "content": {t: {"schema": s} for t, s in self.content.items()}}


@dataclass(frozen=True, slots=True)
class Doc:
    """One operation: its id, summary, parameters (path ones come from the route), body and answers.

    `replies` are the success (and 304) answers by status; `errors` the error statuses it may answer,
    rendered as the API's error body (`ApiDoc.errors`).
    """

    operation_id: str
    summary: str
    replies: Mapping[int, Reply]
    errors: tuple[int, ...] = ()
    parameters: tuple[Param, ...] = ()
    body: Body | None = None
    description: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ErrorDoc:
    """How an API's error statuses are documented: the body schema, its media type, one line each.

    `shared`: as `#/components/responses/<status>` referenced by every operation (else inline);
    `always`: statuses any operation may answer (an unexpected failure, the store unavailable).
    """

    schema: Schema
    media_type: str
    descriptions: Mapping[int, str]
    shared: bool = False
    always: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ApiDoc:
    """What an API says about its whole document (served at `served_at` by the API itself).

    `base`: when set, route paths are documented relative to it and it is the one server URL.
    `path_params`: a route path parameter's declaration (its documented name, e.g. container_id ->
    CONTAINER_ID, and schema) when it is not a plain required string of the same name.
    `headers`: parameters every operation takes (credentials). `schemas`: the component schemas.
    `finish`: applied to the whole document last (e.g. the member-name style of a deployment).
    """

    title: str
    version: str
    description: str
    served_at: str
    errors: ErrorDoc
    schemas: Callable[[], dict[str, Schema]]
    openapi: str = "3.1.0"
    base: str | None = None
    path_params: Mapping[str, Param] = field(default_factory=dict)
    headers: tuple[Param, ...] = ()
    finish: Callable[[Schema], Schema] | None = None
