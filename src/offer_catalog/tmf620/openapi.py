"""The OpenAPI 3.0 description of what the TMF620 dialect serves, built in code from the resource tables."""

from __future__ import annotations

from typing import Any

from offer_catalog.tmf620.lifecycle import DEFAULT_STATE, STATES
from offer_catalog.tmf620.names import to_oracle
from offer_catalog.tmf620.query import MAX_LIMIT
from offer_catalog.tmf620.resources import RESOURCES
from offer_catalog.tmf620.schema import MEMBER_TYPES

_SCALAR_SCHEMAS: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "datetime": {"type": "string", "format": "date-time"},
    "bool": {"type": "boolean"},
    "num": {"type": "number"},
    "int": {"type": "integer"},
    "obj": {"type": "object"},
}
_ERRORS = {
    "400": "Bad Request: malformed body, query or patch; a member fails validation",
    "401": "Unauthorized: an Authorization header that is not 'Bearer <token>' (tokens are not checked yet)",
    "403": "Forbidden: reserved (no authorization rules yet)",
    "404": "Not Found",
    "405": "Method Not Allowed",
    "409": "Conflict: id taken, lifecycle transition not allowed, JSON Patch test failed",
    "412": "Precondition Failed: If-Match does not name the current version",
    "415": "Unsupported Media Type",
    "422": "Unprocessable Entity: a JSON Patch names a location that does not exist",
    "500": "Internal Server Error",
}
PATCH_MEDIA_TYPES = (
    "application/json",
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/json-patch-query+json",
)


def _member_schema(code: str) -> dict[str, Any]:
    if code.startswith("["):
        return {"type": "array", "items": _member_schema(code[1:-1])}
    if code in _SCALAR_SCHEMAS:
        return dict(_SCALAR_SCHEMAS[code])
    return {"$ref": f"#/components/schemas/{code}"}


def _resource_schema(cls: str) -> dict[str, Any]:
    properties: dict[str, Any] = {"id": {"type": "string"}, "href": {"type": "string", "readOnly": True}}
    properties.update({name: _member_schema(code) for name, code in MEMBER_TYPES[cls].items()})
    properties["lastUpdate"]["readOnly"] = True
    properties["lifecycleStatus"] = {"type": "string", "enum": list(STATES), "default": DEFAULT_STATE}
    properties["version"] = {"type": "string", "default": "1.0"}
    properties["@type"] = {"type": "string", "default": cls}
    return {"type": "object", "required": ["name"], "properties": properties, "additionalProperties": True}


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        name: {"type": "object", "properties": {k: _member_schema(c) for k, c in MEMBER_TYPES[name].items()}}
        for name in ("TimePeriod", "Money", "Quantity")
    }
    for resource in RESOURCES.values():
        schemas[resource.cls] = _resource_schema(resource.cls)
    schemas["Error"] = {
        "type": "object",
        "required": ["code", "reason"],
        "properties": {
            name: {"type": "string"}
            for name in ("code", "reason", "message", "status", "referenceError", "@type")
        },
    }
    schemas["JsonPatchOperation"] = {
        "type": "object",
        "required": ["op", "path"],
        "properties": {
            "op": {"type": "string", "enum": ["add", "remove", "replace", "move", "copy", "test"]},
            "path": {
                "type": "string",
                "description": "JSON Pointer; with json-patch-query+json, `/arr?member=value`",
            },
            "from": {"type": "string"},
            "value": {},
        },
    }
    schemas["HistoryEntry"] = {
        "type": "object",
        "required": ["version", "lastUpdate", "deleted", "resource"],
        "properties": {
            "version": {"type": "integer", "description": "the ETag of that version"},
            "lastUpdate": {"type": "string", "format": "date-time"},
            "deleted": {"type": "boolean", "description": "true for the version that records a deletion"},
            "resource": {"type": "object"},
        },
    }
    return schemas


def _parameters() -> dict[str, Any]:
    def query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}

    return {
        "id": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
        "version": {
            "name": "version",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        },
        "fields": query(
            "fields", "Comma-separated first-level members (a.b for nested); `none`", {"type": "string"}
        ),
        "offset": query("offset", "Index of the first item", {"type": "integer", "minimum": 0, "default": 0}),
        "limit": query(
            "limit",
            f"Page size (default and maximum {MAX_LIMIT})",
            {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT},
        ),
        "sort": query("sort", "Comma-separated member paths; `-` prefix for descending", {"type": "string"}),
        "If-Match": {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}},
    }


