"""Batch decisioning jobs over HTTP, under the decisioning API.

POST /data/core/ode/{containerId}/batch-jobs starts a job, answering 202 with the job and its
`Location`. Profiles are either uploaded as the body (`Content-Type: application/x-ndjson`, one
`xdm:profiles` entry per line; the scopes as repeated `activityId` / `placementId` query parameters,
`itemCount` optional) or named in a JSON body relative to the configured profiles directory:
`{"profilesPath": "segment.ndjson", "xdm:propositionRequests": [{"xdm:activityId", "xdm:placementId",
"xdm:itemCount"}]}` (a path leaving the directory is refused). The scopes are checked against the
catalog before the job is created (the decision request codes, 422).

GET .../batch-jobs/{jobId} is the job (state queued | running | cancelling | completed | failed |
cancelled, `linesRead`, `decided`, `failed`, `resumed`, `error`); GET .../results the NDJSON result
lines written so far; POST .../cancel stops it after the current line. See batch_jobs.py for
resumption after a restart.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Final

from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute

from offer_catalog.decisioning.batch_jobs import InvalidJob, JobRunner, JobStore
from offer_catalog.decisioning.engine import validate
from offer_catalog.decisioning.request import parse_request
from offer_catalog.decisioning.service import Caches
from offer_catalog.decisioning.wire import ODE
from offer_catalog.http import ApiRoute, json_response, read_json, run_sync, store_of
from offer_catalog.http.body import BodyTooLarge
from offer_catalog.http.routing import Operation
from offer_catalog.offer_library.containers import require_container
from offer_catalog.offer_library.tenancy import caller_of
from offer_catalog.openapi import Body, Doc, Param, Reply
from offer_catalog.openapi.writes import writable
from offer_catalog.settings import Settings
from offer_catalog.store.base import Store

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
JOBS = f"{ODE}/{{container_id}}/batch-jobs"


class BatchJobsApi:
    """The batch job endpoints of one application (one runner per worker process)."""

    def __init__(self, settings: Settings, caches: Caches) -> None:
        profiles = Path(settings.batch_profiles_dir) if settings.batch_profiles_dir else None
        self.jobs = JobStore(Path(settings.batch_dir), profiles)
        self.runner = JobRunner(self.jobs, caches)
        self.caches = caches
        self.max_upload = settings.batch_max_upload_bytes

    def _ready(self, store: Store) -> None:
        self.runner.resume_all(store)

    async def create(self, request: Request) -> Response:
        """Start a job: profiles uploaded (NDJSON) or named in the profiles directory (JSON)."""
        caller = caller_of(request)
        container_id = request.path_params["container_id"]
        store = store_of(request)
        kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        upload = kind in NDJSON_TYPES
        if upload:
            scopes = _query_scopes(request)
            path = None
        else:
            body = await read_json(request)
            scopes, path = _json_scopes(body), _profiles_path(body)

        def check() -> Path | None:
            self._ready(store)
            snapshot = self.caches.snapshots.get(
                store, container_id, check=lambda uow: require_container(uow, caller, container_id)
            ).snapshot
            placeholder = {"xdm:identityMap": {"batch": [{"xdm:id": "check"}]}}
            requests = [{"xdm:activityId": a, "xdm:placementId": p, "xdm:itemCount": n} for a, p, n in scopes]
            validate(
                snapshot, parse_request({"xdm:propositionRequests": requests, "xdm:profiles": [placeholder]})
            )
            return None if path is None else self.jobs.resolve_profiles(path)

        resolved = await run_sync(check)
        job_id, folder = await run_sync(self.jobs.new_folder, container_id)
        try:
            if upload:
                size = 0
                with (folder / "input.ndjson").open("wb") as sink:
                    async for chunk in request.stream():
                        size += len(chunk)
                        if size > self.max_upload:
                            raise BodyTooLarge(f"uploads are limited to {self.max_upload} bytes")
                        sink.write(chunk)
            job = await run_sync(self.jobs.record, folder, container_id, scopes, resolved)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self.runner.start(store, container_id, job_id)
        location = f"{JOBS.format(container_id=container_id)}/{job_id}"
        return json_response(job, status_code=202, headers={"Location": location})

    async def status(self, request: Request) -> Response:
        """The job: state, counts, error (an unfinished job whose process is gone is resumed)."""
        job = await run_sync(self._owned, request, self.jobs.read)
        if job["state"] in ("queued", "running"):
            await run_sync(self.runner.adopt, store_of(request), job["containerId"], job["id"])
        return json_response(job)

    async def results(self, request: Request) -> Response:
        """The NDJSON result lines written so far, one per input profile, in input order."""
        chunks = await run_sync(self._owned, request, self.jobs.results)
        return StreamingResponse(iterate_in_threadpool(chunks), media_type="application/x-ndjson")

    async def cancel(self, request: Request) -> Response:
        """Stop the job after the line being decided; the lines written so far stay."""
        return json_response(await run_sync(self._owned, request, self.jobs.cancel), status_code=202)

    def _owned(self, request: Request, action: Any) -> Any:
        caller = caller_of(request)
        container_id = request.path_params["container_id"]
        store = store_of(request)
        with store.unit_of_work() as uow:
            require_container(uow, caller, container_id)
        self._ready(store)
        return action(container_id, request.path_params["job_id"])


def _query_scopes(request: Request) -> list[tuple[str, str, int]]:
    activities = request.query_params.getlist("activityId")
    placements = request.query_params.getlist("placementId")
    raw_count = request.query_params.get("itemCount", "1")
    if not activities or len(activities) != len(placements):
        raise InvalidJob("give one placementId for each activityId (at least one)", code="invalid_scopes")
    if not raw_count.isdigit() or not 1 <= int(raw_count) <= 30:
        raise InvalidJob("itemCount must be an integer 1..30", code="invalid_item_count")
    return [(a, p, int(raw_count)) for a, p in zip(activities, placements, strict=True)]


def _json_scopes(body: Any) -> list[tuple[str, str, int]]:
    if not isinstance(body, dict):
        raise InvalidJob("the body must be an object", code="invalid_request")
    placeholder = {"xdm:identityMap": {"batch": [{"xdm:id": "check"}]}}
    raw = body.get("xdm:propositionRequests", body.get("propositionRequests"))
    parsed = parse_request({"xdm:propositionRequests": raw, "xdm:profiles": [placeholder]})
    return [(s.activity_id, s.placement_id, s.item_count) for s in parsed.scopes]


def _profiles_path(body: dict[str, Any]) -> str:
    path = body.get("profilesPath")
    if not isinstance(path, str) or not path:
        raise InvalidJob(
            "profilesPath (a file in the profiles directory) is required", code="invalid_request"
        )
    return path


_STR: Final = {"type": "string"}
_INT: Final = {"type": "integer"}
JOB_SCHEMA: Final = {
    "type": "object",
    "properties": {
        "id": _STR,
        "containerId": _STR,
        "state": {"enum": ["queued", "running", "cancelling", "completed", "failed", "cancelled"]},
        "propositionRequests": {"type": "array", "items": {"type": "object"}},
        "profiles": {"type": "string", "description": "`upload`, or the profiles file read"},
        "linesRead": _INT,
        "decided": _INT,
        "failed": _INT,
        "resumed": {"type": "integer", "description": "times the job was resumed after a restart"},
        "error": {"type": ["object", "null"], "properties": {"code": _STR, "message": _STR}},
        "createdAt": {"type": "string", "format": "date-time"},
        "updatedAt": {"type": "string", "format": "date-time"},
    },
}
BY_PATH: Final = writable(
    {
        "type": "object",
        "required": ["profilesPath", "xdm:propositionRequests"],
        "properties": {
            "profilesPath": {
                "type": "string",
                "minLength": 1,
                "description": "relative to the configured profiles directory",
            },
            # The scopes are read as a decision request's (at least one, each an activity and a placement).
            "xdm:propositionRequests": {
                "$ref": "#/components/schemas/DecisionRequest/properties/xdm:propositionRequests"
            },
        },
    }
)
JOB_REPLY = Reply("the job", JOB_SCHEMA)
CREATE = Doc(
    "startBatchJob",
    "Start a batch decisioning job (profiles uploaded as NDJSON, or a file of the profiles directory)",
    {202: Reply("started", JOB_SCHEMA, headers={"Location": {"schema": _STR}})},
    (400, 401, 403, 404, 413, 415, 422),
    (
        Param("activityId", description="with an NDJSON upload, one per scope", many=True),
        Param("placementId", description="with an NDJSON upload, one per activityId", many=True),
        Param("itemCount", schema={"type": "integer", "minimum": 1, "maximum": 30}),
    ),
    body=Body(
        {
            NDJSON_TYPES[0]: {"type": "string", "description": "one profile per line"},
            "application/json": BY_PATH,
        }
    ),
)
STATUS = Doc("getBatchJob", "The job: state, progress, counts", {200: JOB_REPLY}, (401, 403, 404))
RESULTS = Doc(
    "getBatchJobResults",
    "The NDJSON result lines written so far, in input order",
    {200: Reply("results", _STR, (NDJSON_TYPES[0],))},
    (401, 403, 404),
)
CANCEL = Doc("cancelBatchJob", "Stop the job after the line being decided", {202: JOB_REPLY}, (401, 403, 404))


def batch_job_routes(settings: Settings, caches: Caches) -> list[BaseRoute]:
    """The batch job routes of the decisioning API."""
    api = BatchJobsApi(settings, caches)
    return [
        ApiRoute(JOBS, {"POST": Operation(api.create, CREATE)}, name="batch_jobs"),
        ApiRoute(f"{JOBS}/{{job_id}}", {"GET": Operation(api.status, STATUS)}, name="batch_job"),
        ApiRoute(
            f"{JOBS}/{{job_id}}/results", {"GET": Operation(api.results, RESULTS)}, name="batch_job_results"
        ),
        ApiRoute(
            f"{JOBS}/{{job_id}}/cancel", {"POST": Operation(api.cancel, CANCEL)}, name="batch_job_cancel"
        ),
    ]
