"""What the Offer Library ("xcore") API declares for its generated OpenAPI document.

The kinds' schemas come from walking their shape declarations; the envelopes (receipt, HAL instance
document, results page, home) and the parameters the route table's operations share are declared here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from offer_catalog.offer_library import media
from offer_catalog.offer_library.hal import BASE, METADATA
from offer_catalog.openapi import ApiDoc, Body, Doc, ErrorDoc, Param, Reply, matching, ref
from offer_catalog.openapi.shapes import json_schema
from offer_catalog.openapi.writes import NO_NUL, extension, json_patch_operation, writable
from offer_catalog.resources.offer_library import ALL, SCHEMA_PATTERN

BODY_TYPES = (media.SCHEMA_INSTANCE, media.HAL, media.JSON, media.RECEIVER)
PATCH_TYPES = (media.PATCH_HAL, media.JSON_PATCH, media.JSON, media.SCHEMA_INSTANCE)
RECEIPT_TYPES = (media.RECEIPT, media.JSON, media.RECEIVER)
HAL_TYPES = (media.HAL, media.JSON)

# A member path inside the instance, as the list parser takes it.
_NAME = r"[A-Za-z_@$][A-Za-z0-9_@$:-]{0,63}"
_PATH = rf"(_instance\.)?{_NAME}(\.{_NAME}){{0,3}}"
PROPERTY = Param(
    "property",
    description="Filter `path op value` (== != < <= > >= ~) or a bare path; an empty value filters nothing.",
    schema=matching(rf"^({_PATH}((==|!=|<=|>=|<|>)[^\x00~]*)?)?$"),
    many=True,
)
# Query values are text without NUL (400 invalid_character: no store keeps it alike).
_TEXT = matching(NO_NUL)
SCHEMA_IDS = matching(SCHEMA_PATTERN)
CREATE_SCHEMA = Param(
    "schema",
    description="Schema id of the kind to create (or given as the Content-Type's schema parameter).",
    schema=SCHEMA_IDS,
    required=True,
)
LIST_PARAMS = (
    Param(
        "schema",
        description="Schema id of the kind to list (with or without ;version=); empty: every kind.",
        schema=matching(f"{SCHEMA_PATTERN}|^$"),
    ),
    PROPERTY,
    Param(
        "orderby",
        description="Comma list of sort keys, each +/- prefixed (also spelled orderBy).",
        schema=matching(rf"^([-+]?{_PATH}(,[-+]?{_PATH}){{0,3}})?$"),
    ),
    Param(
        "limit",
        description="Page size hint (default 50; a larger one than 1000 is served as 1000).",
        schema={"type": "integer", "minimum": 1},
    ),
    Param(
        "start",
        description=(
            "Keyset cursor from _links.next.href: the sort values then instanceId, comma-separated (a"
            " value holding a comma is a JSON string); fewer values: the items strictly after those."
        ),
        schema=_TEXT,
    ),
    Param("id", description="Look up by @id (repeatable).", schema=_TEXT, many=True),
    Param("name", description="Look up by exact xdm:name (* is a wildcard).", schema=_TEXT),
)
SEARCH_PARAMS = (
    Param("q", description="Search terms (quote a phrase).", schema=_TEXT),
    Param(
        "qop",
        description="AND or OR (default), in any case.",
        schema=matching(r"^\s*([Aa][Nn][Dd]|[Oo][Rr])?\s*$"),
    ),
    Param(
        "field",
        description="Member path to search (repeatable), e.g. _instance.xdm:name.",
        schema=matching(f"^{_PATH}$"),
        many=True,
    ),
)
IF_MATCH = Param("If-Match", "header", 'Quoted etag, e.g. "2"; a stale one is a 409.')
IF_NONE_MATCH = Param("If-None-Match", "header", "Quoted etag.")
PREFER = Param("Prefer", "header", "return=representation (or wait=n): the delete's outcome at once.")
LOCATION = {"Location": {"schema": {"type": "string"}, "description": "where the outcome is read"}}
# The instance itself (schema-instance+json), in its HAL document (hal+json), or either (json).
INSTANCE_BODY = Body(
    {
        media.SCHEMA_INSTANCE: ref("Instance"),
        media.HAL: ref("InstanceHal"),
        media.JSON: ref("InstanceBody"),
    }
)
PATCH_BODY = Body.of(ref("JsonPatch"), *PATCH_TYPES)
WRITE_ERRORS = (400, 401, 403, 404, 406, 409, 413, 415, 422)
_ETAG = {"ETag": {"schema": {"type": "string"}, "description": 'Quoted etag, e.g. "2"'}}


def receipt(status_text: str) -> Reply:
    """A write's answer: the instance's receipt."""
    return Reply(status_text, ref("Receipt"), RECEIPT_TYPES, _ETAG)


def hal(description: str, schema: str) -> Reply:
    """A read's answer: a HAL document."""
    return Reply(description, ref(schema), HAL_TYPES)


