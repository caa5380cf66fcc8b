"""The xcore HTTP routes under /data/core/xcore/: home, instances (CRUD, list), search, OpenAPI."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from offer_catalog.documents import service as documents
from offer_catalog.documents.model import Document
from offer_catalog.documents.query import AllOf, Condition, Page, Query
from offer_catalog.http import json_response, run_unit
from offer_catalog.offer_library import hal, listing, media, search, service
from offer_catalog.offer_library.containers import list_containers, require_container
from offer_catalog.offer_library.errors import answers_problems
from offer_catalog.offer_library.inputs import parse_etags, read_json, request_kind, unwrap
from offer_catalog.offer_library.openapi import openapi_document
from offer_catalog.offer_library.tenancy import Caller, caller_of
from offer_catalog.offer_library.validation import PqlCompiler
from offer_catalog.patch import compile_json_patch
from offer_catalog.resources.offer_library import ALL, BY_NAME
from offer_catalog.settings import Settings
from offer_catalog.store.base import UnitOfWork

BODY_TYPES = (media.SCHEMA_INSTANCE, media.HAL, media.JSON)
PATCH_TYPES = (media.PATCH_HAL, media.JSON_PATCH, media.SCHEMA_INSTANCE)
RECEIPT_TYPES = (media.RECEIPT, media.JSON)
HAL_TYPES = (media.HAL, media.JSON)
INSTANCE_KINDS = tuple(spec.name for spec in ALL)
T = TypeVar("T")


def _etag(doc: Document) -> str:
    return f'"{doc.version}"'


def _receipt(
    doc: Document, accept: str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return json_response(
        hal.receipt(doc), status, {"ETag": _etag(doc), **(headers or {})}, media.with_params(accept)
    )


class XcoreApi:
    """The xcore endpoints, holding what the application wires in (the PQL compiler)."""

    def __init__(self, compile_pql: PqlCompiler | None):
        self.compile_pql = compile_pql
        self._openapi: dict[str, Any] | None = None

    async def openapi(self, request: Request) -> Response:
        """The OpenAPI 3.1 description of these routes."""
        if self._openapi is None:
            self._openapi = openapi_document()
        return json_response(self._openapi)

    @answers_problems
    async def home(self, request: Request) -> Response:
        """The caller's containers (home.hal), optionally filtered with `property=`."""
        caller = caller_of(request)
        accept = media.negotiate(request.headers.get("accept"), (media.HOME_HAL, media.JSON))
        filters = [
            listing.parse_property(v) for k, v in request.query_params.multi_items() if k == "property"
        ]
        where: Condition | None = AllOf(tuple(filters)) if filters else None

        def work(uow: UnitOfWork) -> list[Document]:
            return list_containers(uow, org=caller.org, sandbox=caller.sandbox, where=where)

        docs = await run_unit(request, work, write=False)
        href = listing.self_href(request.url.path, request.url.query)
        return json_response(hal.home(docs, href), media_type=media.with_params(accept))

    @answers_problems
    async def container(self, request: Request) -> Response:
        """One of the caller's containers."""
        caller = caller_of(request)
        accept = media.negotiate(request.headers.get("accept"), HAL_TYPES)
        container_id = request.path_params["container_id"]
        doc = await run_unit(request, lambda uow: require_container(uow, caller, container_id), write=False)
        return json_response(
            hal.container_entry(doc), media_type=media.with_params(accept, media.CONTAINER_SCHEMA)
        )

    @answers_problems
    async def instances(self, request: Request) -> Response:
        """POST creates an instance; GET lists and looks up instances."""
        if request.method == "POST":
            return await self._create(request)
        return await self._list(request, searching=False)

    @answers_problems
    async def search(self, request: Request) -> Response:
        """Full-text search with the list parameters."""
        return await self._list(request, searching=True)

    @answers_problems
    async def instance(self, request: Request) -> Response:
        """GET, PUT, PATCH or DELETE one instance."""
        caller = caller_of(request)
        container_id = request.path_params["container_id"]
        instance_id = request.path_params["instance_id"]
        if request.method == "GET" or request.method == "HEAD":
            return await self._get(request, caller, container_id, instance_id)
        if request.method == "DELETE":
            accept = media.negotiate(request.headers.get("accept"), RECEIPT_TYPES)
            etags = parse_etags(request.headers.get("if-match"))
            doc = await run_unit(
                request,
                lambda uow: service.delete_instance(
                    uow, caller=caller, container_id=container_id, instance_id=instance_id, etags=etags
                ),
                write=True,
            )
            return _receipt(doc, accept)
        if request.method == "PATCH":
            return await self._patch(request, caller, container_id, instance_id)
        return await self._put(request, caller, container_id, instance_id)

    async def _get(self, request: Request, caller: Caller, container_id: str, instance_id: str) -> Response:
        accept = media.negotiate(request.headers.get("accept"), HAL_TYPES)
        doc = await run_unit(
            request,
            lambda uow: service.get_instance(
                uow, caller=caller, container_id=container_id, instance_id=instance_id
            ),
            write=False,
        )
        none_match = parse_etags(request.headers.get("if-none-match"))
        if none_match == service.ANY or (isinstance(none_match, frozenset) and doc.version in none_match):
            return Response(status_code=304, headers={"ETag": _etag(doc)})
        return json_response(
            hal.instance_document(doc, caller.sandbox),
            headers={"ETag": _etag(doc)},
            media_type=media.with_params(accept, BY_NAME[doc.kind].schema_id),
        )

    async def _create(self, request: Request) -> Response:
        caller = caller_of(request)
        container_id = request.path_params["container_id"]
        content = media.content_type(request.headers.get("content-type"), BODY_TYPES)
        accept = media.negotiate(request.headers.get("accept"), RECEIPT_TYPES)
        spec = request_kind(content, request.query_params.multi_items(), required=True)
        assert spec is not None
        instance, document = unwrap(await read_json(request), content)
        doc = await run_unit(
            request,
            lambda uow: service.create_instance(
                uow,
                caller=caller,
                container_id=container_id,
                spec=spec,
                instance=instance,
                compile_pql=self.compile_pql,
                document=document,
            ),
            write=True,
        )
        headers = {"Location": hal.instance_href(container_id, doc.id), "Content-Base": f"{hal.BASE}/"}
        return _receipt(doc, accept, 201, headers)

    async def _put(self, request: Request, caller: Caller, container_id: str, instance_id: str) -> Response:
        content = media.content_type(request.headers.get("content-type"), BODY_TYPES)
        accept = media.negotiate(request.headers.get("accept"), RECEIPT_TYPES)
        spec = request_kind(content, request.query_params.multi_items(), required=False)
        etags = parse_etags(request.headers.get("if-match"))
        instance, document = unwrap(await read_json(request), content)
        doc = await run_unit(
            request,
            lambda uow: service.replace_instance(
                uow,
                caller=caller,
                container_id=container_id,
                instance_id=instance_id,
                spec=spec,
                document=document,
                instance=instance,
                etags=etags,
                compile_pql=self.compile_pql,
            ),
            write=True,
        )
        return _receipt(doc, accept)

    async def _patch(self, request: Request, caller: Caller, container_id: str, instance_id: str) -> Response:
        content = media.content_type(request.headers.get("content-type"), PATCH_TYPES)
        accept = media.negotiate(request.headers.get("accept"), RECEIPT_TYPES)
        spec = request_kind(content, request.query_params.multi_items(), required=False)
        etags = parse_etags(request.headers.get("if-match"))
        plan = compile_json_patch(await read_json(request))
        doc = await run_unit(
            request,
            lambda uow: service.patch_instance(
                uow,
                caller=caller,
                container_id=container_id,
                instance_id=instance_id,
                spec=spec,
                plan=plan,
                etags=etags,
                compile_pql=self.compile_pql,
            ),
            write=True,
        )
        return _receipt(doc, accept)

    async def _list(self, request: Request, *, searching: bool) -> Response:
        caller = caller_of(request)
        container_id = request.path_params["container_id"]
        accept = media.negotiate(request.headers.get("accept"), HAL_TYPES)
        params = request.query_params.multi_items()
        spec = listing.parse_list(params)
        q, paths = "", []
        if searching:
            q = next((v for k, v in params if k == "q"), "")
            paths = search.search_paths(spec.kinds, [v for k, v in params if k == "field" and v])
            found = search.search_condition(q, next((v for k, v in params if k == "qop"), None), paths)
            if found is not None:
                spec = replace(spec, where=found if spec.where is None else AllOf((spec.where, found)))
        query = Query(
            kinds=spec.kinds or INSTANCE_KINDS,
            where=spec.where,
            sort=spec.sort,
            limit=spec.limit,
            after=spec.after,
        )

        def work(uow: UnitOfWork) -> Page:
            require_container(uow, caller, container_id)
            return documents.list_documents(uow, scope=container_id, query=query)

        page = await run_unit(request, work, write=False, scan=True)
        items = []
        for doc in page.items:
            item = hal.instance_document(doc, caller.sandbox)
            item["_score"] = search.score(doc.body, q, paths) if q else 0
            items.append(item)
        total = page.total or 0
        next_href = None
        if page.items and total > len(page.items):
            start = listing.start_after(page.items[-1], spec.sort)
            next_href = listing.next_href(request.url.path, params, start, spec.order_text)
        body = hal.results(
            container_id=container_id,
            schema=spec.schema,
            items=items,
            total=total,
            self_href=listing.self_href(request.url.path, request.url.query),
            next_href=next_href,
        )
        return json_response(body, media_type=media.with_params(accept, media.RESULTS_SCHEMA))


def offer_library_routes(settings: Settings, *, compile_pql: PqlCompiler | None = None) -> list[BaseRoute]:
    """The Offer Library ("xcore") repository routes; compile_pql checks saved rules and formulas."""
    api = XcoreApi(compile_pql)
    base = hal.BASE
    return [
        Route(f"{base}/", api.home, methods=["GET"]),
        Route(base, api.home, methods=["GET"]),
        Route(f"{base}/openapi.json", api.openapi, methods=["GET"]),
        Route(f"{base}/containers/{{container_id}}", api.container, methods=["GET"]),
        Route(f"{base}/{{container_id}}/instances", api.instances, methods=["GET", "POST"]),
        Route(
            f"{base}/{{container_id}}/instances/{{instance_id}}",
            api.instance,
            methods=["GET", "PUT", "PATCH", "DELETE"],
        ),
        Route(f"{base}/{{container_id}}/queries/core/search", api.search, methods=["GET"]),
    ]
