"""TMF620 HTTP routes: one small API per base path, declared routes per resource, TMF Error bodies."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Scope

from offer_catalog.http import (
    Api,
    ApiRoute,
    Operation,
    Representations,
    api_mount,
    encoded_response,
    etag,
    header,
    if_match,
    if_none_match,
    json_response,
    query_string,
    read_json,
    run_unit,
)
from offer_catalog.openapi import Doc
from offer_catalog.settings import Settings
from offer_catalog.tmf620 import api_doc as d
from offer_catalog.tmf620 import service, versions
from offer_catalog.tmf620.errors import ERRORS, TmfError, renderer
from offer_catalog.tmf620.fields import project, selection_tree
from offer_catalog.tmf620.names import standard_patch, to_oracle, to_standard
from offer_catalog.tmf620.paging import list_headers
from offer_catalog.tmf620.query import index_served, parse_list, parse_retrieve, parse_version
from offer_catalog.tmf620.resources import RELEASES, Resource, release_of, served_resources
from offer_catalog.tmf620.tenancy import actor_of, tenant_scope

PATCH_STYLES = {
    "application/json": service.MERGE,
    "application/merge-patch+json": service.MERGE,
    "application/json-patch+json": service.JSON_PATCH,
    "application/json-patch-query+json": service.PATCH_QUERY,
}
MAX_PAGE = 1000
_BEARER = re.compile(r"bearer +[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
Endpoint = Callable[[Resource, Request], Awaitable[Response]]


def _media_type(request: Request) -> str | None:
    value = header(request, b"content-type")
    return None if value is None else value.split(";", 1)[0].strip().lower()


def _target(request: Request, raw: str | None = None) -> tuple[str, str | None]:
    """The id and the entity version (`/{id}:(version=x)` or `?version=x`; None: current) a request names.

    `raw`: the request's query string, when the caller has it."""
    raw = query_string(request) if raw is None else raw
    return versions.target(request.path_params["id"], parse_version(raw) if raw else None)


def _selected(result: dict[str, Any], request: Request, v5: bool) -> dict[str, Any]:
    """A write's answer with only the members `fields` selects (v5 declares it on create and patch)."""
    raw = query_string(request)
    if not raw:
        return result
    fields = parse_retrieve(raw)
    return result if fields is None else project(result, selection_tree(fields), v5=v5)


def guard(scope: Scope) -> None:
    """Before routing: a malformed Authorization is 401, a NUL in the path 404; one trailing / is dropped."""
    for name, value in scope["headers"]:
        if name == b"authorization" and not _BEARER.fullmatch(value.decode("latin-1").strip()):
            raise TmfError(
                401,
                "unauthorized",
                "the Authorization header must be 'Bearer <token>'",
                headers={"WWW-Authenticate": 'Bearer realm="tmf620"'},
            )
    path: str = scope["path"]
    if "\x00" in path:
        raise HTTPException(404)
    if path.endswith("/") and not path.endswith("//") and path.count("/") > 4:
        scope["path"] = path[:-1]


