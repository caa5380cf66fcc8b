"""The served process as operators see it: JSON logs with trace ids, bind errors, metrics of all workers."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.server import command, free_port, running_server, wait_healthy

pytestmark = pytest.mark.slow

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def serve(url: str, port: int, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*command(), "serve", "--port", str(port), "--database-url", url, *args],
        env={**os.environ, "OFFER_CATALOG_ACCESS_LOG": "true"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def stop(proc: subprocess.Popen[bytes]) -> tuple[str, str]:
    proc.terminate()
    out, err = proc.communicate(timeout=30)
    return (out or b"").decode(), (err or b"").decode()


def test_every_line_is_json_and_the_access_line_has_the_trace_id(tmp_path: Path) -> None:
    port = free_port()
    proc = serve(f"sqlite:///{tmp_path / 'c.db'}", port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        assert httpx.get(base + "/ready", headers={"traceparent": TRACEPARENT}).status_code == 200
    finally:
        out, err = stop(proc)
    lines = [json.loads(line) for line in (out + err).splitlines() if line.strip()]
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "offer_catalog.app", "offer_catalog.access"} <= loggers
    ready = [x for x in lines if x["logger"] == "offer_catalog.access" and x["path"] == "/ready"]
    assert len(ready) == 1
    assert ready[0]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert ready[0]["parent_span_id"] == "00f067aa0ba902b7"
    health = [x for x in lines if x["logger"] == "offer_catalog.access" and x["path"] == "/health"]
    assert health and all(len(x["trace_id"]) == 32 for x in health)
    assert "Shutting down" in [x["message"] for x in lines]


def test_a_port_in_use_fails_before_ready(tmp_path: Path) -> None:
    with running_server(f"sqlite:///{tmp_path / 'a.db'}") as (base, _):
        port = int(base.rsplit(":", 1)[1])
        proc = serve(f"sqlite:///{tmp_path / 'b.db'}", port)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    lines = [json.loads(line) for line in (out + err).decode().splitlines() if line.strip()]
    assert any(x["level"] == "error" and "in use" in x["message"] for x in lines)
    assert "ready" not in [x["message"] for x in lines]


@pytest.mark.postgres
def test_metrics_add_up_across_workers(postgres_db: str, tmp_path: Path) -> None:
    port = free_port()
    env_dir = tmp_path / "metrics"
    env_dir.mkdir()
    proc = subprocess.Popen(
        [*command(), "serve", "--port", str(port), "--database-url", postgres_db, "--workers", "2"],
        env={**os.environ, "OFFER_CATALOG_ACCESS_LOG": "false", "PROMETHEUS_MULTIPROC_DIR": str(env_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, timeout=60)
        for _ in range(40):
            with httpx.Client() as fresh:  # a new connection each time, so both workers answer
                assert fresh.get(base + "/ready").status_code == 200
        text = httpx.get(base + "/metrics").text
    finally:
        _, err = stop(proc)
    assert "Traceback" not in err, err
    counted = {
        s.labels.get("route"): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "offer_catalog_http_requests_total" and s.labels.get("status") == "200"
    }
    assert counted["/ready"] == 40
    assert len(list(env_dir.glob("*.db"))) >= 2  # one sample file per worker process
