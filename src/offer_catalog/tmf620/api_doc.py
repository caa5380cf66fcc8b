"""What the TMF620 API declares for its generated OpenAPI document (one per base path).

Shapes follow the official TMF620 v4 specification: `<Class>` is what a read answers (no member
required, as `fields=` may select any), `<Class>_Create` what a create takes (`name` required) and
`<Class>_Update` what a merge PATCH takes; all three walked from the resource declarations
(resources/tmf620) by `resource_schemas`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from offer_catalog.openapi import ApiDoc, Body, Doc, ErrorDoc, Param, Reply, matching, ref
from offer_catalog.openapi.declare import array_of
from offer_catalog.openapi.shapes import json_schema
from offer_catalog.openapi.writes import NO_NUL, QUERY_POINTER, extension, json_patch_operation, writable
from offer_catalog.resources.tmf620.rules import RELEASE_CLASSES, TYPES
from offer_catalog.resources.tmf620.values import VALUE_TYPES
from offer_catalog.resources.uris import URI_PATTERN
from offer_catalog.tmf620.names import TO_ORACLE, to_oracle
from offer_catalog.tmf620.resources import V4, Release, Resource

JSON = "application/json"
PATCH_MEDIA_TYPES = (
    JSON,
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/json-patch-query+json",
)
_STR = {"type": "string"}
ERROR_DESCRIPTIONS = {
    400: "Bad Request: malformed body, query or patch; a member fails validation",
    401: "Unauthorized: an Authorization header that is not 'Bearer <token>'",
    403: "Forbidden: the caller may not do this",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict: id taken, lifecycle transition not allowed, JSON Patch test failed or target missing",
    412: "Precondition Failed: If-Match does not name the current version",
    413: "Payload Too Large: the request body or the stored document would exceed its limit",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity: a reference names no resource (strict reference mode)",
    500: "Internal Server Error",
    503: "Service Unavailable: the store cannot answer now (Retry-After)",
}
READ_ERRORS = (400, 401, 403, 404, 405, 409)
CREATE_ERRORS = (400, 401, 403, 405, 409, 413, 415, 422)
PATCH_ERRORS = (400, 401, 403, 404, 405, 409, 412, 413, 415, 422)
DELETE_ERRORS = (400, 401, 403, 404, 405, 409, 412)
HISTORY_ERRORS = (400, 401, 403, 404, 405)

# A member path as the query parser takes it (documents.query.MEMBER_NAME, dotted).
_NAME = r"[A-Za-z_@$][A-Za-z0-9_@$:-]{0,63}"
_PATH = rf"{_NAME}(\.{_NAME}){{0,3}}"
NEW_ID = matching(r"^[!-.0-~]{1,200}$") | {"description": "1-200 printable, no '/'"}
FIELDS = Param("fields", description="Comma-separated first-level members (a.b for nested); `none`")
_PAGE = {"type": "integer"}
LIST_PARAMS = (
    FIELDS,
    Param("offset", description="Index of the first item (a negative one reads as 0)", schema=_PAGE),
    Param(
        "limit",
        description="Page size (default: the largest page, 1000 unless configured; more is capped)",
        schema=_PAGE,
    ),
    Param(
        "sort",
        description="Comma-separated member paths; `-` prefix for descending",
        schema=matching(rf"^-?{_PATH}(,-?{_PATH}){{0,3}}$"),
    ),
)
VERSION = Param(
    "version",
    description="An entity version (TMF620 user guide: entity versioning); also `/{id}:(version=x)`",
    # A query holds no NUL (400 invalid_query: no store keeps it alike).
    schema=matching(NO_NUL),
)
IF_MATCH = Param("If-Match", "header", 'The version the change applies to, e.g. "3" (412 when not current)')
IF_NONE_MATCH = Param("If-None-Match", "header", "304 when it names the current version")
ETAG = {"ETag": {"schema": _STR, "description": 'version, e.g. "3"'}}
LIST_HEADERS = {
    "X-Total-Count": {"schema": {"type": "integer"}, "description": "Items matching the criteria"},
    "X-Result-Count": {"schema": {"type": "integer"}, "description": "Items in this page"},
    "Link": {"schema": _STR, "description": "first/prev/next/last pages"},
}


def _typed_references(schema: Any) -> Any:
    """A reference's required members (`id`, `@referredType`, ...) are strings in the specification."""
    if isinstance(schema, dict):
        out = {key: _typed_references(value) for key, value in schema.items()}
        if out.get("type") == "object" and out.get("required"):
            out["properties"] = {**{name: _STR for name in out["required"]}, **out.get("properties", {})}
        return out
    return schema


