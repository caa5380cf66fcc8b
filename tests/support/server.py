"""Start the real service (the installed `offer-catalog` command) on a free loopback port; databases
for tests (migrated, copied, seeded through the API)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store, open_store
from support import postgres

T = TypeVar("T")


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command() -> list[str]:
    """The console script installed beside this interpreter."""
    script = Path(sys.executable).parent / "offer-catalog"
    return [str(script)] if script.exists() else [sys.executable, "-m", "offer_catalog"]


@contextmanager
def migrated_database(store: str, folder: Path) -> Iterator[str]:
    """URL of a new database on `store` ("sqlite": a file in `folder`; "postgres": a database of its
    own, dropped afterwards), migrated in this process (a CLI run would add a process start)."""
    admin = None
    if store == "sqlite":
        url = f"sqlite:///{folder / 'catalog.db'}"
    else:
        admin = postgres.admin_url()
        if admin is None:
            postgres.unavailable("no server answered")
            raise AssertionError("unreachable")  # pragma: no cover
        url = postgres.create_database(admin)
    try:
        store = open_store(url)
        try:
            store.migrate()
        finally:
            store.close()
        yield url
    finally:
        if admin is not None:
            postgres.drop_database(admin, url)


@contextmanager
def sqlite_copy(source: Path, folder: Path) -> Iterator[Store]:
    """A store on a copy (in `folder`) of a migrated SQLite file, closed when the block ends."""
    path = folder / "catalog.db"
    shutil.copyfile(source, path)
    store = open_store(f"sqlite:///{path}")
    try:
        assert store.migrate() == []  # the copy is at the latest version
        yield store
    finally:
        store.close()


def build_on_copy(source: Path, path: Path, build: Callable[[TestClient, Store], T]) -> T:
    """Copy a migrated SQLite file to `path` and run `build` with an app client over a store on it
    (data a folder's tests then start from as copies); what `build` returns."""
    shutil.copyfile(source, path)
    store = open_store(f"sqlite:///{path}")
    try:
        settings = load_settings({"database_url": "sqlite:///unused.db"}, environ={})
        with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client:
            return build(client, store)
    finally:
        store.close()


def cli_container(database_url: str, org: str, sandbox: str, name: str) -> str:
    """Create a container with `offer-catalog containers create`; its id."""
    args = ["--org", org, "--sandbox", sandbox, "--name", name, "--database-url", database_url]
    made = subprocess.run(
        [*command(), "containers", "create", *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


@contextmanager
def running_server(
    database_url: str,
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run `offer-catalog serve` until the block ends; yield its base URL and process."""
    port = port or free_port()
    proc = subprocess.Popen(
        [
            *command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--database-url",
            database_url,
            *args,
        ],
        env={**os.environ, "OFFER_CATALOG_ACCESS_LOG": "false", **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield base, proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End a server started here: terminate it (kill it after 15 s) and close its stderr pipe."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stderr:
        proc.stderr.close()


def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Poll /health until it answers 200; fail with the server's stderr if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server exited with {proc.returncode}: {err}")
        try:
            if httpx.get(base + "/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise RuntimeError("server did not become healthy in time")


OFFERINGS = "/tmf-api/productCatalogManagement/v4/productOffering"


def keep_writing(
    base: str, prefix: str, acknowledged: list[str], stop: threading.Event, *, timeout: float
) -> None:
    """Create offerings `prefix-00000`, `prefix-00001`... until `stop` is set or the server goes away,
    noting in `acknowledged` each one answered 201 (a writer thread's body)."""
    with httpx.Client(base_url=base, timeout=timeout) as http:
        i = 0
        while not stop.is_set():
            oid = f"{prefix}-{i:05d}"
            try:
                response = http.post(OFFERINGS, json={"id": oid, "name": oid})
            except httpx.HTTPError:
                return
            if response.status_code == 201:
                acknowledged.append(oid)
            i += 1
