"""TMF620 `exportJob` and `importJob` over HTTP: create, list, get, delete, and the exported file.

`POST /exportJob {"path"?, "query"?}` exports the organisation's resources (one collection when `path`
names it) matching the TMF630 `query` to a file under the export directory, served at the job's `url`
(`<base>exportJob/{id}/file`); a `path` or `query` it cannot apply makes a job that fails (errorLog).
`POST /importJob {"url"}` imports a file of the export directory (its
name, or an export job's `url`); `POST /importJob` with an `application/x-ndjson` body imports the
uploaded file. Jobs answer 201 at once (`Not Started`) and run in the background (events/jobs.py).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute

from offer_catalog.documents.model import Document
from offer_catalog.errors import NotFound, ValidationFailed
from offer_catalog.events import jobs
from offer_catalog.events.api_doc import JobDocs
from offer_catalog.http import (
    ApiRoute,
    BodyTooLarge,
    Operation,
    json_response,
    query_string,
    read_json,
    run_unit,
)
from offer_catalog.resources.dates import parse_date_time
from offer_catalog.resources.uris import is_uri
from offer_catalog.settings import Settings
from offer_catalog.tmf620.errors import TmfError
from offer_catalog.tmf620.fields import project, selection_tree
from offer_catalog.tmf620.names import to_oracle, to_standard
from offer_catalog.tmf620.query import page_number, parse_retrieve
from offer_catalog.tmf620.resources import V5_BASE_PATHS
from offer_catalog.tmf620.tenancy import tenant_scope

META = frozenset({"@type", "@baseType", "@schemaLocation", "contentType"})
MANAGED = frozenset({"completionDate", "creationDate", "errorLog", "status"})
"""Members of the specification's ExportJob_Create / ImportJob_Create the service manages: read, ignored."""
EXPORT_INPUT = META | MANAGED | {"path", "query", "url"}
"""ExportJob_Create's members (its `url`, required by the specification, is the service's: ignored)."""
IMPORT_INPUT = META | MANAGED | {"url", "path"}
DATES = frozenset({"completionDate", "creationDate"})
STRINGS = frozenset({"@type", "@baseType", "@schemaLocation", "contentType", "path", "query", "url"})
MAX_UPLOAD = 1024 * 1024 * 1024
"""Bytes an uploaded import file may hold."""
_TYPES = {jobs.EXPORT: "ExportJob", jobs.IMPORT: "ImportJob"}
_SHOWN = ("status", "creationDate", "completionDate", "contentType", "path", "query", "errorLog", "progress")


def _required_url(body: dict[str, Any]) -> str:
    # The specification requires `url` in both ExportJob_Create and ImportJob_Create.
    if "url" not in body:
        raise ValidationFailed("url is required", code="required:url")
    url: str = body["url"]
    return url


def _input(body: Any, allowed: frozenset[str], name: str, *, v5: bool) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationFailed(f"the body must be a {name} object", code="invalid_body")
    if v5:
        # v5's `<Job>_FVO` is an Entity_FVO: a string `id` (the service's: ignored) and a required `@type`.
        allowed |= {"id"}
    # Members beyond the specification's are ignored (its schemas take them, as every TMF620 write
    # does, a null among them too); a member the specification declares is not nullable; the
    # server-managed ones are checked against the specification's types, then ignored.
    for member in sorted(allowed & set(body)):
        if body[member] is None:
            raise ValidationFailed(f"{member} may not be null", code=f"invalid_type:{member}")
    body = {k: v for k, v in body.items() if k in allowed}
    if v5 and "@type" not in body:
        raise ValidationFailed("@type is required", code="required:@type")
    for member in sorted(set(body) & (MANAGED | STRINGS | {"id"})):
        value = body[member]
        if not isinstance(value, str):
            raise ValidationFailed(f"{member} must be a string", code=f"invalid_type:{member}")
        if member in DATES and parse_date_time(value) is None:
            raise ValidationFailed(f"{member} must be an RFC 3339 date-time", code=f"invalid_value:{member}")
    location = body.get("@schemaLocation")
    # v4.0.0 types it `format: uri`; v5's Extensible any string.
    if location is not None and not v5 and not is_uri(location):
        raise ValidationFailed("@schemaLocation must be a URI", code="invalid_value:@schemaLocation")
    if "status" in body and body["status"] not in jobs.STATUS.values():
        raise ValidationFailed("status must be a JobStateType", code="invalid_value:status")
    if body.get("contentType", jobs.CONTENT_TYPE) not in jobs.CONTENT_TYPES:
        # Refused at once (nothing stored): a job could never read or write such a file.
        raise ValidationFailed(
            f"contentType must be one of {', '.join(jobs.CONTENT_TYPES)}", code="invalid_value:contentType"
        )
    return {k: v for k, v in body.items() if k not in MANAGED | {"id"}}