def absolute_uris(schema: Any) -> Any:
    """The write schema with each `uri` string also held to the absolute URI the service checks (its
    pattern): validators need not check formats, so the pattern states the rule."""
    if isinstance(schema, list):
        return [absolute_uris(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: absolute_uris(value) for key, value in schema.items()}
    if out.get("format") == "uri" and out.get("type") == "string" and "pattern" not in out:
        out["pattern"] = URI_PATTERN
    return out


# A nested member's type (rules.TYPES codes) as a schema, where it is a scalar.
_SCALAR: dict[str, dict[str, Any]] = {
    "str": _STR,
    "bool": {"type": "boolean"},
    "int": {"type": "integer"},
    "num": {"type": "number"},
    "uri": {"type": "string", "format": "uri"},
    "datetime": {"type": "string", "format": "date-time"},
}


def _nested_rules(members: dict[str, Any], resource: Resource) -> dict[str, Any]:
    """The members with what the service checks in each nested value stated: its `uri` members and,
    for an array's items (a merge patch replaces an array whole), its required members.

    The release's definitions (rules.TYPES) are checked at every depth (v5's
    `targetProductSchema.@schemaLocation`); the declarations leave a nested value's members free."""
    definitions, required = TYPES[resource.api]
    out = dict(members)
    for name, code in definitions.get(resource.cls, {}).items():
        inner = code.strip("[]")
        uris = [m for m, kind in definitions.get(inner, {}).items() if kind == "uri"]
        needed = list(required.get(inner, ())) if code.startswith("[") else []
        schema = out.get(name)
        if not (uris or needed) or not isinstance(schema, dict):
            continue
        target = schema.get("items") if code.startswith("[") else schema
        if isinstance(target, dict) and target.get("type") == "object":
            kinds = definitions.get(inner, {})
            stated = {m: _SCALAR.get(kinds.get(m, ""), {}) for m in needed}
            stated = {**stated, **target.get("properties", {}), **{m: _SCALAR["uri"] for m in uris}}
            target = {**target, "properties": stated}
            if needed:
                target["required"] = sorted({*target.get("required", ()), *needed})
            out[name] = {**schema, "items": target} if code.startswith("[") else target
    return out


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [writable(schema), {"type": "null"}]}


def resource_schemas(resource: Resource) -> dict[str, Any]:
    """`<Class>`, `<Class>_Create` and `<Class>_Update` of one resource, walked from its declaration.

    What a write takes is narrower than what a read may answer: an `id` of 1-200 printable characters
    without `/`, an `@type` that is not another resource's class, no `lastUpdate` in an update (the
    server sets it), and the limits of `writable`; no null in a create (a null in a merge patch removes
    the member).
    """
    cls, lifecycle = resource.cls, resource.lifecycle
    members = _typed_references(json_schema(resource.shape, VALUE_TYPES)["properties"])
    members[lifecycle.member] = {
        "type": "string",
        "enum": list(lifecycle.statuses),
        "default": lifecycle.default,
        "description": "Any letter case on input; answered as spelled here",
    }
    members["version"] = {"type": "string", "default": resource.default_version}
    if TYPES[resource.api][0].get(cls, {}).get("@schemaLocation") == "uri":
        # The service takes only an absolute URI where the specification says `format: uri`.
        members["@schemaLocation"] = {"type": "string", "format": "uri", "pattern": URI_PATTERN}
    members["@type"] = {"type": "string", "default": cls}
    read = {"id": _STR, "href": {"type": "string", "readOnly": True}, **members}
    read["lastUpdate"] = {**members["lastUpdate"], "readOnly": True}
    # A create takes no null; in a merge patch a null removes the member, except where it must stay.
    kept = ("name", lifecycle.member, "@type")
    others = sorted(c for c in RELEASE_CLASSES[resource.api] if c != cls and c not in resource.also_types)
    written = {**_nested_rules(members, resource), "@type": {**members["@type"], "not": {"enum": others}}}
    nullable = {n: schema if n in kept else _or_null(schema) for n, schema in written.items()}
    updated = {name: schema for name, schema in nullable.items() if name != "lastUpdate"}
    return {
        cls: {"type": "object", "properties": read},
        f"{cls}_Create": absolute_uris(
            writable(
                {
                    "type": "object",
                    "required": list(resource.shape.required),
                    "properties": {"id": NEW_ID, **written},
                }
            )
        ),
        f"{cls}_Update": absolute_uris(writable({"type": "object", "properties": updated})),
    }


def _schemas(
    resources: Mapping[str, Resource], more: Callable[[], dict[str, Any]] | None = None
) -> dict[str, Any]:
    schemas: dict[str, Any] = {
        name: absolute_uris(writable(json_schema(shape))) for name, shape in VALUE_TYPES.items()
    }
    schemas["Extension"] = extension()
    for resource in resources.values():
        schemas.update(resource_schemas(resource))
    schemas["Error"] = {
        "type": "object",
        "required": ["code", "reason"],
        "properties": {
            **{name: _STR for name in ("code", "reason", "message", "status", "@baseType", "@type")},
            "referenceError": {"type": "string", "format": "uri"},
            "@schemaLocation": {"type": "string", "format": "uri"},
        },
    }
    schemas["JsonPatchOperation"] = json_patch_operation()
    schemas["JsonPatchQueryOperation"] = json_patch_operation("`/arr?member=value` (TMF630)", QUERY_POINTER)
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
    if more is not None:
        schemas.update(more())
    return schemas


