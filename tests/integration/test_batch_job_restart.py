"""A batch job survives its server being killed: after the restart it resumes and completes, no line twice."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from api.decisioning.dec_support import auth, build_catalog, make_container, profile
from offer_catalog.store import open_store
from support.server import running_server

pytestmark = pytest.mark.slow
PROFILES = 20_000


def _job(http: httpx.Client, location: str) -> dict[str, Any]:
    job: dict[str, Any] = http.get(location, headers=auth()).json()
    return job


def test_kill_mid_job_then_restart_completes_without_duplicates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'batch.db'}"
    store = open_store(url)
    store.migrate()
    container = make_container(store)
    store.close()
    env = {"OFFER_CATALOG_BATCH_DIR": str(tmp_path / "jobs")}
    body = b"".join(orjson.dumps(profile(f"u{n}@x.y", tier="gold")) + b"\n" for n in range(PROFILES))
    with running_server(url, env=env) as (base, proc), httpx.Client(base_url=base, timeout=60) as http:
        catalog = build_catalog(http, container)
        started = http.post(
            f"/data/core/ode/{container}/batch-jobs",
            params={"activityId": catalog["main"], "placementId": catalog["web"]},
            content=body,
            headers={**auth(), "Content-Type": "application/x-ndjson"},
        )
        assert started.status_code == 202, started.text
        location = started.headers["location"]
        deadline = time.monotonic() + 60
        while _job(http, location)["linesRead"] < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    killed = json.loads(next((tmp_path / "jobs").rglob("job.json")).read_text())
    assert killed["state"] == "running", "the job finished before the kill: make it longer"
    with running_server(url, env=env) as (base, _proc), httpx.Client(base_url=base, timeout=60) as http:
        deadline = time.monotonic() + 240
        job = _job(http, location)  # the first batch-jobs request resumes the unfinished jobs
        while job["state"] not in ("completed", "failed") and time.monotonic() < deadline:
            time.sleep(0.2)
            job = _job(http, location)
        assert (job["state"], job["resumed"]) == ("completed", 1), job
        lines = http.get(f"{location}/results", headers=auth()).content.splitlines()
    assert len(lines) == PROFILES == job["decided"]
    assert all(line.startswith(b'{"xdm:propositionId"') for line in lines)
    assert len({orjson.loads(line)["xdm:propositionId"] for line in lines}) == PROFILES
