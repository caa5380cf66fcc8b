"""TMF620 exportJob and importJob over HTTP: background runs, files, conflicts per line, restarts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.testclient import TestClient
from test_transfer import url_of

from api.auth_support import bearer, jwt_settings, token
from offer_catalog.app import create_app
from offer_catalog.events import jobs
from offer_catalog.store import Store, open_store
from offer_catalog.tmf620.resources import ORACLE_BASE, STANDARD_BASE
from support.receiver import hub_settings
from support.server import free_port, running_server

PO = f"{STANDARD_BASE}productOffering"
EXPORTS = f"{STANDARD_BASE}exportJob"
IMPORTS = f"{STANDARD_BASE}importJob"
BIG = 12_000


def job_client(store: Store, directory: Path | None) -> TestClient:
    """A client whose app runs jobs with files under directory (None: no export directory)."""
    extra = {} if directory is None else {"export_dir": str(directory)}
    return TestClient(create_app(hub_settings(**extra), store=store), raise_server_exceptions=False)


def finished(
    client: TestClient, href: str, timeout: float = 30, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Poll a job until it has succeeded or failed."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(href, headers=headers)
        assert job.status_code == 200, job.text
        if job.json()["status"] in (jobs.STATUS[jobs.SUCCEEDED], jobs.STATUS[jobs.FAILED]):
            return dict(job.json())
        assert time.monotonic() < deadline, job.json()
        time.sleep(0.05)


def seed(client: TestClient, count: int) -> None:
    """count offerings, every third one updated, every fifth one moved to In design."""
    for n in range(count):
        assert client.post(PO, json={"id": f"po-{n}", "name": f"n{n}"}).status_code == 201
        if n % 3 == 0:
            assert client.patch(f"{PO}/po-{n}", json={"description": "changed"}).status_code == 200
        if n % 5 == 0:
            assert client.patch(f"{PO}/po-{n}", json={"lifecycleStatus": "In design"}).status_code == 200
    assert client.post(f"{STANDARD_BASE}catalog", json={"id": "cat", "name": "c"}).status_code == 201


def served(client: TestClient) -> dict[str, tuple[Any, str]]:
    """Every offering and catalog as served, with its ETag."""
    out = {}
    for path in ("productOffering", "catalog"):
        for item in client.get(f"{STANDARD_BASE}{path}", params={"limit": 1000}).json():
            got = client.get(item["href"])
            out[item["href"]] = (got.json(), got.headers["ETag"])
    return out


def test_an_export_job_writes_the_matching_resources_and_serves_the_file(
    store: Store, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    with job_client(store, exports) as client:
        seed(client, 12)
        made = client.post(
            EXPORTS, json={"url": "", "path": "/productOffering", "query": "lifecycleStatus=In design"}
        )
        assert made.status_code == 201, made.text
        job = made.json()
        assert (
            job["status"]
            in (jobs.STATUS[jobs.NOT_STARTED], jobs.STATUS[jobs.RUNNING], jobs.STATUS[jobs.SUCCEEDED])
            and job["@type"] == "ExportJob"
        )
        assert made.headers["Location"] == job["href"] == f"{EXPORTS}/{job['id']}"
        assert job["url"] == f"{job['href']}/file" and job["contentType"] == jobs.CONTENT_TYPE
        done = finished(client, job["href"])
        assert (
            done["status"] == jobs.STATUS[jobs.SUCCEEDED] and done["completionDate"] >= done["creationDate"]
        )
        assert "errorLog" not in done and done["progress"] == {"lines": 3}
        file = client.get(done["url"])
        assert file.status_code == 200 and file.headers["content-type"].startswith(jobs.CONTENT_TYPE)
        lines = [orjson.loads(line) for line in file.content.splitlines()]
        assert sorted(line["id"] for line in lines) == ["po-0", "po-10", "po-5"]
        assert {line["version"] for line in lines if line["id"] == "po-0"} == {3}
        assert [j["id"] for j in client.get(EXPORTS).json()] == [job["id"]]
        selected = client.get(f"{done['href']}?fields=status").json()
        assert selected == {"id": job["id"], "href": job["href"], "status": "Succeeded"}
        assert client.get(f"{ORACLE_BASE}exportJob/{job['id']}").status_code == 200
        assert client.delete(done["href"]).status_code == 204
        assert client.get(done["href"]).status_code == 404
        assert client.get(done["url"]).status_code == 404
        assert list(exports.iterdir()) == []


def test_export_then_import_into_an_empty_database_reproduces_every_resource(
    store: Store, tmp_path: Path
) -> None:
    with job_client(store, tmp_path / "a") as source:
        seed(source, 30)
        exported = finished(source, source.post(EXPORTS, json={"url": ""}).json()["href"])
        content = source.get(exported["url"]).content
        expected = served(source)
    empty = open_store(f"sqlite:///{tmp_path / 'empty.db'}")
    empty.migrate()
    try:
        with job_client(empty, tmp_path / "b") as target:
            upload = target.post(IMPORTS, content=content, headers={"Content-Type": jobs.CONTENT_TYPE})
            assert upload.status_code == 201, upload.text
            assert upload.json()["@type"] == "ImportJob"
            done = finished(target, upload.json()["href"])
            assert done["status"] == jobs.STATUS[jobs.SUCCEEDED], done
            assert served(target) == expected
            # Again: idempotent, nothing changes.
            again = target.post(IMPORTS, content=content, headers={"Content-Type": jobs.CONTENT_TYPE})
            assert finished(target, again.json()["href"])["status"] == jobs.STATUS[jobs.SUCCEEDED]
            assert served(target) == expected
    finally:
        empty.close()


def test_a_json_export_imports_into_an_empty_database_and_keeps_what_the_client_sent(
    store: Store, tmp_path: Path
) -> None:
    with job_client(store, tmp_path / "a") as source:
        seed(source, 7)
        sent = {
            "url": "ftp://x/1.json",
            "contentType": jobs.JSON,
            "path": "/productOffering",
            "query": "id=po-1,po-2",
        }
        made = source.post(EXPORTS, json=sent)
        assert made.status_code == 201, made.text
        assert {k: made.json()[k] for k in sent if k != "url"} == {
            k: v for k, v in sent.items() if k != "url"
        }
        exported = finished(source, made.json()["href"])
        assert exported["status"] == jobs.STATUS[jobs.SUCCEEDED], exported
        assert exported["contentType"] == jobs.JSON and exported["path"] == "/productOffering"
        got = source.get(exported["url"])
        assert got.status_code == 200 and got.headers["content-type"].startswith(jobs.JSON)
        items = orjson.loads(got.content)
        assert sorted(item["id"] for item in items) == ["po-1", "po-2"]
        assert all(item["kind"] == "productOffering" and item["api"] == "tmf620" for item in items)
        everything = finished(
            source, source.post(EXPORTS, json={"url": "", "contentType": jobs.JSON}).json()["href"]
        )
        content = source.get(everything["url"]).content
        assert len(orjson.loads(content)) == 8  # 7 offerings and the catalog
        expected = served(source)
    empty = open_store(f"sqlite:///{tmp_path / 'empty.db'}")
    empty.migrate()
    try:
        with job_client(empty, tmp_path / "b") as target:
            (tmp_path / "b").mkdir()
            (tmp_path / "b" / "all.json").write_bytes(content)
            body = {
                "url": "all.json",
                "contentType": jobs.JSON,
                "path": "https://h/v5/",
                "@type": "ImportJob",
            }
            made = target.post(IMPORTS, json=body)
            assert made.status_code == 201, made.text
            done = finished(target, made.json()["href"])
            assert done["status"] == jobs.STATUS[jobs.SUCCEEDED], done
            assert {k: done[k] for k in ("url", "contentType", "path")} == {
                k: body[k] for k in ("url", "contentType", "path")
            }
            assert target.get(done["href"]).json()["path"] == "https://h/v5/"
            assert served(target) == expected
            # A JSON import of a file that is not a JSON array fails, applying nothing.
            (tmp_path / "b" / "lines.json").write_bytes(b'{"api": "tmf620"}\n{}\n')
            bad = target.post(IMPORTS, json={"url": "lines.json", "contentType": jobs.JSON})
            failed = finished(target, bad.json()["href"])
            assert failed["status"] == jobs.STATUS[jobs.FAILED] and "not a JSON array" in failed["errorLog"]
            # An empty JSON export is an empty array.
            none = target.post(EXPORTS, json={"url": "", "contentType": jobs.JSON, "query": "id=none"})
            assert orjson.loads(target.get(finished(target, none.json()["href"])["url"]).content) == []
    finally:
        empty.close()


def test_an_import_reports_conflicting_lines_and_applies_the_others(store: Store, tmp_path: Path) -> None:
    with job_client(store, tmp_path) as client:
        seed(client, 4)
        exported = finished(
            client, client.post(EXPORTS, json={"url": "", "path": "productOffering"}).json()["href"]
        )
        # Change two offerings after the export: their lines are now older than the database.
        client.patch(f"{PO}/po-1", json={"name": "newer"})
        client.patch(f"{PO}/po-2", json={"name": "newer"})
        client.delete(f"{PO}/po-3")
        made = client.post(IMPORTS, json={"url": exported["url"]})
        assert made.status_code == 201, made.text
        done = finished(client, made.json()["href"])
        assert done["status"] == jobs.STATUS[jobs.FAILED]
        log = done["errorLog"]
        assert log.startswith("3 lines not applied (1 applied)") and log.count("version_conflict") == 3
        assert client.get(f"{PO}/po-1").json()["name"] == "newer"
        assert client.get(f"{PO}/po-3").status_code == 404  # deleted after the export: newer than the line
        # An upload with a new resource and a malformed line: the new one lands, the bad one is reported.
        line = orjson.loads(client.get(exported["url"]).content.splitlines()[0])
        content = orjson.dumps({**line, "id": "po-new"}) + b"\n{not json\n"
        upload = client.post(IMPORTS, content=content, headers={"Content-Type": jobs.CONTENT_TYPE})
        done = finished(client, upload.json()["href"])
        assert done["status"] == jobs.STATUS[jobs.FAILED] and "line 2: invalid_json" in done["errorLog"]
        assert client.get(f"{PO}/po-new").json()["name"] == line["body"]["name"]


@pytest.mark.parametrize(
    ("url", "body", "code"),
    [
        (EXPORTS, {}, "required:url"),
        (IMPORTS, {"url": "", "@schemaLocation": "AAA"}, "invalid_value:@schemaLocation"),
        (EXPORTS, [], "invalid_body"),
        (IMPORTS, {}, "required:url"),
        (IMPORTS, {"url": 5}, "invalid_type:url"),
        (IMPORTS, {"url": "", "@type": None}, "invalid_type:@type"),
        (EXPORTS, {"url": "", "status": None}, "invalid_type:status"),
        (EXPORTS, {"url": "", "contentType": "text/csv"}, "invalid_value:contentType"),
        (IMPORTS, {"url": "x.json", "contentType": "application/xml"}, "invalid_value:contentType"),
        (IMPORTS, {"url": "x.json", "contentType": 7}, "invalid_type:contentType"),
    ],
)
def test_a_bad_job_is_refused_and_stores_nothing(
    store: Store, tmp_path: Path, url: str, body: Any, code: str
) -> None:
    with job_client(store, tmp_path) as client:
        response = client.post(url, json=body)
        assert response.status_code in (400, 404), response.text
        assert response.json()["code"].split(":")[0] == code.split(":")[0]
        assert response.json()["code"] == code or code == "invalid_query"
        assert client.get(EXPORTS).json() == [] and client.get(IMPORTS).json() == []


@pytest.mark.parametrize(
    "url", ["../etc/passwd", "/abs/file.ndjson", "export-123.ndjson", "", f"{EXPORTS}/unknown/file"]
)
def test_an_import_of_a_url_naming_no_file_fails_without_reading(
    store: Store, tmp_path: Path, url: str
) -> None:
    # The specification takes any url: the job is made and fails, errorLog saying why.
    (tmp_path / "export-123.ndjson").write_text("")
    with job_client(store, tmp_path) as client:
        made = client.post(IMPORTS, json={"url": url})
        assert made.status_code == 201, made.text
        done = finished(client, made.json()["href"])
        assert done["status"] == jobs.STATUS[jobs.FAILED] and "names no file" in done["errorLog"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"path": "nothing"}, "path must name one of"),
        ({"query": "=x"}, "InvalidQuery"),
    ],
)
def test_an_export_of_a_path_or_query_it_cannot_apply_fails(
    store: Store, tmp_path: Path, body: dict[str, str], says: str
) -> None:
    # The specification takes any string as path and query: the job is made and fails, errorLog saying why.
    with job_client(store, tmp_path) as client:
        made = client.post(EXPORTS, json={"url": "", **body})
        assert made.status_code == 201, made.text
        done = finished(client, made.json()["href"])
        assert done["status"] == jobs.STATUS[jobs.FAILED] and says in done["errorLog"], done
        assert client.get(done["url"]).status_code == 409


def test_jobs_without_an_export_directory_are_refused(store: Store) -> None:
    with job_client(store, None) as client:
        response = client.post(EXPORTS, json={"url": ""})
        assert response.status_code == 503 and response.json()["code"] == "export_dir_not_configured"
        assert client.get(EXPORTS).json() == []


def test_a_job_left_running_by_a_stopped_process_runs_again(store: Store, tmp_path: Path) -> None:
    with store.unit_of_work(write=True) as uow:
        job = jobs.create_job(
            uow, kind=jobs.EXPORT, scope="tmf620", id="left", body={"ownedFile": "export-left.ndjson"}
        )
    jobs._update(store, job, status=jobs.RUNNING)
    with job_client(store, tmp_path) as client:
        done = finished(client, f"{EXPORTS}/left")
    assert done["status"] == jobs.STATUS[jobs.SUCCEEDED]
    assert (tmp_path / "export-left.ndjson").is_file()


def test_an_import_killed_mid_run_is_resumed_by_the_restarted_service(
    sqlite_store: Store, tmp_path: Path
) -> None:
    # One store: the job runner is the same on both (the other tests here run on each).
    lines = [
        orjson.dumps(
            {
                "api": "tmf620",
                "scope": "tmf620",
                "kind": "productOffering",
                "id": f"big-{n}",
                "version": 1,
                "created_at": "2026-01-01T00:00:00.000000Z",
                "modified_at": "2026-01-01T00:00:00.000000Z",
                "body": {"name": f"offering {n}", "lifecycleStatus": "In study", "@type": "ProductOffering"},
            }
        )
        for n in range(BIG)
    ]
    url, port = url_of(sqlite_store), free_port()
    env = {"OFFER_CATALOG_EXPORT_DIR": str(tmp_path / "jobs"), "OFFER_CATALOG_HUB_POLL_MS": "20"}
    with running_server(url, port=port, env=env) as (base, proc), httpx.Client(timeout=30) as http:
        made = http.post(
            f"{base}{IMPORTS}", content=b"\n".join(lines), headers={"Content-Type": jobs.CONTENT_TYPE}
        )
        assert made.status_code == 201, made.text
        href = f"{base}{made.json()['href']}"
        deadline = time.monotonic() + 60
        while http.get(href).json().get("progress", {}).get("lines", 0) < jobs.PROGRESS_EVERY:
            assert time.monotonic() < deadline, http.get(href).json()
            time.sleep(0.02)
        proc.kill()  # SIGKILL in the middle of the import
        proc.wait()
    with sqlite_store.unit_of_work() as uow:
        [left] = jobs.list_jobs(uow, kind=jobs.IMPORT, scope="tmf620")
    assert left.body["status"] == jobs.RUNNING
    with running_server(url, port=port, env=env) as (base, _), httpx.Client(timeout=30) as http:
        deadline = time.monotonic() + 90
        while (job := http.get(href).json())["status"] not in (
            jobs.STATUS[jobs.SUCCEEDED],
            jobs.STATUS[jobs.FAILED],
        ):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        assert job["status"] == jobs.STATUS[jobs.SUCCEEDED] and job["progress"] == {"lines": BIG}
        listed = http.get(f"{base}{PO}", params={"limit": 1, "fields": "id"})
        assert listed.headers["X-Total-Count"] == str(BIG)


def test_jobs_and_their_files_stay_in_their_organisation(store: Store, tmp_path: Path) -> None:
    settings = jwt_settings(export_dir=str(tmp_path / "jobs"), hub_poll_ms=20, access_log=False)
    acme, evil = bearer(token(org="ACME@AdobeOrg")), bearer(token(org="EVIL@AdobeOrg"))
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client:
        assert client.post(PO, json={"id": "secret", "name": "acme only"}, headers=acme).status_code == 201
        made = client.post(EXPORTS, json={"url": ""}, headers=acme).json()
        assert finished(client, made["href"], headers=acme)["status"] == jobs.STATUS[jobs.SUCCEEDED]
        assert b"acme only" in client.get(made["url"], headers=acme).content
        for response in (
            client.get(made["href"], headers=evil),
            client.get(made["url"], headers=evil),
            client.delete(made["href"], headers=evil),
        ):
            assert response.status_code == 404, response.text
        assert client.get(EXPORTS, headers=evil).json() == []
        # Another organisation's export url names no file of this one: its import fails unread.
        stolen = client.post(IMPORTS, json={"url": made["url"]}, headers=evil)
        assert stolen.status_code == 201, stolen.text
        failed = finished(client, stolen.json()["href"], headers=evil)
        assert failed["status"] == jobs.STATUS[jobs.FAILED] and "names no file" in failed["errorLog"]
        assert client.get(f"{PO}/secret", headers=evil).status_code == 404
        # What an organisation imports lands in its own catalog only.
        content = client.get(made["url"], headers=acme).content
        upload = client.post(IMPORTS, content=content, headers={**evil, "Content-Type": jobs.CONTENT_TYPE})
        assert upload.status_code == 201, upload.text
        done = finished(client, upload.json()["href"], headers=evil)
        assert done["status"] == jobs.STATUS[jobs.SUCCEEDED], done
        assert client.get(f"{PO}/secret", headers=evil).json()["name"] == "acme only"
        assert client.get(f"{PO}/secret", headers=acme).status_code == 200
