"""The command line as a user runs it: migrate, serve, and clear failures."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest

from support.server import command, running_server


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [*command(), *args], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}
    )


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    first = run("migrate", "--database-url", url)
    assert first.returncode == 0 and "applied migrations: 1" in first.stdout
    second = run("migrate", "--database-url", url)
    assert second.returncode == 0 and "up to date" in second.stdout
    tables = {r[0] for r in sqlite3.connect(tmp_path / "c.db").execute("SELECT name FROM sqlite_master")}
    assert {"documents", "document_versions", "events", "counters", "schema_migrations"} <= tables


@pytest.mark.postgres
def test_migrate_postgres(postgres_db: str) -> None:
    result = run("migrate", "--database-url", postgres_db)
    assert result.returncode == 0 and "up to date" in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (("serve", "--port", "70000"), {}, "port must be 1-65535"),
        (("serve",), {"OFFER_CATALOG_LOG_LEVEL": "chatty"}, "log_level must be one of"),
        (("serve", "--workers", "2"), {}, "more than one worker needs PostgreSQL"),
        (("migrate", "--database-url", "oracle://x"), {}, "database_url must start with"),
    ],
)
def test_invalid_configuration_fails_at_start(
    args: tuple[str, ...], env: dict[str, str], needle: str
) -> None:
    result = run(*args, env=env)
    assert result.returncode == 2
    assert needle in " ".join(result.stderr.split())


def test_unreachable_postgres_fails_clearly() -> None:
    result = run("migrate", "--database-url", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1")
    assert result.returncode == 1
    assert "store_unavailable" in result.stderr


@pytest.mark.slow
def test_serve_creates_the_database_and_answers(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "served.db"
    with running_server(f"sqlite:///{db}") as (base, _):
        assert httpx.get(base + "/health").json() == {"status": "ok"}
        assert httpx.get(base + "/ready").json()["store"] == "sqlite"
    assert db.exists()
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}
    assert "documents" in tables


@pytest.mark.slow
@pytest.mark.postgres
def test_serve_with_workers_on_postgres(postgres_db: str) -> None:
    with running_server(postgres_db, args=("--workers", "2")) as (base, _):
        assert httpx.get(base + "/ready").json()["store"] == "postgres"
