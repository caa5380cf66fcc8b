"""The OpenAPI 3.1 document of the xcore routes, built from the kinds' own shapes."""

from __future__ import annotations

from typing import Any

from offer_catalog.offer_library import media
from offer_catalog.offer_library.hal import BASE
from offer_catalog.resources.offer_library import ALL

_REF = "#/components/schemas/"
_HEADERS = (
    ("Authorization", "Bearer token; its subject is recorded as repo:createdBy / repo:lastModifiedBy."),
    ("x-api-key", "API key (client id); recorded as repo:*ByClientId."),
    ("x-gw-ims-org-id", "Organisation."),
    ("x-sandbox-name", "Sandbox."),
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _param(
    name: str, where: str, description: str, *, required: bool = False, many: bool = False
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if many:
        schema = {"type": "array", "items": schema}
    param = {"name": name, "in": where, "description": description, "required": required, "schema": schema}
    if many:
        param["explode"] = True
    return param


def _problems(*statuses: int) -> dict[str, Any]:
    return {
        str(status): {
            "description": "problem",
            "content": {"application/problem+json": {"schema": _ref("Problem")}},
        }
        for status in statuses
    }


def _ok(status: int, description: str, schema: str, types: tuple[str, ...]) -> dict[str, Any]:
    return {
        str(status): {"description": description, "content": {t: {"schema": _ref(schema)} for t in types}}
    }


_LIST_PARAMS = [
    _param("schema", "query", "Schema id of the kind to list (with or without ;version=)."),
    _param("property", "query", "Filter `path op value` (== != < <= > >= ~) or a bare path.", many=True),
    _param("orderby", "query", "Comma list of sort keys, each +/- prefixed (also spelled orderBy)."),
    _param("limit", "query", "Page size hint (default 50, at most 1000)."),
    _param("start", "query", "Keyset cursor from _links.next.href: sort values then instanceId."),
    _param("id", "query", "Look up by @id (repeatable).", many=True),
    _param("name", "query", "Look up by exact xdm:name (* is a wildcard)."),
]
_SEARCH_PARAMS = [
    _param("q", "query", "Search terms (quote a phrase)."),
    _param("qop", "query", "AND or OR (default)."),
    _param("field", "query", "Member path to search (repeatable), e.g. _instance.xdm:name.", many=True),
]


def _paths() -> dict[str, Any]:
    container = _param("CONTAINER_ID", "path", "Container id.", required=True)
    instance = _param("INSTANCE_ID", "path", "Instance id.", required=True)
    if_match = _param("If-Match", "header", 'Quoted etag, e.g. "2"; a stale one is a 409.')
    body_types = (media.SCHEMA_INSTANCE, media.HAL, media.JSON)
    instance_body = {"required": True, "content": {t: {"schema": _ref("InstanceBody")} for t in body_types}}
    receipt = (media.RECEIPT, media.JSON)
    hal_types = (media.HAL, media.JSON)
    return {
        f"{BASE}/": {
            "get": {
                "summary": "List the caller's containers",
                "parameters": [_param("property", "query", "Filter on container members.", many=True)],
                "responses": {
                    **_ok(200, "containers", "Home", (media.HOME_HAL,)),
                    **_problems(400, 401, 403, 406),
                },
            }
        },
        f"{BASE}/{{CONTAINER_ID}}/instances": {
            "parameters": [container],
            "post": {
                "summary": "Create an instance (kind named by the schema parameter)",
                "parameters": [_param("schema", "query", "Schema id when Content-Type has none.")],
                "requestBody": instance_body,
                "responses": {
                    **_ok(201, "created; Location names the new instance", "Receipt", receipt),
                    **_problems(400, 403, 404, 406, 409, 413, 415, 422),
                },
            },
            "get": {
                "summary": "List or look up instances",
                "parameters": _LIST_PARAMS,
                "responses": {**_ok(200, "a page", "Results", hal_types), **_problems(400, 403, 404, 406)},
            },
        },
        f"{BASE}/{{CONTAINER_ID}}/instances/{{INSTANCE_ID}}": {
            "parameters": [container, instance],
            "get": {
                "summary": "Read one instance (If-None-Match gives 304 when current)",
                "parameters": [_param("If-None-Match", "header", "Quoted etag.")],
                "responses": {
                    **_ok(200, "the instance", "InstanceDocument", hal_types),
                    "304": {"description": "not modified"},
                    **_problems(403, 404, 406),
                },
            },
            "put": {
                "summary": "Replace an instance",
                "parameters": [if_match],
                "requestBody": instance_body,
                "responses": {
                    **_ok(200, "replaced", "Receipt", receipt),
                    **_problems(400, 404, 406, 409, 415, 422),
                },
            },
            "patch": {
                "summary": "JSON Patch the instance's HAL document (paths like /_instance/xdm:status)",
                "parameters": [if_match],
                "requestBody": {
                    "required": True,
                    "content": {
                        t: {"schema": _ref("JsonPatch")} for t in (media.PATCH_HAL, media.JSON_PATCH)
                    },
                },
                "responses": {
                    **_ok(200, "patched", "Receipt", receipt),
                    **_problems(400, 404, 406, 409, 415, 422),
                },
            },
            "delete": {
                "summary": "Delete an instance nothing references (else 409 listing the referrers)",
                "parameters": [if_match],
                "responses": {**_ok(200, "deleted", "Receipt", receipt), **_problems(404, 406, 409)},
            },
        },
        f"{BASE}/{{CONTAINER_ID}}/queries/core/search": {
            "parameters": [container],
            "get": {
                "summary": "Full-text search",
                "parameters": [*_LIST_PARAMS, *_SEARCH_PARAMS],
                "responses": {**_ok(200, "a page", "Results", hal_types), **_problems(400, 403, 404, 406)},
            },
        },
    }


def _components() -> dict[str, Any]:
    kinds = {
        spec.name: {**spec.shape.json_schema(), "title": spec.title, "x-schema-id": spec.schema_id}
        for spec in ALL
    }
    repo = {
        "repo:etag": {"type": "integer"},
        **{
            name: {"type": "string"}
            for name in (
                "repo:createdDate",
                "repo:lastModifiedDate",
                "repo:createdBy",
                "repo:lastModifiedBy",
                "repo:createdByClientId",
                "repo:lastModifiedByClientId",
            )
        },
    }
    instance = {"oneOf": [_ref(name) for name in kinds]}
    return {
        **kinds,
        "Instance": instance,
        "InstanceBody": {
            "oneOf": [
                instance,
                {
                    "type": "object",
                    "required": ["_instance"],
                    "properties": {"_instance": instance, "_links": {}},
                },
            ]
        },
        "Receipt": {
            "type": "object",
            "properties": {"instanceId": {"type": "string"}, "@id": {"type": "string"}, **repo},
        },
        "InstanceDocument": {
            "type": "object",
            "properties": {
                "instanceId": {"type": "string"},
                "schemas": {"type": "array", "items": {"type": "string"}},
                **repo,
                "_instance": instance,
                "_links": {"type": "object"},
            },
        },
        "Results": {
            "type": "object",
            "properties": {
                "containerId": {"type": "string"},
                "_embedded": {
                    "type": "object",
                    "properties": {
                        "results": {"type": "array", "items": _ref("InstanceDocument")},
                        "total": {"type": "integer"},
                        "count": {"type": "integer"},
                    },
                },
                "_links": {"type": "object"},
            },
        },
        "Home": {
            "type": "object",
            "properties": {"_embedded": {"type": "object"}, "_links": {"type": "object"}},
        },
        "JsonPatch": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["op", "path"],
                "properties": {
                    "op": {"enum": ["add", "remove", "replace", "move", "copy", "test"]},
                    "path": {"type": "string"},
                    "from": {"type": "string"},
                    "value": {},
                },
            },
        },
        "Problem": {
            "type": "object",
            "required": ["type", "status", "title", "detail", "code"],
            "properties": {
                "type": {"type": "string"},
                "status": {"type": "integer"},
                "title": {"type": "string"},
                "detail": {"type": "string"},
                "code": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "object"}},
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (credential headers apply to every operation)."""
    paths = _paths()
    headers = [_param(name, "header", text, required=True) for name, text in _HEADERS]
    for item in paths.values():
        for method, operation in item.items():
            if method != "parameters":
                operation["parameters"] = [*headers, *operation.get("parameters", [])]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "offer-catalog Offer Library (xcore) repository API",
            "version": "1",
            "description": "Containers of typed instances with JSON Patch updates and repo:etag receipts.",
        },
        "paths": paths,
        "components": {"schemas": _components()},
    }
