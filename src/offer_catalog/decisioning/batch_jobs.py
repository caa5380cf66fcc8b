"""Batch decisioning jobs: NDJSON profiles in, NDJSON decisions out, run in the background, resumable.

A job is a directory `<batch_dir>/<container>/<job id>/` holding `job.json` (its request, state and
counts), the uploaded profiles `input.ndjson` (or the path of a file in the configured profiles
directory), the results `output.ndjson`, a `cancel` marker once cancelled, and a `lock` file. The
process running a job holds an exclusive lock on that file (released by the OS when the process
dies), so each job runs in one process at a time whichever worker is asked about it.

Resumption: `output.ndjson` is the truth. A job found queued or running with its lock free (its
process was stopped or killed) is resumed: a partly written last line is cut off, the input lines
already answered are skipped, and deciding continues from the next one, appending. No result line
is ever written twice. Counters are frozen for the job (see batch.py); a resumed job reads them again
on first use.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

import orjson

from offer_catalog.decisioning.batch import decide_batch
from offer_catalog.decisioning.request import DecisionRequestError
from offer_catalog.decisioning.service import Caches
from offer_catalog.errors import DomainError, NotFound
from offer_catalog.store.base import Store

TERMINAL: Final = frozenset({"completed", "failed", "cancelled"})
SAFE_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
PROGRESS_EVERY: Final = 0.5  # seconds between job.json updates while running


class InvalidJob(DomainError):
    """A batch job request that cannot be run (HTTP 400); `code` says why."""

    code = "invalid_batch_job"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _write_json(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps(value))
    os.replace(tmp, path)


class JobStore:
    """Job directories under `root`; profile files may be read from `profiles_dir` only."""

    def __init__(self, root: Path, profiles_dir: Path | None) -> None:
        self.root = root
        self.profiles_dir = profiles_dir.resolve() if profiles_dir is not None else None

    def directory(self, container_id: str, job_id: str) -> Path:
        if not (SAFE_ID.match(container_id) and SAFE_ID.match(job_id)) or ".." in container_id + job_id:
            raise NotFound(f"batch job {job_id!r} not found", details={"id": job_id})
        return self.root / container_id / job_id

    def read(self, container_id: str, job_id: str) -> dict[str, Any]:
        """The job's record, with `cancelRequested` and its result line count."""
        folder = self.directory(container_id, job_id)
        try:
            job: dict[str, Any] = orjson.loads((folder / "job.json").read_bytes())
        except FileNotFoundError:
            raise NotFound(f"batch job {job_id!r} not found", details={"id": job_id}) from None
        if (folder / "cancel").exists() and job["state"] not in TERMINAL:
            job["state"] = "cancelling"
        return job

    def resolve_profiles(self, relative: str) -> Path:
        """A profiles file named relative to the configured directory; refused outside it."""
        if self.profiles_dir is None:
            raise InvalidJob("no profiles directory is configured", code="profiles_path_disabled")
        path = (self.profiles_dir / relative).resolve()
        if not path.is_relative_to(self.profiles_dir):
            raise InvalidJob(
                "profilesPath must stay inside the profiles directory", code="path_outside_directory"
            )
        if not path.is_file():
            raise InvalidJob(f"no profiles file {relative!r}", code="profiles_not_found")
        return path

    def new_folder(self, container_id: str) -> tuple[str, Path]:
        """A fresh job id and its (new, empty) directory."""
        job_id = uuid.uuid4().hex
        folder = self.directory(container_id, job_id)
        folder.mkdir(parents=True)
        return job_id, folder

    def record(
        self, folder: Path, container_id: str, scopes: list[tuple[str, str, int]], path: Path | None
    ) -> dict[str, Any]:
        """Queue the job whose directory (and uploaded `input.ndjson`, if any) is ready."""
        job = {
            "id": folder.name,
            "containerId": container_id,
            "state": "queued",
            "propositionRequests": [
                {"xdm:activityId": a, "xdm:placementId": p, "xdm:itemCount": n} for a, p, n in scopes
            ],
            "profiles": "upload" if path is None else str(path),
            "linesRead": 0,
            "decided": 0,
            "failed": 0,
            "resumed": 0,
            "error": None,
            "createdAt": _now(),
            "updatedAt": _now(),
        }
        (folder / "output.ndjson").touch()
        _write_json(folder / "job.json", job)
        return job

    def results(self, container_id: str, job_id: str) -> Iterator[bytes]:
        """The result lines written so far (complete lines only), in chunks."""
        self.read(container_id, job_id)
        path = self.directory(container_id, job_id) / "output.ndjson"
        return _complete(path, path.stat().st_size)

    def cancel(self, container_id: str, job_id: str) -> dict[str, Any]:
        job = self.read(container_id, job_id)
        if job["state"] not in TERMINAL:
            (self.directory(container_id, job_id) / "cancel").touch()
        return self.read(container_id, job_id)

    def unfinished(self) -> list[tuple[str, str]]:
        """(container, job id) of every job not in a final state."""
        found = []
        for record in self.root.glob("*/*/job.json"):
            with contextlib.suppress(OSError, ValueError):
                job = orjson.loads(record.read_bytes())
                if job.get("state") not in TERMINAL:
                    found.append((record.parent.parent.name, record.parent.name))
        return found


