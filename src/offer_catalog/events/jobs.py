"""TMF620 import and export jobs: stored, run in the background by the relay's lease holder, resumable.

A job is a document (kind `exportJob` or `importJob`) in the jobs scope, its body the job's state:
the organisation (document scope) it acts in, `status` (`notStarted`, `running`, `succeeded`,
`failed`), dates, `errorLog`, `progress`, and the file under the export directory it writes or reads.
The process holding the relay lease runs the jobs that are not finished, one at a time in a thread;
one found `running` when no job runs here was interrupted (a restart, a takeover) and runs again from
the start: an export rewrites its file, an import re-applies its lines (already applied ones are
unchanged), so a job is never left `running`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from offer_catalog.documents import service as documents
from offer_catalog.documents.model import Actor, Document, utc_now
from offer_catalog.documents.query import Condition, Query
from offer_catalog.errors import DomainError, NotFound, ValidationFailed
from offer_catalog.events.transfer import TMF620, export_lines, import_lines
from offer_catalog.store.base import Store, UnitOfWork
from offer_catalog.tmf620.query import parse_list
from offer_catalog.tmf620.resources import RESOURCES

JOBS_SCOPE = "tmf620-jobs"
EXPORT, IMPORT = "exportJob", "importJob"
KINDS = (EXPORT, IMPORT)
NOT_STARTED, RUNNING, SUCCEEDED, FAILED = "notStarted", "running", "succeeded", "failed"
STATUS = {NOT_STARTED: "Not Started", RUNNING: "Running", SUCCEEDED: "Succeeded", FAILED: "Failed"}
"""A stored status as the specification's JobStateType spells it (what the API answers)."""
CONTENT_TYPE = "application/x-ndjson"
JSON = "application/json"
CONTENT_TYPES = (CONTENT_TYPE, JSON)
"""The file formats a job writes or reads: NDJSON (one document a line) or one JSON array of them."""
ACTOR = Actor(user=None, client="tmf620-jobs")
PROGRESS_EVERY = 5000
MAX_ERRORS = 100
JOB_FILES = ("export-", "import-")
_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class Stopped(Exception):
    """The process is stopping: the job stays `running` and runs again in the next holder."""


FILE_RULE = "letters, digits, '.', '_', '-'; not a job's own file"


def file_name(raw: object) -> str:
    """A file name inside the export directory (no directories, no traversal); ValidationFailed if not."""
    if not isinstance(raw, str) or not _FILE.fullmatch(raw) or ".." in raw:
        raise ValidationFailed(
            f"url must name a file of the export directory ({FILE_RULE})",
            code="invalid_value:url",
        )
    if raw.startswith(JOB_FILES):
        # Jobs' own files are reached through their job (its organisation's): by the export's url.
        raise ValidationFailed("name an export job's file by the job's url", code="invalid_value:url")
    return raw


def export_path(raw: object) -> str | None:
    """The one resource an export's `path` names (`productOffering` or `/productOffering`), or None: all."""
    if raw is None:
        return None
    name = raw.strip("/") if isinstance(raw, str) else None
    if name not in RESOURCES:
        raise ValidationFailed(f"path must name one of {', '.join(RESOURCES)}", code="invalid_value:path")
    return name


def export_conditions(path: str | None, query: object) -> dict[str, Condition | None]:
    """The TMF630 `query` as a condition per exported kind (parsed now: a bad query is refused at once)."""
    if query is not None and not isinstance(query, str):
        raise ValidationFailed("query must be a string", code="invalid_type:query")
    kinds = [path] if path is not None else list(RESOURCES)
    return {kind: parse_list(query or "", RESOURCES[kind]).where for kind in kinds}


def create_job(uow: UnitOfWork, *, kind: str, scope: str, id: str, body: dict[str, Any]) -> Document:
    """Store a new job (notStarted) acting in a document scope."""
    state = {"scope": scope, "status": NOT_STARTED, "creationDate": utc_now(), "contentType": CONTENT_TYPE}
    return documents.create(uow, scope=JOBS_SCOPE, kind=kind, id=id, body={**state, **body}, actor=ACTOR)


def get_job(uow: UnitOfWork, *, kind: str, scope: str, id: str) -> Document:
    """One job of the organisation; NotFound for an unknown id or another organisation's job."""
    doc = uow.fetch(JOBS_SCOPE, kind, id)
    if doc is None or doc.deleted or doc.body.get("scope") != scope:
        raise NotFound(f"{kind} {id!r} not found", details={"id": id})
    return doc


def list_jobs(uow: UnitOfWork, *, kind: str, scope: str) -> list[Document]:
    """The organisation's jobs of one kind, newest first."""
    docs = uow.query(JOBS_SCOPE, Query(kinds=(kind,), with_total=False)).items
    mine = [doc for doc in docs if doc.body.get("scope") == scope]
    return sorted(mine, key=lambda doc: (doc.body["creationDate"], doc.id), reverse=True)


