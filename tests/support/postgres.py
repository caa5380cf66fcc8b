"""Find the local PostgreSQL server for tests; make a throw-away database per test session."""

from __future__ import annotations

import os
import uuid
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from offer_catalog.store import Store

CANDIDATES = (
    "postgresql://postgres@127.0.0.1:5432/postgres",
    "postgresql://root@127.0.0.1:5432/postgres",
    "postgresql://postgres@127.0.0.1:5432/test",
)


def required() -> bool:
    """PostgreSQL tests must run (CI): an unreachable server is a failure, not a skip."""
    flag = os.environ.get("OFFER_CATALOG_REQUIRE_POSTGRES") or os.environ.get("CI") or ""
    return flag.lower() in ("1", "true", "yes")


def admin_url() -> str | None:
    """A URL that connects, or None."""
    urls = (
        [os.environ["OFFER_CATALOG_TEST_POSTGRES_URL"]]
        if "OFFER_CATALOG_TEST_POSTGRES_URL" in os.environ
        else []
    )
    for url in [*urls, *CANDIDATES]:
        try:
            with psycopg.connect(url, connect_timeout=3):
                return url
        except psycopg.Error:
            continue
    return None


def unavailable(reason: str) -> None:
    """Fail when PostgreSQL is required, skip otherwise."""
    if required():
        pytest.fail(f"PostgreSQL is required here but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432 ({reason}); set CI=1 to make this a failure")


def create_database(url: str) -> str:
    """Create a fresh database and return its URL."""
    name = f"oc_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def drop_database(url: str, db_url: str) -> None:
    """Drop a database made by create_database."""
    name = db_url.rpartition("/")[2]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


EMPTY = (
    "DELETE FROM documents; DELETE FROM document_versions; DELETE FROM document_counts; "
    "DELETE FROM counted_keys; DELETE FROM events; DELETE FROM counters; "
    "DELETE FROM scope_changes; DELETE FROM leases; DELETE FROM relay_positions; DELETE FROM subscriptions; "
    "DELETE FROM deliveries; DELETE FROM decision_items; DELETE FROM interaction_events; "
    "DELETE FROM deployment_secrets; ALTER SEQUENCE events_seq_seq RESTART"
)


def empty(store: Store) -> None:
    """Empty every table of ours on one of the store's pooled connections (keep the schema)."""
    if not getattr(store, "_opened", True):
        store.ping()  # opens the pool on first use
    pool: ConnectionPool[Any] = getattr(store, "pool")  # noqa: B009 (a PostgresStore attribute)
    with pool.connection() as conn:
        conn.execute(EMPTY)