class JobRunner:
    """Runs jobs in background threads of this process, one thread per job it holds the lock of."""

    def __init__(self, jobs: JobStore, caches: Caches) -> None:
        self.jobs = jobs
        self.caches = caches
        self._scanned = False
        self._guard = threading.Lock()

    def resume_all(self, store: Store) -> None:
        """Once per process: start every unfinished job whose lock is free (its process is gone)."""
        with self._guard:
            if self._scanned:
                return
            self._scanned = True
        for container_id, job_id in self.jobs.unfinished():
            self.start(store, container_id, job_id)

    def adopt(self, store: Store, container_id: str, job_id: str) -> None:
        """Start an unfinished job nobody runs (its process is gone); a no-op when one does."""
        with _job_lock(self.jobs.directory(container_id, job_id)) as held:
            if not held:
                return
        self.start(store, container_id, job_id)

    def start(self, store: Store, container_id: str, job_id: str) -> None:
        thread = threading.Thread(target=self._run, args=(store, container_id, job_id), daemon=True)
        thread.start()

    def _run(self, store: Store, container_id: str, job_id: str) -> None:
        folder = self.jobs.directory(container_id, job_id)
        with _job_lock(folder) as held:
            if not held:
                return  # another process runs it
            job = orjson.loads((folder / "job.json").read_bytes())
            if job["state"] in TERMINAL:
                return
            self._execute(store, folder, job)

    def _execute(self, store: Store, folder: Path, job: dict[str, Any]) -> None:
        resumed = job["state"] == "running"
        done = _complete_lines(folder / "output.ndjson")
        job.update(state="running", updatedAt=_now(), resumed=job["resumed"] + int(resumed))
        _write_json(folder / "job.json", job)
        source = folder / "input.ndjson" if job["profiles"] == "upload" else Path(job["profiles"])
        cancel = folder / "cancel"
        last = [time.monotonic()]

        def progress(number: int) -> None:
            if time.monotonic() - last[0] >= PROGRESS_EVERY:
                last[0] = time.monotonic()
                _write_json(folder / "job.json", {**job, "linesRead": number, "updatedAt": _now()})

        try:
            with source.open("rb") as lines, (folder / "output.ndjson").open("ab") as out:
                first = _skip(lines, done)
                result = decide_batch(
                    store,
                    container_id=job["containerId"],
                    scopes=[
                        (s["xdm:activityId"], s["xdm:placementId"], s["xdm:itemCount"])
                        for s in job["propositionRequests"]
                    ],
                    lines=lines,
                    out=out,
                    now=datetime.now(UTC),
                    caches=self.caches,
                    first_line=first,
                    progress=progress,
                    should_stop=cancel.exists,
                )
            counts = _count(folder / "output.ndjson")
            state = "cancelled" if result.stopped else "completed"
            job.update(state=state, decided=counts[0], failed=counts[1])
        except DecisionRequestError as exc:
            job.update(state="failed", error={"code": exc.code, "message": exc.message})
        except (DomainError, OSError) as exc:
            job.update(state="failed", error={"code": getattr(exc, "code", "io_error"), "message": str(exc)})
        job["updatedAt"] = _now()
        _write_json(folder / "job.json", job)


@contextlib.contextmanager
def _job_lock(folder: Path) -> Iterator[bool]:
    """The job's lock, taken without waiting: yields whether this process holds it (until the block ends)."""
    with (folder / "lock").open("a+b") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _complete(path: Path, size: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """The file's first `size` bytes up to the last line end, in chunks."""
    with path.open("rb") as source:
        sent = 0
        while sent < size:
            data = source.read(min(chunk, size - sent))
            if not data:
                return
            sent += len(data)
            if sent >= size:
                data = data[: data.rfind(b"\n") + 1]
            yield data


def _complete_lines(path: Path) -> int:
    """Result lines fully written; a partly written last line (an interrupted write) is cut off."""
    with path.open("r+b") as out:
        data = out.read()
        keep = data.rfind(b"\n") + 1
        if keep != len(data):
            out.truncate(keep)
        return data.count(b"\n", 0, keep)


def _skip(lines: IO[bytes], answered: int) -> int:
    """Skip the input lines already answered (blank lines have no answer); the next line's number."""
    number = 1
    while answered > 0:
        raw = lines.readline()
        if not raw:
            break
        number += 1
        if raw.strip():
            answered -= 1
    return number


def _count(path: Path) -> tuple[int, int]:
    decided = failed = 0
    with path.open("rb") as out:
        for raw in out:
            if raw.startswith(b'{"line":'):
                failed += 1
            else:
                decided += 1
    return decided, failed
