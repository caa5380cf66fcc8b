"""PostgreSQL set-up: a failure names its cause in one line; migrate creates a missing database."""

from __future__ import annotations

import os
import subprocess
import uuid

import psycopg
import pytest

from offer_catalog.store.base import migration_scripts
from support import postgres
from support.server import command

pytestmark = pytest.mark.postgres


def migrate(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), "migrate", "--database-url", url],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ,
    )


@pytest.fixture(scope="module")
def admin() -> str:
    url = postgres.admin_url()
    if url is None:
        postgres.unavailable("no server answered")
    assert url is not None
    return url


def server_url(admin: str, *, user: str | None = None, database: str = "postgres", query: str = "") -> str:
    base = admin.rpartition("/")[0]
    if user is not None:
        scheme, _, rest = base.partition("://")
        base = f"{scheme}://{user}@{rest.partition('@')[2]}"
    return f"{base}/{database}{query}"


def test_migrate_creates_a_missing_database(admin: str) -> None:
    name = f"oc_created_{uuid.uuid4().hex[:8]}"
    url = server_url(admin, database=name)
    try:
        first = migrate(url)
        assert first.returncode == 0, first.stderr
        assert f'created database "{name}"' in first.stdout
        assert "applied migrations: 1" in first.stdout
        second = migrate(url)
        assert second.returncode == 0 and "created database" not in second.stdout
        with psycopg.connect(url) as conn:
            shipped = len(list(migration_scripts("postgres")))
            assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (shipped,)
    finally:
        postgres.drop_database(admin, url)


@pytest.mark.parametrize(
    ("make_url", "cause"),
    [
        (lambda a: server_url(a, user="no_such_role_x"), 'role "no_such_role_x" does not exist'),
        (lambda a: "postgresql://postgres@127.0.0.1:9/postgres", "connection refused"),
        (lambda a: server_url(a, query="?sslmode=bogus"), 'invalid sslmode value: "bogus"'),
        (lambda a: server_url(a, query="?sslmode=require"), "does not support SSL"),
    ],
    ids=["unknown-role", "unreachable", "bad-sslmode", "ssl-unsupported"],
)
def test_connection_failures_name_the_cause_in_one_line(admin: str, make_url, cause: str) -> None:  # type: ignore[no-untyped-def]
    result = migrate(make_url(admin))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "store_unavailable" in lines[0] and cause in lines[0]


def test_serve_names_a_missing_database(admin: str) -> None:
    url = server_url(admin, database=f"oc_missing_{uuid.uuid4().hex[:8]}")
    result = subprocess.run(
        [*command(), "serve", "--port", "1", "--database-url", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "does not exist" in result.stderr and "offer-catalog migrate" in result.stderr
