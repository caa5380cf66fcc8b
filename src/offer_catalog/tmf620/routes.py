"""TMF620 HTTP routes: one ASGI endpoint per base path that dispatches, negotiates and renders TMF Errors."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from offer_catalog.errors import DomainError
from offer_catalog.http import json_response, request_id, run_unit
from offer_catalog.patch import PatchError, parse_json
from offer_catalog.settings import Settings
from offer_catalog.tmf620 import service
from offer_catalog.tmf620.errors import TmfError, from_domain, from_patch
from offer_catalog.tmf620.fields import project, selection_tree
from offer_catalog.tmf620.names import standard_patch, to_oracle, to_standard
from offer_catalog.tmf620.openapi import openapi_document
from offer_catalog.tmf620.paging import list_headers
from offer_catalog.tmf620.query import MAX_LIMIT, parse_list, parse_retrieve
from offer_catalog.tmf620.resources import BASE_PATHS, RESOURCES
from offer_catalog.tmf620.tenancy import tenant_scope

log = logging.getLogger("offer_catalog.tmf620")

PATCH_STYLES = {
    "application/json": service.MERGE,
    "application/merge-patch+json": service.MERGE,
    "application/json-patch+json": service.JSON_PATCH,
    "application/json-patch-query+json": service.PATCH_QUERY,
}
_BEARER = re.compile(r"bearer +[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
Handler = Callable[[Request, list[str]], Awaitable[Response]]
T = TypeVar("T")


def _media_type(request: Request) -> str | None:
    value = request.headers.get("content-type")
    return None if value is None else value.split(";", 1)[0].strip().lower()


def _if_match(request: Request) -> frozenset[int] | None:
    """The versions If-Match accepts (None: no condition or `*`); an unparseable tag matches nothing."""
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    versions = set()
    for tag in raw.split(","):
        tag = tag.strip().removeprefix("W/")
        if len(tag) >= 3 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit():
            versions.add(int(tag[1:-1]))
    return frozenset(versions)


def _etag(version: int) -> str:
    return f'"{version}"'


class TmfApi:
    """The TMF620 API under one base path; every failure is a TMF Error body."""

    def __init__(self, base: str, *, oracle_names: bool) -> None:
        self.base = base
        self.oracle = oracle_names
        self._openapi: bytes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._dispatch(request)
        except TmfError as exc:
            response = self._error(exc)
        except DomainError as exc:
            response = self._error(from_domain(exc, conditional="if-match" in request.headers))
        except PatchError as exc:
            response = self._error(from_patch(exc))
        except Exception:
            log.exception("unhandled error in a TMF620 route", extra={"request_id": request_id(request)})
            response = self._error(TmfError(500, "internal_error", "an unexpected error occurred"))
        await response(scope, receive, send)

    def _json(self, content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return json_response(to_oracle(content) if self.oracle else content, status, headers)

    def _error(self, exc: TmfError) -> Response:
        return self._json(exc.body(), exc.status, exc.headers)

    async def _dispatch(self, request: Request) -> Response:
        auth = request.headers.get("authorization")
        if auth is not None and not _BEARER.fullmatch(auth.strip()):
            raise TmfError(
                401,
                "unauthorized",
                "the Authorization header must be 'Bearer <token>'",
                headers={"WWW-Authenticate": 'Bearer realm="tmf620"'},
            )
        path: str = request.scope["path"]
        if not path.startswith(self.base) or "\x00" in path:
            raise self._not_found(path)
        segments = path[len(self.base) :].split("/")
        if len(segments) > 1 and segments[-1] == "":
            segments.pop()
        handlers = self._handlers(segments)
        if handlers is None:
            raise self._not_found(path)
        method = "GET" if request.method == "HEAD" else request.method
        handler = handlers.get(method)
        if handler is None:
            allowed = ", ".join(sorted({*handlers, "HEAD"} if "GET" in handlers else handlers))
            raise TmfError(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed on {path}; allowed: {allowed}",
                headers={"Allow": allowed},
            )
        return await handler(request, segments)

    def _not_found(self, path: str) -> TmfError:
        return TmfError(404, "not_found", f"no TMF620 resource at {path}")

    def _handlers(self, segments: list[str]) -> dict[str, Handler] | None:
        count = len(segments)
        if count == 1 and segments[0] == "openapi.json":
            return {"GET": self.openapi}
        if segments[0] not in RESOURCES or "" in segments:
            return None
        if count == 1:
            return {"GET": self.list_all, "POST": self.create}
        if count == 2:
            return {"GET": self.retrieve, "PATCH": self.patch, "DELETE": self.delete}
        if count in (3, 4) and segments[2] == "history":
            return {"GET": self.history if count == 3 else self.version}
        return None

    async def openapi(self, request: Request, segments: list[str]) -> Response:
        """The OpenAPI 3 description of this API under this base path."""
        if self._openapi is None:
            import orjson

            self._openapi = orjson.dumps(openapi_document(self.base, oracle_names=self.oracle))
        return Response(self._openapi, 200, media_type="application/json")

    async def list_all(self, request: Request, segments: list[str]) -> Response:
        """List a collection: TMF630 filters, fields, sort, offset/limit; 206 when the page is partial."""
        resource, scope = RESOURCES[segments[0]], tenant_scope(request)
        params = parse_list(request.scope.get("query_string", b"").decode("latin-1"), resource)
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
        return self._json(items, 206 if len(items) < total else 200, headers)

    async def _body(self, request: Request) -> Any:
        media = _media_type(request)
        if media is not None and media != "application/json":
            raise TmfError(
                415, "unsupported_media_type", f"a request body must be application/json, not {media}"
            )
        return to_standard(parse_json(await request.body()))

    async def create(self, request: Request, segments: list[str]) -> Response:
        """Create a resource: 201, Location = href, the full resource."""
        resource, scope = RESOURCES[segments[0]], tenant_scope(request)
        body = await self._body(request)
        doc = await run_unit(
            request, lambda uow: service.create(uow, scope=scope, resource=resource, body=body), write=True
        )
        result = service.view(resource, doc, self.base)
        return self._json(result, 201, {"Location": result["href"], "ETag": _etag(doc.version)})

    async def retrieve(self, request: Request, segments: list[str]) -> Response:
        """One resource (current version), with its ETag; `fields` selects members."""
        resource, id, scope = RESOURCES[segments[0]], segments[1], tenant_scope(request)
        fields = parse_retrieve(request.scope.get("query_string", b"").decode("latin-1"))
        doc = await run_unit(
            request, lambda uow: service.get(uow, scope=scope, resource=resource, id=id), write=False
        )
        etag = _etag(doc.version)
        if etag in {
            t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")
        }:
            return Response(status_code=304, headers={"ETag": etag})
        result = project(
            service.view(resource, doc, self.base), None if fields is None else selection_tree(fields)
        )
        return self._json(result, 200, {"ETag": etag})

    async def patch(self, request: Request, segments: list[str]) -> Response:
        """Partial update: merge (json, merge-patch+json), JSON Patch, JSON Patch Query; atomic."""
        resource, id, scope = RESOURCES[segments[0]], segments[1], tenant_scope(request)
        media = _media_type(request)
        style = PATCH_STYLES.get(media or "")
        if style is None:
            supported = ", ".join(PATCH_STYLES)
            raise TmfError(415, "unsupported_media_type", f"PATCH takes {supported}; got {media or 'none'}")
        raw = parse_json(await request.body())
        patch = to_standard(raw) if style == service.MERGE else standard_patch(raw)
        accepted = _if_match(request)
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
            ),
            write=True,
        )
        return self._json(service.view(resource, doc, self.base), 200, {"ETag": _etag(doc.version)})

    async def delete(self, request: Request, segments: list[str]) -> Response:
        """Delete: 204; If-Match honoured."""
        resource, id, scope = RESOURCES[segments[0]], segments[1], tenant_scope(request)
        accepted = _if_match(request)
        await run_unit(
            request,
            lambda uow: service.delete(uow, scope=scope, resource=resource, id=id, accepted=accepted),
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

    async def history(self, request: Request, segments: list[str]) -> Response:
        """Every stored version of a resource, oldest first (beyond the TMF620 spec)."""
        resource, id, scope = RESOURCES[segments[0]], segments[1], tenant_scope(request)
        entries = await run_unit(
            request,
            lambda uow: service.history(uow, scope=scope, resource=resource, id=id, base=self.base),
            write=False,
        )
        return self._json([self._entry(e) for e in entries])

    async def version(self, request: Request, segments: list[str]) -> Response:
        """One stored version of a resource (beyond the TMF620 spec)."""
        resource, id, scope = RESOURCES[segments[0]], segments[1], tenant_scope(request)
        if not segments[3].isascii() or not segments[3].isdigit():
            raise TmfError(404, "not_found", f"{segments[3]!r} is not a version number")
        number = int(segments[3])
        entry = await run_unit(
            request,
            lambda uow: service.version(
                uow, scope=scope, resource=resource, id=id, number=number, base=self.base
            ),
            write=False,
        )
        return self._json(self._entry(entry), 200, {"ETag": _etag(entry.version)})


def tmf620_routes(settings: Settings) -> list[BaseRoute]:
    """The TMF620 API under the standard and the Oracle base paths (same data, href per request)."""
    oracle = settings.tmf_names == "oracle"
    return [
        Route(base.rstrip("/") + "{rest:path}", endpoint=TmfApi(base, oracle_names=oracle))
        for base in BASE_PATHS
    ]
