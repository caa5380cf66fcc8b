"""Shared fixtures: a store on each backend, an app client, settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store, open_store
from support import postgres
from support.server import sqlite_copy
from support.shared import shared_dir as find_shared_dir


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder beside the repository; skipped (failed under CI=true) when absent."""
    return find_shared_dir()


@pytest.fixture(scope="session")
def postgres_db() -> Iterator[str]:
    """URL of a throw-away PostgreSQL database, migrated, for this session."""
    admin = postgres.admin_url()
    if admin is None:
        postgres.unavailable("no server answered")
        raise AssertionError("unreachable")  # pragma: no cover
    url = postgres.create_database(admin)
    store = open_store(url, pool_size=2)
    store.migrate()
    store.close()
    yield url
    postgres.drop_database(admin, url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once for the session (a migration run costs about 0.1 s a store)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "catalog.db"
    store = open_store(f"sqlite:///{path}")
    store.migrate()
    store.close()
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert not leftovers, f"the closed template left {leftovers}: a copy of the file alone would miss them"
    return path


@pytest.fixture
def sqlite_seed(sqlite_template: Path) -> Path:
    """The migrated SQLite file a test's store starts as a copy of (a folder's conftest may override
    it with one holding data that folder's tests build alike)."""
    return sqlite_template


@pytest.fixture
def sqlite_store(tmp_path: Path, sqlite_seed: Path) -> Iterator[Store]:
    """A migrated SQLite store in a fresh file: a copy of the seed, the session's migrated template."""
    with sqlite_copy(sqlite_seed, tmp_path) as store:
        yield store


@pytest.fixture(scope="session")
def postgres_session_store(postgres_db: str) -> Iterator[Store]:
    """One PostgreSQL store (one connection pool) for the whole session."""
    store = open_store(postgres_db, pool_size=4)
    yield store
    store.close()


@pytest.fixture
def postgres_store(postgres_session_store: Store) -> Store:
    """The session's PostgreSQL store, emptied (one round trip, no new connections)."""
    postgres.empty(postgres_session_store)
    return postgres_session_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Store:
    """The same tests on both backends."""
    fixture = "sqlite_store" if request.param == "sqlite" else "postgres_store"
    result: Store = request.getfixturevalue(fixture)
    return result


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    """An HTTP client against the app on each backend."""
    settings = load_settings({"database_url": "sqlite:///unused.db"}, environ={})
    app = create_app(settings, store=store)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