CONTAINER_ID = Param("CONTAINER_ID", "path", "Container id.", schema=_TEXT)
TENANCY_HEADERS = (
    # Required in form (403 403010 without one), so not `required` here: OpenAPI ignores the
    # `required` of an Authorization header parameter, and the token is verified only with auth on.
    Param(
        "Authorization",
        "header",
        "Bearer token (403 without one); its subject is recorded as repo:createdBy / repo:lastModifiedBy.",
    ),
    Param("x-api-key", "header", "API key (client id); recorded as repo:*ByClientId.", required=True),
    Param("x-gw-ims-org-id", "header", "Organisation.", required=True),
    Param("x-sandbox-name", "header", "Sandbox.", required=True),
)
_STR = {"type": "string"}
_NULLABLE = {"type": ["string", "null"]}
PROBLEM = {
    "type": "object",
    "required": ["type", "status", "title", "detail", "code"],
    "properties": {
        "type": _STR,
        "status": {"type": "integer"},
        "title": _STR,
        "detail": _STR,
        "code": _STR,
        "requestId": _STR,
        "pointer": {**_STR, "description": "JSON pointer into the request"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
"""The problem+json body of the Offer Library and decisioning errors (offer_library.errors.problem)."""
PROBLEMS = ErrorDoc(ref("Problem"), "application/problem+json", {}, always=(400, 401, 403, 500, 503))
"""Every operation may answer 400 (a gateway header missing or malformed), 401/403 (credentials)."""


def page(operation_id: str, summary: str, parameters: tuple[Param, ...]) -> Doc:
    """A listing operation: a HAL results page."""
    return Doc(operation_id, summary, {200: hal("a page", "Results")}, (400, 401, 403, 404, 406), parameters)


def _schemas() -> dict[str, Any]:
    kinds = {
        spec.name: {**writable(json_schema(spec.shape)), "title": spec.title, "x-schema-id": spec.schema_id}
        for spec in ALL
    }
    repo = {
        "repo:etag": {"type": "integer"},
        "repo:createdDate": _STR,
        "repo:lastModifiedDate": _STR,
        **{f"repo:{name}": _NULLABLE for name in ("createdBy", "lastModifiedBy", "createdByClientId")},
        "repo:lastModifiedByClientId": _NULLABLE,
    }
    # The kind is named by the `schema` parameter, not by the body's shape, and the shapes overlap (a
    # placement is also a valid tag: any member beyond a kind's own is an extension). An answer holds an
    # instance of its kind, which may also match other kinds' shapes: anyOf. A write's body stays
    # described as oneOf (known limit, docs/offer-library.md: no schema can tie it to the parameter).
    instance = {"oneOf": [ref(name) for name in kinds]}
    answered = {"anyOf": [ref(name) for name in kinds]}
    # A HAL document holds `_instance`, `_links` and the server's members (read-only: a write may only
    # repeat their current values); any other member is a 422 unknown_member.
    wrapped = {
        "type": "object",
        "required": ["_instance"],
        "properties": {
            "_instance": instance,
            "_links": {},
            **{name: {"readOnly": True} for name in METADATA},
        },
        "additionalProperties": False,
    }
    document = {
        "type": "object",
        "properties": {
            "instanceId": _STR,
            "schemas": {"type": "array", "items": _STR},
            **repo,
            "_instance": answered,
            "_links": {"type": "object"},
        },
    }
    page = {
        "results": {"type": "array", "items": ref("InstanceDocument")},
        "total": {"type": "integer"},
        "count": {"type": "integer"},
    }
    links = {"_embedded": {"type": "object"}, "_links": {"type": "object"}}
    return {
        **kinds,
        "Instance": instance,
        "InstanceHal": wrapped,
        "InstanceBody": {"oneOf": [instance, wrapped]},
        "Receipt": {"type": "object", "properties": {"instanceId": _STR, "@id": _STR, **repo}},
        "InstanceDocument": document,
        "Results": {
            "type": "object",
            "properties": {
                "containerId": _STR,
                "_embedded": {"type": "object", "properties": page},
                "_links": {"type": "object"},
            },
        },
        "Home": {"type": "object", "properties": links},
        "Container": {
            "type": "object",
            "properties": {
                "instanceId": _STR,
                "schemas": {"type": "array", "items": _STR},
                "productContexts": {"type": "array", "items": _STR},
                **repo,
                "_instance": {"type": "object"},
                "_links": {"type": "object"},
            },
        },
        "JsonPatch": {
            "type": "array",
            "items": json_patch_operation("into the HAL document, e.g. /_instance/xdm:status"),
        },
        "Extension": extension(),
        "Problem": PROBLEM,
    }


def tenant_api_doc(
    title: str, description: str, served_at: str, schemas: Callable[[], dict[str, Any]], **extra: Any
) -> ApiDoc:
    """The document of an API with the Offer Library's tenancy headers and problem+json errors."""
    version = extra.pop("version", "1")
    return ApiDoc(title, version, description, served_at, PROBLEMS, schemas, headers=TENANCY_HEADERS, **extra)


API_DOC = tenant_api_doc(
    "offer-catalog Offer Library (xcore) repository API",
    "Containers of typed instances with JSON Patch updates and repo:etag receipts.",
    f"{BASE}/openapi.json",
    _schemas,
    path_params={
        "container_id": CONTAINER_ID,
        "instance_id": Param("INSTANCE_ID", "path", "Instance id.", schema=_TEXT),
        "kind": Param(
            "KIND", "path", "Kind name of the deleted instance, e.g. offer-activity.", schema=_TEXT
        ),
        "version": Param("ETAG", "path", "The version the delete ended at.", schema=_TEXT),
    },
)
