"""Batch decisioning jobs over HTTP: upload or profiles path, progress, results, cancel, resumption."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from dec_support import Catalog, auth, build_catalog, make_container, profile
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store

NDJSON = "application/x-ndjson"


def _app(store: Store, tmp_path: Path) -> TestClient:
    settings = load_settings(
        {
            "database_url": "sqlite:///unused.db",
            "batch_dir": str(tmp_path / "jobs"),
            "batch_profiles_dir": str(tmp_path / "profiles"),
        },
        environ={},
    )
    return TestClient(create_app(settings, store=store), raise_server_exceptions=False)


@pytest.fixture
def jobs(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    (tmp_path / "profiles").mkdir()
    with _app(store, tmp_path) as client:
        yield client


@pytest.fixture
def cat(jobs: TestClient, store: Store) -> Catalog:
    return build_catalog(jobs, make_container(store))


def _lines(count: int, bad: tuple[int, ...] = ()) -> bytes:
    out = []
    for n in range(1, count + 1):
        if n in bad:
            out.append(b"{not json" if n % 2 else b'{"xdm:identityMap": {}}')
        else:
            out.append(orjson.dumps(profile(f"u{n}@x.y", tier="gold" if n % 3 else "silver")))
    return b"\n".join(out) + b"\n"


def _start(client: TestClient, cat: Catalog, body: bytes, **params: Any) -> Any:
    url = f"/data/core/ode/{cat.container}/batch-jobs"
    query = {"activityId": cat["main"], "placementId": cat["web"], **params}
    return client.post(url, params=query, content=body, headers={**auth(), "Content-Type": NDJSON})


def _wait(client: TestClient, location: str, timeout: float = 40.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(location, headers=auth()).json()
        if job["state"] in ("completed", "failed", "cancelled") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def _results(client: TestClient, location: str) -> list[dict[str, Any]]:
    response = client.get(f"{location}/results", headers=auth())
    assert response.status_code == 200 and response.headers["content-type"].startswith(NDJSON)
    return [json.loads(line) for line in response.content.splitlines()]


def test_an_uploaded_job_decides_every_line_in_order(jobs: TestClient, cat: Catalog) -> None:
    response = _start(jobs, cat, _lines(30, bad=(7, 12)))
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert response.json()["state"] in ("queued", "running", "completed")
    job = _wait(jobs, location)
    assert (job["state"], job["decided"], job["failed"]) == ("completed", 28, 2)
    results = _results(jobs, location)
    assert len(results) == 30
    assert results[6] == {
        "line": 7,
        "error": {"code": "invalid_json", "message": results[6]["error"]["message"]},
    }
    assert results[11]["error"]["code"] == "missing_identity" and results[11]["line"] == 12
    gold = results[0]["xdm:propositions"][0]["xdm:options"][0]["xdm:id"]
    assert gold == cat["gold"] and "xdm:options" in results[2]["xdm:propositions"][0]


def test_a_profiles_path_inside_the_directory_is_read_outside_refused(
    jobs: TestClient, cat: Catalog, tmp_path: Path
) -> None:
    (tmp_path / "profiles" / "segment.ndjson").write_bytes(_lines(5))
    (tmp_path / "secret.ndjson").write_bytes(_lines(1))
    url = f"/data/core/ode/{cat.container}/batch-jobs"
    scopes = [{"xdm:activityId": cat["main"], "xdm:placementId": cat["web"], "xdm:itemCount": 2}]
    ok = jobs.post(
        url, json={"profilesPath": "segment.ndjson", "xdm:propositionRequests": scopes}, headers=auth()
    )
    assert ok.status_code == 202, ok.text
    job = _wait(jobs, ok.headers["location"])
    assert (job["state"], job["decided"]) == ("completed", 5)
    before = sorted(p.name for p in (tmp_path / "jobs" / cat.container).iterdir())
    for bad in ("../secret.ndjson", str(tmp_path / "secret.ndjson"), "missing.ndjson"):
        refused = jobs.post(
            url, json={"profilesPath": bad, "xdm:propositionRequests": scopes}, headers=auth()
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["code"] in ("path_outside_directory", "profiles_not_found")
    assert sorted(p.name for p in (tmp_path / "jobs" / cat.container).iterdir()) == before  # nothing created


def test_a_request_the_catalog_cannot_serve_creates_no_job(
    jobs: TestClient, cat: Catalog, tmp_path: Path
) -> None:
    url = f"/data/core/ode/{cat.container}/batch-jobs"
    unknown = jobs.post(
        url,
        params={"activityId": "xcore:offer-activity:nope", "placementId": cat["web"]},
        content=_lines(2),
        headers={**auth(), "Content-Type": NDJSON},
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_activity"
    unpaired = jobs.post(
        url, params={"activityId": cat["main"]}, content=_lines(2), headers={**auth(), "Content-Type": NDJSON}
    )
    assert unpaired.status_code == 400 and unpaired.json()["code"] == "invalid_scopes"
    assert not (tmp_path / "jobs").exists() or not any((tmp_path / "jobs").rglob("job.json"))
    other = jobs.get(f"/data/core/ode/{cat.container}/batch-jobs/0123abcd", headers=auth())
    assert other.status_code == 404


def test_cancel_stops_the_job_and_keeps_the_lines_written(jobs: TestClient, cat: Catalog) -> None:
    response = _start(jobs, cat, _lines(20_000))
    location = response.headers["location"]
    cancelled = jobs.post(f"{location}/cancel", headers=auth())
    assert cancelled.status_code == 202
    # The answer is the job as read after the marker is left: still stopping, or already stopped when
    # the worker saw the marker at its next line before the answer was read (a loaded machine).
    assert cancelled.json()["state"] in ("cancelling", "cancelled")
    job = _wait(jobs, location)
    results = _results(jobs, location)
    assert job["state"] == "cancelled"
    assert len(results) == job["decided"] + job["failed"] < 20_000
    again = jobs.post(f"{location}/cancel", headers=auth())
    assert again.status_code == 202 and again.json()["state"] == "cancelled"  # final: nothing changes


def test_a_job_interrupted_by_a_restart_resumes_without_duplicated_lines(
    store: Store, tmp_path: Path
) -> None:
    """A worker killed mid-job leaves it `running`, a half-written last line and a free lock."""
    (tmp_path / "profiles").mkdir()
    with _app(store, tmp_path) as first:
        cat = build_catalog(first, make_container(store))
        location = _start(first, cat, _lines(40)).headers["location"]
        assert _wait(first, location)["state"] == "completed"
        reference = first.get(f"{location}/results", headers=auth()).content.splitlines()
    folder = tmp_path / "jobs" / cat.container / location.rsplit("/", 1)[-1]
    # What the killed worker left: 15 lines answered, the 16th half written, state still running.
    job = json.loads((folder / "job.json").read_text())
    (folder / "job.json").write_text(json.dumps({**job, "state": "running"}))
    (folder / "output.ndjson").write_bytes(b"\n".join(reference[:15]) + b"\n" + reference[15][:20])
    with _app(store, tmp_path) as restarted:
        job = _wait(restarted, location)
        results = restarted.get(f"{location}/results", headers=auth()).content.splitlines()
    assert (job["state"], job["resumed"], job["decided"]) == ("completed", 1, 40)
    assert len(results) == 40 and results[:15] == reference[:15]
    assert all(b'"xdm:propositions"' in line for line in results)