def delete_job(uow: UnitOfWork, *, kind: str, scope: str, id: str, directory: Path | None) -> None:
    """Delete a job and the file it wrote (an export's, or an uploaded import's)."""
    doc = get_job(uow, kind=kind, scope=scope, id=id)
    documents.delete(uow, scope=JOBS_SCOPE, kind=kind, id=id, actor=ACTOR)
    owned = doc.body.get("ownedFile")
    if owned and directory is not None:
        (directory / owned).unlink(missing_ok=True)


def _update(store: Store, doc: Document, **changes: Any) -> Document:
    with store.unit_of_work(write=True) as uow:
        return documents.patch(
            uow,
            scope=JOBS_SCOPE,
            kind=doc.kind,
            id=doc.id,
            change=lambda body: {**body, **changes},
            actor=ACTOR,
        )


def unfinished(store: Store) -> list[Document]:
    """Jobs not started or left running, oldest first."""
    with store.unit_of_work() as uow:
        docs = uow.query(JOBS_SCOPE, Query(kinds=KINDS, with_total=False)).items
    waiting = [doc for doc in docs if doc.body.get("status") in (NOT_STARTED, RUNNING)]
    return sorted(waiting, key=lambda doc: (doc.body["creationDate"], doc.id))


def _counted(lines: Iterator[bytes], tick: Callable[[], None]) -> Iterator[bytes]:
    for line in lines:
        tick()
        yield line


def extension(content_type: object) -> str:
    """The file name extension of a job's content type."""
    return "json" if content_type == JSON else "ndjson"


def _export(store: Store, job: Document, directory: Path, tick: Callable[[], None]) -> tuple[str, str | None]:
    body = job.body
    path = export_path(body.get("path"))
    where = export_conditions(path, body.get("query"))
    plan = [(body["scope"], kind) for kind in where]
    target = directory / body["ownedFile"]
    partial = target.with_suffix(".part")
    array = body.get("contentType") == JSON
    with partial.open("wb") as out:
        lines = _counted(export_lines(store, api=TMF620, plan=plan, where=where), tick)
        for number, line in enumerate(lines):
            if array:
                # The same objects as the NDJSON lines, as the members of one JSON array.
                line = (b"[\n" if number == 0 else b",\n") + line.rstrip(b"\n")
            out.write(line)
        if array:
            out.write(b"\n]\n" if out.tell() else b"[]\n")
        out.flush()
        os.fsync(out.fileno())
    partial.replace(target)
    return SUCCEEDED, None


def _import(store: Store, job: Document, directory: Path, tick: Callable[[], None]) -> tuple[str, str | None]:
    if job.body.get("file") is None:
        return FAILED, f"the url {job.body.get('url')!r} names no file of the export directory ({FILE_RULE})"
    source = directory / job.body["file"]
    if not source.is_file():
        return FAILED, f"the file {job.body['file']!r} is not in the export directory"
    if job.body.get("contentType") == JSON:
        try:
            items = orjson.loads(source.read_bytes())
        except orjson.JSONDecodeError:
            items = None
        if not isinstance(items, list):
            return FAILED, f"the file {job.body['file']!r} is not a JSON array (contentType {JSON})"
        lines = (orjson.dumps(item) for item in items)
        report = import_lines(store, lines, advance=lambda _size: tick(), scope=job.body["scope"])
    else:
        with source.open("rb") as stream:
            report = import_lines(store, stream, advance=lambda _size: tick(), scope=job.body["scope"])
    if not report.problems:
        return SUCCEEDED, None
    shown = [f"line {number}: {code}: {message}" for number, code, message in report.problems[:MAX_ERRORS]]
    if len(report.problems) > MAX_ERRORS:
        shown.append(f"... {len(report.problems) - MAX_ERRORS} more lines not applied")
    applied = report.created + report.updated + report.unchanged
    return FAILED, f"{len(report.problems)} lines not applied ({applied} applied):\n" + "\n".join(shown)


def run_job(store: Store, job: Document, directory: Path, stop: threading.Event) -> None:
    """Run one job to `succeeded` or `failed`; Stopped (job left running, resumed later) when stop is set."""
    job = _update(store, job, status=RUNNING, progress={"lines": 0})
    done = 0

    def tick() -> None:
        nonlocal done, job
        done += 1
        if stop.is_set():
            raise Stopped
        if done % PROGRESS_EVERY == 0:
            job = _update(store, job, progress={"lines": done})

    work = _export if job.kind == EXPORT else _import
    error: str | None
    try:
        requested = job.body.get("requestedContentType")  # stored by earlier versions, which took any
        if requested is not None:
            status, error = FAILED, f"the contentType {requested!r} is not supported"
        else:
            status, error = work(store, job, directory, tick)
    except Stopped:
        raise
    except (DomainError, OSError) as exc:
        status, error = FAILED, f"{type(exc).__name__}: {exc}"
    changes: dict[str, Any] = {"status": status, "completionDate": utc_now(), "progress": {"lines": done}}
    if error is not None:
        changes["errorLog"] = error
    try:
        _update(store, job, **changes)
    except NotFound:  # deleted while it ran: its file goes too
        if job.body.get("ownedFile"):
            (directory / job.body["ownedFile"]).unlink(missing_ok=True)
