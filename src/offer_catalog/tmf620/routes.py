"""TMF620 HTTP routes: one small API per base path, declared routes per resource, TMF Error bodies."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
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
    api_mount,
    etag,
    if_match,
    if_none_match,
    json_response,
    query_string,
    read_json,
    run_unit,
)
from offer_catalog.settings import Settings
from offer_catalog.tmf620 import service
from offer_catalog.tmf620.errors import ERRORS, TmfError, renderer
from offer_catalog.tmf620.fields import project, selection_tree
from offer_catalog.tmf620.names import standard_patch, to_oracle, to_standard
from offer_catalog.tmf620.openapi import openapi_document
from offer_catalog.tmf620.paging import list_headers
from offer_catalog.tmf620.query import MAX_LIMIT, parse_list, parse_retrieve
from offer_catalog.tmf620.resources import BASE_PATHS, RESOURCES, Resource
from offer_catalog.tmf620.tenancy import actor_of, tenant_scope

PATCH_STYLES = {
    "application/json": service.MERGE,
    "application/merge-patch+json": service.MERGE,
    "application/json-patch+json": service.JSON_PATCH,
    "application/json-patch-query+json": service.PATCH_QUERY,
}
_BEARER = re.compile(r"bearer +[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
Endpoint = Callable[[Resource, Request], Awaitable[Response]]


def _media_type(request: Request) -> str | None:
    value = request.headers.get("content-type")
    return None if value is None else value.split(";", 1)[0].strip().lower()


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

    def __init__(self, base: str, *, oracle_names: bool, partial_content: bool = False) -> None:
        self.base = base
        self.oracle = oracle_names
        # TMF630 suggests 206 for a partial page, but neither specification declares it and generated
        # clients reject it: 200 unless the deployment asks for 206 (OFFER_CATALOG_TMF_PARTIAL_CONTENT).
        self.partial_status = 206 if partial_content else 200
        self._openapi: bytes | None = None

    def _json(self, content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return json_response(to_oracle(content) if self.oracle else content, status, headers)

    async def openapi(self, request: Request) -> Response:
        """The OpenAPI 3 description of this API under this base path."""
        if self._openapi is None:
            self._openapi = orjson.dumps(
                openapi_document(
                    self.base, oracle_names=self.oracle, partial_content=self.partial_status == 206
                )
            )
        return Response(self._openapi, 200, media_type="application/json")

    async def list_all(self, resource: Resource, request: Request) -> Response:
        """List a collection: TMF630 filters, fields, sort, offset/limit, paging headers; 206 opt-in."""
        scope = tenant_scope(request)
        params = parse_list(query_string(request), resource)
        limit = MAX_LIMIT if params.limit is None else params.limit
        docs, total = await run_unit(
            request,
            lambda uow: service.list_page(uow, scope=scope, resource=resource, params=params, limit=limit),
            write=False,
            scan=True,
        )
        tree = None if params.fields is None else selection_tree(params.fields)
        items = [project(service.view(resource, doc, self.base), tree) for doc in docs]
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
                uow, scope=scope, resource=resource, body=body, actor=actor_of(request)
            ),
            write=True,
        )
        result = service.view(resource, doc, self.base)
        return self._json(result, 201, {"Location": result["href"], "ETag": etag(doc.version)})

    async def retrieve(self, resource: Resource, request: Request) -> Response:
        """One resource (current version), with its ETag; `fields` selects members."""
        id, scope = request.path_params["id"], tenant_scope(request)
        fields = parse_retrieve(query_string(request))
        doc = await run_unit(
            request, lambda uow: service.get(uow, scope=scope, resource=resource, id=id), write=False
        )
        if if_none_match(request, doc.version):
            return Response(status_code=304, headers={"ETag": etag(doc.version)})
        result = project(
            service.view(resource, doc, self.base), None if fields is None else selection_tree(fields)
        )
        return self._json(result, 200, {"ETag": etag(doc.version)})

    async def patch(self, resource: Resource, request: Request) -> Response:
        """Partial update: merge (json, merge-patch+json), JSON Patch, JSON Patch Query; atomic."""
        id, scope = request.path_params["id"], tenant_scope(request)
        media = _media_type(request)
        style = PATCH_STYLES.get(media or "")
        if style is None:
            supported = ", ".join(PATCH_STYLES)
            raise TmfError(415, "unsupported_media_type", f"PATCH takes {supported}; got {media or 'none'}")
        raw = await read_json(request)
        patch = to_standard(raw) if style == service.MERGE else standard_patch(raw)
        accepted = if_match(request)
        doc = await run_unit(
            request,
            lambda uow: service.patch(
                uow,
                scope=scope,
                resource=resource,
                id=id,
                style=style,
                patch=patch,
                base=self.base,
                accepted=accepted,
                actor=actor_of(request),
            ),
            write=True,
        )
        return self._json(service.view(resource, doc, self.base), 200, {"ETag": etag(doc.version)})

    async def delete(self, resource: Resource, request: Request) -> Response:
        """Delete: 204; If-Match honoured."""
        id, scope = request.path_params["id"], tenant_scope(request)
        accepted = if_match(request)
        await run_unit(
            request,
            lambda uow: service.delete(
                uow, scope=scope, resource=resource, id=id, accepted=accepted, actor=actor_of(request)
            ),
            write=True,
        )
        return Response(status_code=204)

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


def resource_routes(base: str, resource: Resource, endpoints: TmfEndpoints) -> list[BaseRoute]:
    """The routes of one resource: collection, item, its history and one past version."""
    at, name = f"{base}{resource.path}", resource.path

    def bind(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        return partial(endpoint, resource)

    return [
        ApiRoute(at, {"GET": bind(endpoints.list_all), "POST": bind(endpoints.create)}, name=name),
        ApiRoute(
            f"{at}/{{id}}",
            {
                "GET": bind(endpoints.retrieve),
                "PATCH": bind(endpoints.patch),
                "DELETE": bind(endpoints.delete),
            },
            name=f"{name}_item",
        ),
        ApiRoute(f"{at}/{{id}}/history", {"GET": bind(endpoints.history)}, name=f"{name}_history"),
        ApiRoute(
            f"{at}/{{id}}/history/{{version}}", {"GET": bind(endpoints.version)}, name=f"{name}_version"
        ),
    ]


def tmf620_api(base: str, *, oracle_names: bool, partial_content: bool = False) -> Api:
    """The TMF620 API under one base path."""
    endpoints = TmfEndpoints(base, oracle_names=oracle_names, partial_content=partial_content)
    routes: list[BaseRoute] = [ApiRoute(f"{base}openapi.json", {"GET": endpoints.openapi}, name="openapi")]
    for resource in RESOURCES.values():
        routes.extend(resource_routes(base, resource, endpoints))
    return Api(routes, errors=ERRORS, render=renderer(oracle_names=oracle_names), guard=guard)


def tmf620_routes(settings: Settings) -> list[BaseRoute]:
    """The TMF620 API under the standard and the Oracle base paths (same data, href per request)."""
    oracle = settings.tmf_names == "oracle"
    partial = settings.tmf_partial_content
    return [
        api_mount([base], tmf620_api(base, oracle_names=oracle, partial_content=partial))
        for base in BASE_PATHS
    ]