def _format(body: dict[str, Any]) -> dict[str, str]:
    return {"contentType": body.get("contentType", jobs.CONTENT_TYPE)}


class JobEndpoints:
    """Both job collections under one base path."""

    def __init__(self, base: str, settings: Settings) -> None:
        self.base = base
        self.v5 = base in V5_BASE_PATHS  # v5 jobs are Extensible: `fields` keeps their @type
        self.oracle = settings.tmf_names == "oracle"
        self.directory = Path(settings.export_dir) if settings.export_dir else None

    def _dir(self) -> Path:
        if self.directory is None:
            raise TmfError(503, "export_dir_not_configured", "jobs need OFFER_CATALOG_EXPORT_DIR")
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory

    def view(self, doc: Document, request: Request | None = None) -> dict[str, Any]:
        """The specification's ExportJob / ImportJob (plus `progress`: lines handled so far)."""
        href = f"{self.base}{doc.kind}/{doc.id}"
        # v5 types an export's `url` as an absolute URI: the file's address on the requested host.
        origin = str(request.base_url).rstrip("/") if self.v5 and request is not None else ""
        out: dict[str, Any] = {"id": doc.id, "href": href}
        out.update({name: doc.body[name] for name in _SHOWN if doc.body.get(name) is not None})
        if "status" in out:
            out["status"] = jobs.STATUS.get(out["status"], out["status"])
        out["url"] = f"{origin}{href}/file" if doc.kind == jobs.EXPORT else doc.body.get("url")
        out["@type"] = _TYPES[doc.kind]
        return out

    def _json(self, content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return json_response(to_oracle(content) if self.oracle else content, status, headers)

    async def _create(self, request: Request, kind: str, id: str, body: dict[str, Any]) -> Response:
        scope = tenant_scope(request)
        doc = await run_unit(
            request, lambda uow: jobs.create_job(uow, kind=kind, scope=scope, id=id, body=body), write=True
        )
        result = self.view(doc, request)
        return self._json(result, 201, {"Location": result["href"]})

    async def create_export(self, request: Request) -> Response:
        """Queue an export of the organisation's resources: 201, the job (Not Started)."""
        body = _input(to_standard(await read_json(request)), EXPORT_INPUT, "ExportJob_Create", v5=self.v5)
        _required_url(body)
        self._dir()
        # The specification takes any string as `path` and `query`: one naming no collection, or no
        # TMF630 filter, makes a job that fails at once, its errorLog saying why (as an import's url).
        # The path is kept as sent (shown back); the job reads the collection it names when it runs.
        id, format = str(uuid.uuid4()), _format(body)
        state = {
            "path": body.get("path"),
            "query": body.get("query"),
            "ownedFile": f"export-{id}.{jobs.extension(format['contentType'])}",
            **format,
        }
        return await self._create(request, jobs.EXPORT, id, state)

    async def create_import(self, request: Request) -> Response:
        """Queue an import of a file of the export directory, or of the uploaded NDJSON body: 201."""
        directory, id = self._dir(), str(uuid.uuid4())
        media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        if media == jobs.CONTENT_TYPE:
            name = f"import-{id}.ndjson"
            await _receive(request, directory / name)
            state: dict[str, Any] = {"file": name, "ownedFile": name, "url": name}
        else:
            body = _input(to_standard(await read_json(request)), IMPORT_INPUT, "ImportJob_Create", v5=self.v5)
            url = _required_url(body)
            source = await self._source(request, url)
            # `path` (the specification's root resource the file applies to) is kept as sent, shown back.
            state = {"url": url, "path": body.get("path"), **_format(body)}
            if source is not None:
                state["file"] = source
        return await self._create(request, jobs.IMPORT, id, state)

    async def _source(self, request: Request, url: Any) -> str | None:
        # An export job's url (`.../exportJob/{id}/file`) names that job's file; else a file name.
        if isinstance(url, str) and url.endswith("/file") and "/exportJob/" in url:
            export_id = url.rsplit("/", 2)[-2]
            scope = tenant_scope(request)
            try:
                doc = await run_unit(
                    request,
                    lambda uow: jobs.get_job(uow, kind=jobs.EXPORT, scope=scope, id=export_id),
                    write=False,
                )
            except NotFound:
                return None  # no such export (of this organisation): the job fails, as below
            return str(doc.body["ownedFile"])
        try:
            return jobs.file_name(url)
        except ValidationFailed:
            # The specification takes any url: one naming no file of the export directory makes a job
            # that fails (errorLog says why) without reading anything.
            return None

    async def list_all(self, request: Request) -> Response:
        """The organisation's jobs, newest first; `offset`, `limit`, `fields`."""
        kind, scope = _kind(request), tenant_scope(request)
        params = dict(request.query_params)
        offset = page_number("offset", params["offset"]) if "offset" in params else 0
        limit = page_number("limit", params["limit"]) if "limit" in params else 1000
        docs = await run_unit(request, lambda uow: jobs.list_jobs(uow, kind=kind, scope=scope), write=False)
        tree = _fields(request)
        page = docs[offset : offset + limit]
        items = [project(self.view(doc, request), tree, v5=self.v5) for doc in page]
        return self._json(items, 200, {"X-Total-Count": str(len(docs)), "X-Result-Count": str(len(items))})

    async def retrieve(self, request: Request) -> Response:
        """One job."""
        doc = await self._job(request)
        return self._json(project(self.view(doc, request), _fields(request), v5=self.v5))

    async def delete(self, request: Request) -> Response:
        """Delete a job and the file it wrote: 204."""
        kind, scope, id = _kind(request), tenant_scope(request), request.path_params["id"]
        directory = self.directory
        await run_unit(
            request,
            lambda uow: jobs.delete_job(uow, kind=kind, scope=scope, id=id, directory=directory),
            write=True,
        )
        return Response(status_code=204, headers={"Content-Type": "application/json;charset=utf-8"})

    async def file(self, request: Request) -> Response:
        """The exported file of a succeeded export job (409 until it has succeeded)."""
        doc = await self._job(request)
        if doc.body.get("status") != jobs.SUCCEEDED:
            shown = jobs.STATUS.get(doc.body.get("status", ""), "unknown")
            raise TmfError(409, "job_not_succeeded", f"the export job is {shown}")
        path = self._dir() / doc.body["ownedFile"]
        if not path.is_file():
            raise TmfError(404, "not_found", "the exported file is gone")
        media = doc.body.get("contentType", jobs.CONTENT_TYPE)
        return FileResponse(path, media_type=media, filename=f"{doc.id}.{jobs.extension(media)}")

    async def _job(self, request: Request) -> Document:
        kind, scope, id = _kind(request), tenant_scope(request), request.path_params["id"]
        return await run_unit(
            request, lambda uow: jobs.get_job(uow, kind=kind, scope=scope, id=id), write=False
        )


def _kind(request: Request) -> str:
    return jobs.EXPORT if "/exportJob" in request.url.path else jobs.IMPORT


def _fields(request: Request) -> Any:
    fields = parse_retrieve(query_string(request))
    return None if fields is None else selection_tree(fields)


async def _receive(request: Request, target: Path) -> None:
    size = 0
    partial = target.with_suffix(".part")
    try:
        with partial.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_UPLOAD:
                    raise BodyTooLarge(f"an upload may hold at most {MAX_UPLOAD} bytes")
                out.write(chunk)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def job_routes(base: str, settings: Settings) -> list[BaseRoute]:
    """The routes of both job collections under one base path."""
    ep = JobEndpoints(base, settings)
    routes: list[BaseRoute] = []
    for kind, create in ((jobs.EXPORT, ep.create_export), (jobs.IMPORT, ep.create_import)):
        at, doc = f"{base}{kind}", JobDocs(_TYPES[kind])
        collection = {"GET": Operation(ep.list_all, doc.listing()), "POST": Operation(create, doc.create())}
        routes.append(ApiRoute(at, collection, name=kind))
        item = {"GET": Operation(ep.retrieve, doc.retrieve()), "DELETE": Operation(ep.delete, doc.delete())}
        routes.append(ApiRoute(f"{at}/{{id}}", item, name=f"{kind}_item"))
    file = {"GET": Operation(ep.file, JobDocs(_TYPES[jobs.EXPORT]).file())}
    routes.append(ApiRoute(f"{base}{jobs.EXPORT}/{{id}}/file", file, name="exportJob_file"))
    return routes
