"""The Offer Library ("xcore") API under /data/core/xcore/: home, instances (CRUD, list), search, OpenAPI."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from offer_catalog import http
from offer_catalog.documents import service as documents
from offer_catalog.documents.model import Document
from offer_catalog.documents.query import AllOf, Condition, Page, Query
from offer_catalog.http import Operation
from offer_catalog.offer_library import api_doc as d
from offer_catalog.offer_library import deletion, hal, listing, media, search, service
from offer_catalog.offer_library.containers import list_containers, require_container
from offer_catalog.offer_library.errors import ERRORS, render_problem
from offer_catalog.offer_library.inputs import request_kind, unwrap
from offer_catalog.offer_library.tenancy import caller_of
from offer_catalog.offer_library.validation import PqlCompiler
from offer_catalog.openapi import Doc, Reply, ref
from offer_catalog.patch import compile_json_patch
from offer_catalog.resources.offer_library import ALL, BY_NAME
from offer_catalog.settings import Settings
from offer_catalog.store.base import UnitOfWork

BODY_TYPES, PATCH_TYPES, RECEIPT_TYPES, HAL_TYPES = d.BODY_TYPES, d.PATCH_TYPES, d.RECEIPT_TYPES, d.HAL_TYPES
INSTANCE_KINDS = tuple(spec.name for spec in ALL)
T = TypeVar("T")


def _receipt(
    doc: Document, accept: str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return http.json_response(
        hal.receipt(doc),
        status,
        {"ETag": http.etag(doc.version), **(headers or {})},
        media.with_params(accept),
    )


class XcoreApi:
    """The xcore endpoints, holding what the application wires in (the PQL compiler)."""

    def __init__(self, compile_pql: PqlCompiler | None, representations: http.Representations | None = None):
        self.compile_pql = compile_pql
        # Encoded instance documents by stored version and sandbox (http/representations.py).
        self.representations = representations or http.Representations(0, 0)

    async def home(self, request: Request) -> Response:
        """The caller's containers (home.hal), optionally filtered with `property=`."""
        caller = caller_of(request)
        accept = media.negotiate(request.headers.get("accept"), (media.HOME_HAL, media.JSON))
        filters = [
            listing.parse_property(text)
            for k, v in http.query_items(request)
            if k == "property"
            for text in listing.split_expressions(v)
        ]
        where: Condition | None = AllOf(tuple(filters)) if filters else None

        def work(uow: UnitOfWork) -> list[Document]:
            return list_containers(uow, org=caller.org, sandbox=caller.sandbox, where=where)

        docs = await http.run_unit(request, work, write=False)
        href = listing.self_href(request.url.path, request.url.query)
        return http.json_response(hal.home(docs, href), media_type=media.with_params(accept))

    async def container(self, request: Request) -> Response:
        """One of the caller's containers."""
        caller = caller_of(request)
        accept = media.negotiate(request.headers.get("accept"), HAL_TYPES)
        container_id = request.path_params["container_id"]
        doc = await http.run_unit(
            request, lambda uow: require_container(uow, caller, container_id), write=False
        )
        return http.json_response(
            hal.container_entry(doc), media_type=media.with_params(accept, media.CONTAINER_SCHEMA)
        )

    async def search(self, request: Request) -> Response:
        """Full-text search with the list parameters."""
        return await self._list(request, searching=True)

    async def list_instances(self, request: Request) -> Response:
        """List and look up a container's instances (HAL results, keyset paging)."""
        return await self._list(request, searching=False)

    async def delete(self, request: Request) -> Response:
        """Delete an instance (refused while others reference it): 202 + Location of the outcome, or,
        with `Prefer: return=representation`, the receipt (or the 409) at once."""
        caller = caller_of(request)
        container_id, instance_id = request.path_params["container_id"], request.path_params["instance_id"]
        accept = media.negotiate(request.headers.get("accept"), RECEIPT_TYPES)
        expected = http.if_match(request)
        if not deletion.wants_outcome(request):
            kept = await http.run_unit(
                request,
                lambda uow: deletion.delete_or_keep(
                    uow, caller=caller, container_id=container_id, instance_id=instance_id, expected=expected
                ),
                write=True,
            )
            location = deletion.outcome_href(container_id, kept)
            return Response(status_code=202, headers={"Location": location})
        doc = await http.run_unit(
            request,
            lambda uow: service.delete_instance(
                uow, caller=caller, container_id=container_id, instance_id=instance_id, expected=expected
            ),
            write=True,
        )
        return _receipt(doc, accept, headers={"Preference-Applied": "return=representation"})

    async def deletion_outcome(self, request: Request) -> Response:
        """The outcome of an asynchronous delete: 200 with its confirmation or rejection."""
        caller = caller_of(request)
        params = request.path_params
        accept = media.negotiate(request.headers.get("accept"), HAL_TYPES)
        body = await http.run_unit(
            request,
            lambda uow: deletion.outcome(
                uow,
                caller=caller,
                container_id=params["container_id"],
                kind=params["kind"],
                instance_id=params["instance_id"],
                version=params["version"],
            ),
            write=False,
        )
        return http.json_response(body, media_type=media.with_params(accept, deletion.OUTCOME_SCHEMA))

    async def get(self, request: Request) -> Response:
        """One instance's HAL document, with its ETag (304 when If-None-Match names it)."""
        caller = caller_of(request)
        container_id, instance_id = request.path_params["container_id"], request.path_params["instance_id"]
        accept = media.negotiate(request.headers.get("accept"), HAL_TYPES)
        stored = await http.run_unit(
            request,
            lambda uow: service.get_instance(
                uow, caller=caller, container_id=container_id, instance_id=instance_id
            ),
            write=False,
        )
        if http.if_none_match(request, stored.version):
            return Response(status_code=304, headers={"ETag": http.etag(stored.version)})
        # The document depends on the stored version and the sandbox it is named in (the Accept header
        # changes the media type only).
        cache = self.representations
        key, stamp = (stored.scope, stored.kind, stored.id), (stored.version, stored.modified_at)
        body = cache.get(key, stamp, caller.sandbox)
        if body is None:
            body = orjson.dumps(hal.instance_document(stored.document(), caller.sandbox))
            cache.put(key, stamp, caller.sandbox, body)
        return http.encoded_response(
            body,
            headers={"ETag": http.etag(stored.version)},
            media_type=media.with_params(accept, BY_NAME[stored.kind].schema_id),
        )

    async def create(self, request: Request) -> Response:
        """Create an instance of the kind the request names; answers its receipt (201)."""
        caller = caller_of(request)
        container_id = request.path_params["container_id"]
        content = media.content_type(request.headers.get("content-type"), BODY_TYPES)
        accept = media.negotiate(request.headers.get("accept"), RECEIPT_TYPES)
        spec = request_kind(content, http.query_items(request), required=True)
        assert spec is not None
        instance, document = unwrap(await http.read_json(request), content)
        doc = await http.run_unit(
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

    def _edit(self, request: Request, types: tuple[str, ...]) -> tuple[service.Edit, media.MediaType, str]:
        caller = caller_of(request)
        content = media.content_type(request.headers.get("content-type"), types)
        edit = service.Edit(
            caller=caller,
            container_id=request.path_params["container_id"],
            instance_id=request.path_params["instance_id"],
            spec=request_kind(content, http.query_items(request), required=False),
            expected=http.if_match(request),
            compile_pql=self.compile_pql,
        )
        return edit, content, media.negotiate(request.headers.get("accept"), RECEIPT_TYPES)

    async def put(self, request: Request) -> Response:
        """Replace an instance (If-Match honoured); answers its receipt."""
        edit, content, accept = self._edit(request, BODY_TYPES)
        instance, document = unwrap(await http.read_json(request), content)
        doc = await http.run_unit(
            request,
            lambda uow: service.replace_instance(uow, edit, document=document, instance=instance),
            write=True,
        )
        return _receipt(doc, accept)

    async def patch(self, request: Request) -> Response:
        """JSON Patch an instance's HAL document atomically (If-Match honoured); answers its receipt."""
        edit, _content, accept = self._edit(request, PATCH_TYPES)
        plan = compile_json_patch(await http.read_json(request))
        doc = await http.run_unit(
            request, lambda uow: service.patch_instance(uow, edit, plan=plan), write=True
        )
        return _receipt(doc, accept)

    async def _list(self, request: Request, *, searching: bool) -> Response:
        caller = caller_of(request)
        container_id = request.path_params["container_id"]
        accept = media.negotiate(request.headers.get("accept"), HAL_TYPES)
        params = http.query_items(request)
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

        page = await http.run_unit(request, work, write=False, scan=True)
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
        return http.json_response(body, media_type=media.with_params(accept, media.RESULTS_SCHEMA))


def offer_library_api(
    *, compile_pql: PqlCompiler | None = None, representations: http.Representations | None = None
) -> http.Api:
    """The Offer Library ("xcore") API; compile_pql checks saved rules and formulas; representations:
    the cache of GET instance answers (none: not cached)."""
    api = XcoreApi(compile_pql, representations)
    base = hal.BASE
    home = Doc(
        "listContainers",
        "List the caller's containers",
        {200: Reply("containers", ref("Home"), (media.HOME_HAL, media.JSON))},
        (400, 401, 403, 406),
        (d.PROPERTY,),
    )
    routes = [
        http.ApiRoute(f"{base}/", {"GET": Operation(api.home, home)}, name="home"),
        http.ApiRoute(base, {"GET": Operation(api.home, replace(home, operation_id="listContainersAtBase"))}),
        http.ApiRoute(
            f"{base}/containers/{{container_id}}",
            {
                "GET": Operation(
                    api.container,
                    Doc(
                        "getContainer",
                        "One of the caller's containers",
                        {200: d.hal("container", "Container")},
                        (401, 403, 404, 406),
                    ),
                )
            },
            name="container",
        ),
        http.ApiRoute(
            f"{base}/{{container_id}}/instances",
            {
                "GET": Operation(
                    api.list_instances, d.page("listInstances", "List or look up instances", d.LIST_PARAMS)
                ),
                "POST": Operation(
                    api.create,
                    Doc(
                        "createInstance",
                        "Create an instance (kind named by the schema parameter)",
                        {201: d.receipt("created; Location names the new instance")},
                        (400, 401, 403, 404, 406, 409, 413, 415, 422),
                        (d.CREATE_SCHEMA,),
                        d.INSTANCE_BODY,
                    ),
                ),
            },
            name="instances",
        ),
        http.ApiRoute(
            f"{base}/{{container_id}}/instances/{{instance_id}}",
            {
                "GET": Operation(
                    api.get,
                    Doc(
                        "getInstance",
                        "Read one instance (If-None-Match gives 304 when current)",
                        {200: d.hal("the instance", "InstanceDocument"), 304: Reply("not modified")},
                        (401, 403, 404, 406),
                        (d.IF_NONE_MATCH,),
                    ),
                ),
                "PUT": Operation(
                    api.put,
                    Doc(
                        "replaceInstance",
                        "Replace an instance",
                        {200: d.receipt("replaced")},
                        d.WRITE_ERRORS,
                        (d.IF_MATCH,),
                        d.INSTANCE_BODY,
                    ),
                ),
                "PATCH": Operation(
                    api.patch,
                    Doc(
                        "patchInstance",
                        "JSON Patch the instance's HAL document (paths like /_instance/xdm:status)",
                        {200: d.receipt("patched")},
                        d.WRITE_ERRORS,
                        (d.IF_MATCH,),
                        d.PATCH_BODY,
                    ),
                ),
                "DELETE": Operation(
                    api.delete,
                    Doc(
                        "deleteInstance",
                        "Delete an instance nothing references: 202 and the Location of the outcome, or with"
                        " Prefer: return=representation the receipt at once (else 409 listing the referrers)",
                        {
                            202: Reply("accepted: GET the Location for the outcome", headers=d.LOCATION),
                            200: d.receipt("deleted"),
                        },
                        (400, 401, 403, 404, 406, 409),
                        (d.IF_MATCH, d.PREFER),
                    ),
                ),
            },
            name="instance",
        ),
        http.ApiRoute(
            f"{base}/{{container_id}}/queries/core/search",
            {
                "GET": Operation(
                    api.search, d.page("search", "Full-text search", (*d.LIST_PARAMS, *d.SEARCH_PARAMS))
                )
            },
            name="search",
        ),
        http.ApiRoute(
            f"{base}/{{container_id}}/deletions/{{kind}}/{{instance_id}}/{{version}}",
            {
                "GET": Operation(
                    api.deletion_outcome,
                    Doc(
                        "getDeletionOutcome",
                        "The outcome of a delete: its confirmation (receipt) or rejection (referrers)",
                        {200: Reply("the outcome", {"type": "object"}, HAL_TYPES)},
                        (401, 403, 404, 406),
                    ),
                )
            },
            name="deletion",
        ),
    ]
    return http.Api(routes, errors=ERRORS, render=render_problem, doc=d.API_DOC)


def offer_library_routes(
    settings: Settings,
    *,
    compile_pql: PqlCompiler | None = None,
    representations: http.Representations | None = None,
) -> list[BaseRoute]:
    """The Offer Library API mounted under its base path (representations: the process's cache of GET
    answers; none: one of the settings' size)."""
    if representations is None:
        representations = http.Representations(settings.get_cache_entries, settings.get_cache_bytes)
    api = offer_library_api(compile_pql=compile_pql, representations=representations)
    return [http.api_mount([hal.BASE], api)]