def _errors(*statuses: str) -> dict[str, Any]:
    return {s: {"$ref": f"#/components/responses/{s}"} for s in statuses}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _paths(partial_content: bool) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for resource in RESOURCES.values():
        cls, path = resource.cls, resource.path
        schema = _ref("schemas", cls)
        item_params = [_ref("parameters", "id")]
        etag: dict[str, Any] = {"ETag": {"schema": {"type": "string"}, "description": 'version, e.g. "3"'}}
        counts: dict[str, Any] = {
            name: {"schema": {"type": "integer"}} for name in ("X-Total-Count", "X-Result-Count")
        }
        counts["Link"] = {"schema": {"type": "string"}, "description": "first/prev/next/last pages"}
        listing = {
            "description": "Success",
            "headers": counts,
            "content": _json({"type": "array", "items": schema}),
        }
        paths[f"/{path}"] = {
            "get": {
                "operationId": f"list{cls}",
                "summary": f"List {cls} objects (TMF630: attr=v, attr.gt=v, attr*=regex, a,b = OR)",
                "parameters": [_ref("parameters", n) for n in ("fields", "offset", "limit", "sort")],
                "responses": {
                    "200": listing,
                    **({"206": {**listing, "description": "Partial page"}} if partial_content else {}),
                    **_errors("400", "401", "403", "404", "405", "409", "500"),
                },
            },
            "post": {
                "operationId": f"create{cls}",
                "summary": f"Create a {cls}",
                "requestBody": {"required": True, "content": _json(schema)},
                "responses": {
                    "201": {
                        "description": "Created",
                        "headers": {**etag, "Location": {"schema": {"type": "string"}}},
                        "content": _json(schema),
                    },
                    **_errors("400", "401", "403", "405", "409", "415", "500"),
                },
            },
        }
        paths[f"/{path}/{{id}}"] = {
            "parameters": item_params,
            "get": {
                "operationId": f"retrieve{cls}",
                "parameters": [_ref("parameters", "fields")],
                "responses": {
                    "200": {"description": "Success", "headers": etag, "content": _json(schema)},
                    "304": {"description": "Not Modified (If-None-Match)"},
                    **_errors("400", "401", "403", "404", "405", "500"),
                },
            },
            "patch": {
                "operationId": f"patch{cls}",
                "parameters": [_ref("parameters", "If-Match")],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"type": "object"}},
                        "application/merge-patch+json": {"schema": {"type": "object"}},
                        "application/json-patch+json": {
                            "schema": {"type": "array", "items": _ref("schemas", "JsonPatchOperation")}
                        },
                        "application/json-patch-query+json": {
                            "schema": {"type": "array", "items": _ref("schemas", "JsonPatchOperation")}
                        },
                    },
                },
                "responses": {
                    "200": {"description": "Updated", "headers": etag, "content": _json(schema)},
                    **_errors("400", "401", "403", "404", "405", "409", "412", "415", "422", "500"),
                },
            },
            "delete": {
                "operationId": f"delete{cls}",
                "parameters": [_ref("parameters", "If-Match")],
                "responses": {
                    "204": {"description": "Deleted"},
                    **_errors("400", "401", "403", "404", "405", "409", "412", "500"),
                },
            },
        }
        entry = _ref("schemas", "HistoryEntry")
        paths[f"/{path}/{{id}}/history"] = {
            "parameters": item_params,
            "get": {
                "operationId": f"history{cls}",
                "summary": "Every stored version, oldest first (beyond TMF620)",
                "responses": {
                    "200": {"description": "Success", "content": _json({"type": "array", "items": entry})},
                    **_errors("401", "404", "405", "500"),
                },
            },
        }
        paths[f"/{path}/{{id}}/history/{{version}}"] = {
            "parameters": [*item_params, _ref("parameters", "version")],
            "get": {
                "operationId": f"version{cls}",
                "summary": "One stored version (beyond TMF620)",
                "responses": {
                    "200": {"description": "Success", "headers": etag, "content": _json(entry)},
                    **_errors("401", "404", "405", "500"),
                },
            },
        }
    paths["/openapi.json"] = {
        "get": {"operationId": "openapi", "responses": {"200": {"description": "This document"}}}
    }
    return paths


def openapi_document(
    base: str, *, oracle_names: bool = False, partial_content: bool = False
) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document for the API served under `base` (206 listed when lists answer it)."""
    document = {
        "openapi": "3.0.3",
        "info": {
            "title": "TMF620 Product Catalog Management",
            "version": "4.1.0",
            "description": (
                "Catalog, category, productOffering, productOfferingPrice and productSpecification with "
                "TMF630 querying, four PATCH media types, ETag/If-Match, lifecycle state machine and "
                "version history. Errors are TMF Error objects."
            ),
        },
        "servers": [{"url": base.rstrip("/")}],
        "paths": _paths(partial_content),
        "components": {
            "schemas": _schemas(),
            "parameters": _parameters(),
            "responses": {
                status: {"description": text, "content": _json(_ref("schemas", "Error"))}
                for status, text in _ERRORS.items()
            },
        },
    }
    return to_oracle(document) if oracle_names else document