class ResourceDocs:
    """The declarations of one resource's operations (ids and summaries as the specification's)."""

    def __init__(self, resource: Resource, *, partial_pages: bool) -> None:
        self.cls, self.tags = resource.cls, (resource.path,)
        self.partial_pages = partial_pages

    def _doc(
        self, verb: str, summary: str, replies: dict[int, Reply], errors: tuple[int, ...], **more: Any
    ) -> Doc:
        return Doc(f"{verb}{self.cls}", summary, replies, errors, tags=self.tags, **more)

    def _one(self, description: str, headers: dict[str, Any] | None = None) -> Reply:
        return Reply(description, ref(self.cls), (JSON,), {**ETAG, **(headers or {})})

    def listing(self) -> Doc:
        """GET a collection: a page with its paging headers (206 for a partial page when configured)."""
        page = Reply("Success", array_of(ref(self.cls)), (JSON,), LIST_HEADERS)
        pages = {
            200: page,
            **({206: replace(page, description="Partial page")} if self.partial_pages else {}),
        }
        summary = f"List or find {self.cls} objects (TMF630: attr=v, attr.gt=v, attr*=regex, a,b = OR)"
        return self._doc("list", summary, pages, READ_ERRORS, parameters=LIST_PARAMS)

    def create(self) -> Doc:
        """POST a collection: 201 with the resource, its ETag and Location."""
        created = self._one("Created", {"Location": {"schema": _STR}})
        body = Body.of(ref(f"{self.cls}_Create"))
        return self._doc("create", f"Creates a {self.cls}", {201: created}, CREATE_ERRORS, body=body)

    def retrieve(self) -> Doc:
        """GET an item (304 when If-None-Match names its version)."""
        replies = {200: self._one("Success"), 304: Reply("Not Modified (If-None-Match)")}
        summary = f"Retrieves a {self.cls} by ID"
        return self._doc(
            "retrieve", summary, replies, READ_ERRORS, parameters=(FIELDS, VERSION, IF_NONE_MATCH)
        )

    def patch(self) -> Doc:
        """PATCH an item with any of the four media types."""
        merge = ref(f"{self.cls}_Update")
        operations = {
            t: array_of(ref("JsonPatchQueryOperation" if "query" in t else "JsonPatchOperation"))
            for t in PATCH_MEDIA_TYPES
        }
        body = Body({t: merge if "json-patch" not in t else operations[t] for t in PATCH_MEDIA_TYPES})
        summary, replies = f"Updates partially a {self.cls}", {200: self._one("Updated")}
        return self._doc("patch", summary, replies, PATCH_ERRORS, parameters=(VERSION, IF_MATCH), body=body)

    def delete(self) -> Doc:
        """DELETE an item: 204."""
        replies = {204: Reply("Deleted")}
        parameters = (VERSION, IF_MATCH)
        return self._doc("delete", f"Deletes a {self.cls}", replies, DELETE_ERRORS, parameters=parameters)

    def history(self) -> Doc:
        """GET every stored version of an item (beyond TMF620)."""
        replies = {200: Reply("Success", array_of(ref("HistoryEntry")))}
        return self._doc(
            "history", "Every stored version, oldest first (beyond TMF620)", replies, HISTORY_ERRORS
        )

    def version(self) -> Doc:
        """GET one stored version of an item (beyond TMF620)."""
        replies = {200: Reply("Success", ref("HistoryEntry"), headers=ETAG)}
        return self._doc("version", "One stored version (beyond TMF620)", replies, HISTORY_ERRORS)


def _oracle(node: Any) -> Any:
    """The document in Oracle's member names: property names and the `required` lists naming them."""
    renamed = to_oracle(node)

    def required(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: [TO_ORACLE.get(n, n) for n in item]
                if key == "required" and isinstance(item, list)
                else required(item)
                for key, item in value.items()
            }
        return [required(item) for item in value] if isinstance(value, list) else value

    return required(renamed)


def api_doc(
    base: str,
    resources: Mapping[str, Resource],
    *,
    oracle_names: bool,
    more_schemas: Callable[[], dict[str, Any]] | None = None,
    release: Release = V4,
) -> ApiDoc:
    """The document of the API served under `base`: its release's resources as served (lifecycle
    states included), Oracle's at-names when the deployment uses them."""
    return ApiDoc(
        title="TMF620 Product Catalog Management",
        version=release.spec_version,
        description=(
            f"{', '.join(resources)} with "
            "TMF630 querying, four PATCH media types, ETag/If-Match, lifecycle state machine and "
            "version history. Errors are TMF Error objects."
            + (" Also the event hub, its listeners and import/export jobs." if more_schemas else "")
        ),
        served_at=f"{base}openapi.json",
        errors=ErrorDoc(ref("Error"), JSON, ERROR_DESCRIPTIONS, shared=True, always=(500, 503)),
        schemas=partial(_schemas, resources, more_schemas),
        base=base,
        path_params={"version": Param("version", "path", schema={"type": "integer", "minimum": 1})},
        finish=_oracle if oracle_names else None,
    )