class TmfEndpoints:
    """The TMF620 endpoints under one base path (hrefs and member names follow it)."""

    def __init__(
        self,
        base: str,
        *,
        oracle_names: bool,
        partial_content: bool = False,
        max_page: int = MAX_PAGE,
        strict_references: bool = False,
        representations: Representations | None = None,
    ) -> None:
        self.base = base
        self.v5 = release_of(base).name == "v5"
        self.oracle = oracle_names
        self.strict = strict_references
        # A `limit` above the largest page is a page of that size, not an error (TMF630): the paging
        # headers and the Link then say how many came and where the next page starts.
        self.max_page = max_page
        # TMF630 suggests 206 for a partial page, but neither specification declares it and generated
        # clients reject it: 200 unless the deployment asks for 206 (OFFER_CATALOG_TMF_PARTIAL_CONTENT).
        self.partial_status = 206 if partial_content else 200
        # Answers to GET one resource, by stored version and request variant (http/representations.py).
        self.representations = representations or Representations(0, 0)

    def _json(self, content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return json_response(to_oracle(content) if self.oracle else content, status, headers)

    def _write_target(self, resource: Resource, request: Request) -> dict[str, Any]:
        """What a PATCH or DELETE writes to and as whom: tenant scope, resource, id, entity version."""
        id, version = _target(request)
        return {
            "scope": tenant_scope(request),
            "resource": resource,
            "id": id,
            "version": version,
            "actor": actor_of(request),
            "strict": self.strict,
        }

    async def list_all(self, resource: Resource, request: Request) -> Response:
        """List a collection: TMF630 filters, fields, sort, offset/limit, paging headers; 206 opt-in."""
        scope = tenant_scope(request)
        params = parse_list(query_string(request), resource)
        limit = self.max_page if params.limit is None else min(params.limit, self.max_page)
        docs, total = await run_unit(
            request,
            lambda uow: service.list_page(uow, scope=scope, resource=resource, params=params, limit=limit),
            write=False,
            scan=not index_served(params, limit),
        )
        tree = None if params.fields is None else selection_tree(params.fields)
        items = [project(service.view(resource, doc, self.base), tree, v5=self.v5) for doc in docs]
        headers = list_headers(request, params, limit, len(items), total)
        return self._json(items, self.partial_status if len(items) < total else 200, headers)

    async def create(self, resource: Resource, request: Request) -> Response:
        """Create a resource: 201, Location = href, the full resource."""
        media = _media_type(request)
        if media is not None and media != "application/json":
            raise TmfError(
                415, "unsupported_media_type", f"a request body must be application/json, not {media}"
            )
        scope = tenant_scope(request)
        body = to_standard(await read_json(request))
        doc = await run_unit(
            request,
            lambda uow: service.create(
                uow, scope=scope, resource=resource, body=body, actor=actor_of(request), strict=self.strict
            ),
            write=True,
        )
        result = service.view(resource, doc, self.base)
        headers = {"Location": result["href"], "ETag": etag(doc.version)}
        return self._json(_selected(result, request, self.v5), 201, headers)

    async def retrieve(self, resource: Resource, request: Request) -> Response:
        """One resource (current version, or `?version=`), with its ETag; `fields` selects members."""
        raw = query_string(request)
        (id, version), scope = _target(request, raw), tenant_scope(request)
        fields = parse_retrieve(raw) if raw else None
        stored = await run_unit(
            request,
            lambda uow: service.get(uow, scope=scope, resource=resource, id=id, version=version),
            write=False,
        )
        if if_none_match(request, stored.version):
            return Response(status_code=304, headers={"ETag": etag(stored.version)})
        # The answer depends on the stored version and, beyond it, on the base path (hrefs, release,
        # member names), the resource it is asked as and the query string (`fields`, `version`).
        cache = self.representations
        key, stamp, variant = (
            (stored.scope, stored.kind, stored.id),
            (stored.version, stored.modified_at),
            (self.base, resource.kind, raw),
        )
        body = cache.get(key, stamp, variant)
        if body is None:
            result = project(
                service.view(resource, stored.document(), self.base),
                None if fields is None else selection_tree(fields),
                v5=self.v5,
            )
            body = orjson.dumps(to_oracle(result) if self.oracle else result)
            cache.put(key, stamp, variant, body)
        return encoded_response(body, 200, {"ETag": etag(stored.version)})

    async def patch(self, resource: Resource, request: Request) -> Response:
        """Partial update: merge (json, merge-patch+json), JSON Patch, JSON Patch Query; atomic."""
        target = self._write_target(resource, request)
        # No Content-Type: the body is read as TMF630's default patch format, a JSON merge patch.
        media = _media_type(request) or "application/merge-patch+json"
        style = PATCH_STYLES.get(media)
        if style is None:
            supported = ", ".join(PATCH_STYLES)
            raise TmfError(415, "unsupported_media_type", f"PATCH takes {supported}; got {media}")
        raw = await read_json(request)
        patch = to_standard(raw) if style == service.MERGE else standard_patch(raw)
        accepted = if_match(request)
        doc = await run_unit(
            request,
            lambda uow: service.patch(
                uow, style=style, patch=patch, base=self.base, accepted=accepted, **target
            ),
            write=True,
        )
        result = _selected(service.view(resource, doc, self.base), request, self.v5)
        return self._json(result, 200, {"ETag": etag(doc.version)})

    async def delete(self, resource: Resource, request: Request) -> Response:
        """Delete: 204; If-Match honoured."""
        target = self._write_target(resource, request)
        accepted = if_match(request)
        await run_unit(
            request,
            lambda uow: service.delete(uow, accepted=accepted, **target),
            write=True,
        )
        self.representations.forget((target["scope"], resource.kind, target["id"]))
        # The specification declares one media type for every answer of the API, a 204 included.
        return Response(status_code=204, headers={"Content-Type": "application/json;charset=utf-8"})

    def _entry(self, entry: service.Entry) -> dict[str, Any]:
        return {
            "version": entry.version,
            "lastUpdate": entry.last_update,
            "deleted": entry.deleted,
            "resource": entry.view,
        }

    async def history(self, resource: Resource, request: Request) -> Response:
        """Every stored version of a resource, oldest first (beyond the TMF620 spec)."""
        id, scope = request.path_params["id"], tenant_scope(request)
        entries = await run_unit(
            request,
            lambda uow: service.history(uow, scope=scope, resource=resource, id=id, base=self.base),
            write=False,
        )
        return self._json([self._entry(e) for e in entries])

    async def version(self, resource: Resource, request: Request) -> Response:
        """One stored version of a resource (beyond the TMF620 spec)."""
        id, number = request.path_params["id"], request.path_params["version"]
        scope = tenant_scope(request)
        if not number.isascii() or not number.isdigit() or len(number) > 18:
            raise TmfError(404, "not_found", f"{number!r} is not a version number")
        entry = await run_unit(
            request,
            lambda uow: service.version(
                uow, scope=scope, resource=resource, id=id, number=int(number), base=self.base
            ),
            write=False,
        )
        return self._json(self._entry(entry), 200, {"ETag": etag(entry.version)})


@dataclass(frozen=True, slots=True)
class ApiPart:
    """Routes served inside the TMF620 API of one base path, and the component schemas they name."""

    routes: Sequence[BaseRoute]
    schemas: Callable[[], dict[str, Any]]


def resource_routes(base: str, resource: Resource, endpoints: TmfEndpoints) -> list[BaseRoute]:
    """The routes of one resource: collection, item, its history and one past version."""
    at, name = f"{base}{resource.path}", resource.path
    docs = d.ResourceDocs(resource, partial_pages=endpoints.partial_status == 206)

    def op(endpoint: Endpoint, doc: Doc) -> Operation:
        return Operation(partial(endpoint, resource), doc)

    return [
        ApiRoute(
            at,
            {"GET": op(endpoints.list_all, docs.listing()), "POST": op(endpoints.create, docs.create())},
            name=name,
        ),
        ApiRoute(
            f"{at}/{{id}}",
            {
                "GET": op(endpoints.retrieve, docs.retrieve()),
                "PATCH": op(endpoints.patch, docs.patch()),
                "DELETE": op(endpoints.delete, docs.delete()),
            },
            name=f"{name}_item",
        ),
        ApiRoute(
            f"{at}/{{id}}/history", {"GET": op(endpoints.history, docs.history())}, name=f"{name}_history"
        ),
        ApiRoute(
            f"{at}/{{id}}/history/{{version}}",
            {"GET": op(endpoints.version, docs.version())},
            name=f"{name}_version",
        ),
    ]


def tmf620_api(
    base: str,
    *,
    oracle_names: bool,
    partial_content: bool = False,
    extra_states: tuple[str, ...] = (),
    max_page: int = MAX_PAGE,
    strict_references: bool = False,
    more: ApiPart | None = None,
    representations: Representations | None = None,
) -> Api:
    """The TMF620 API under one base path (`more`: routes and schemas of layers above, e.g. the hub)."""
    endpoints = TmfEndpoints(
        base,
        oracle_names=oracle_names,
        partial_content=partial_content,
        max_page=max_page,
        strict_references=strict_references,
        representations=representations,
    )
    release = release_of(base)
    resources = served_resources(extra_states, release)
    routes: list[BaseRoute] = []
    for resource in resources.values():
        routes.extend(resource_routes(base, resource, endpoints))
    if more is not None:
        routes.extend(more.routes)
    return Api(
        routes,
        errors=ERRORS,
        render=renderer(oracle_names=oracle_names),
        guard=guard,
        doc=d.api_doc(
            base,
            resources,
            oracle_names=oracle_names,
            more_schemas=more.schemas if more else None,
            release=release,
        ),
    )


def tmf620_routes(
    settings: Settings,
    more: Callable[[str], ApiPart] | None = None,
    *,
    representations: Representations | None = None,
) -> list[BaseRoute]:
    """The TMF620 API of each release under its standard and Oracle base paths (one catalog).

    `more(base)`: what the layers above serve under a base path as part of the API (the event hub,
    listeners and jobs), documented in the same OpenAPI document. `representations`: the process's
    cache of GET answers (none: one of the settings' size), one for every base path (its variants
    name the base path).
    """
    oracle = settings.tmf_names == "oracle"
    if representations is None:
        representations = Representations(settings.get_cache_entries, settings.get_cache_bytes)
    apis = {
        base: tmf620_api(
            base,
            oracle_names=oracle,
            partial_content=settings.tmf_partial_content,
            extra_states=settings.tmf_extra_state_names,
            max_page=settings.tmf_max_page_size,
            strict_references=settings.tmf_strict_references,
            more=more(base) if more is not None else None,
            representations=representations,
        )
        for release in RELEASES
        for base in release.bases
    }
    return [api_mount([base], api) for base, api in apis.items()]
