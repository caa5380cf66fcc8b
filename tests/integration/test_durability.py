"""An acknowledged SQLite write survives kill -9 of the process that made it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from offer_catalog.documents import service
from offer_catalog.documents.query import Query
from offer_catalog.store import open_store

WRITER = textwrap.dedent(
    """
    import sys
    from offer_catalog.documents import service
    from offer_catalog.documents.model import Actor
    from offer_catalog.store import open_store

    store = open_store(sys.argv[1])
    store.migrate()
    i = 0
    while True:
        with store.unit_of_work(write=True) as uow:
            service.create(uow, scope="crash", kind="offer", id=f"o{i:06d}", body={"i": i}, actor=Actor("w"))
        # The commit returned: this write is acknowledged.
        sys.stdout.write(f"{i}\\n")
        sys.stdout.flush()
        i += 1
    """
)


@pytest.mark.slow
def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acknowledged: list[int] = []
    deadline = time.monotonic() + 30
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acknowledged.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    rest = proc.stdout.read()
    proc.wait(timeout=10)
    acknowledged.extend(int(x) for x in rest.split())
    assert len(acknowledged) >= 150, "the writer did not get going"
    store = open_store(url)
    with store.unit_of_work() as uow:
        page = service.list_documents(uow, scope="crash", query=Query())
        events = uow.events_after(0, 100_000)
    store.close()
    stored = {d.body["i"] for d in page.items}
    assert set(acknowledged) <= stored
    # Nothing half-written: each stored document has its history row and its event.
    assert len(events) == len(stored)


@pytest.mark.slow
def test_server_killed_mid_stream_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    import threading

    import httpx

    from support.server import keep_writing, running_server

    url = f"sqlite:///{tmp_path / 'served.db'}"
    acknowledged: list[str] = []
    stop = threading.Event()

    with running_server(url) as (base, proc):
        thread = threading.Thread(
            target=keep_writing, args=(base, "crash", acknowledged, stop), kwargs={"timeout": 5}
        )
        thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 100 and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        thread.join(timeout=10)
    assert len(acknowledged) >= 100, "the stream of writes did not get going"
    with running_server(url) as (base, _), httpx.Client(base_url=base, timeout=5) as http:
        missing = [
            oid
            for oid in acknowledged
            if http.get(f"/tmf-api/productCatalogManagement/v4/productOffering/{oid}").status_code != 200
        ]
    assert missing == []
