"""Caps hold under concurrent decisions: a real server (PostgreSQL: 2 workers; SQLite: 1), many threads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from api.decisioning.dec_support import (
    Catalog,
    build_catalog,
    chosen,
    decide,
    decision_request,
    make_container,
    profile,
)
from offer_catalog.decisioning.capping import counter_key, lifetime_of, profile_scope
from offer_catalog.store import open_store
from support.server import running_server

# The test catalog's offers start on 2020-01-01: never-resetting caps count in the 2-year block
# holding today (capping counters restart 2 years after the offer's start date).
LIFETIME = lifetime_of("2020-01-01", datetime.now(UTC).date())

REQUESTS = 40
GLOBAL_CAP = 10


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(database URL, base URL) of one server a module and store: SQLite with one process, PostgreSQL
    with `--workers 2`."""
    if request.param == "sqlite":
        url, args = f"sqlite:///{tmp_path_factory.mktemp('decide') / 'decide.db'}", ()
        store = open_store(url)
        store.migrate()
        store.close()
    else:
        url, args = request.getfixturevalue("postgres_db"), ("--workers", "2")
    with running_server(url, args=args) as (base, _proc):
        yield url, base


@pytest.fixture
def server(served: tuple[str, str]) -> Iterator[tuple[str, str, Catalog]]:
    """(database URL, base URL, catalog): the module's server, with a catalog of this test's own in a new
    container (its offers, so its capping counters, are the test's alone)."""
    url, base = served
    store = open_store(url, pool_size=1)
    try:
        container = make_container(store)
    finally:
        store.close()
    with httpx.Client(base_url=base, timeout=30) as http:
        yield url, base, build_catalog(http, container, global_cap=GLOBAL_CAP)


def _concurrently(base: str, bodies: list[dict[str, Any]], catalog: Catalog) -> Counter[str]:
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=len(bodies))
    with (
        httpx.Client(base_url=base, timeout=60, limits=limits) as http,
        ThreadPoolExecutor(len(bodies)) as pool,
    ):
        responses = list(pool.map(lambda body: decide(http, catalog.container, body), bodies))
    assert [r.status_code for r in responses] == [200] * len(bodies), [
        r.text for r in responses if r.status_code != 200
    ]
    return Counter(chosen(r.json(), catalog)[0] for r in responses)


def _counter(url: str, key: str) -> int:
    store = open_store(url, pool_size=1)
    try:
        with store.unit_of_work() as uow:
            return uow.read_counters([key]).get(key, 0)
    finally:
        store.close()


@pytest.mark.slow
def test_a_global_cap_is_never_exceeded(server: tuple[str, str, Catalog]) -> None:
    url, base, catalog = server
    bodies = [
        decision_request(catalog["flash_activity"], catalog["web"], profile(f"u{i}@x.y"))
        for i in range(REQUESTS)
    ]
    assert _concurrently(base, bodies, catalog) == {"flash": GLOBAL_CAP, "fallback": REQUESTS - GLOBAL_CAP}
    assert _counter(url, counter_key(catalog["flash"], "global", None, LIFETIME)) == GLOBAL_CAP
    assert _concurrently(base, bodies[:8], catalog) == {"fallback": 8}


@pytest.mark.slow
def test_a_profile_cap_is_never_exceeded(server: tuple[str, str, Catalog]) -> None:
    url, base, catalog = server
    kid = profile("kid@x.y", age=10, segments=("vip",))  # eligible for the capped `vip` offer only
    bodies = [decision_request(catalog["main"], catalog["web"], kid) for _ in range(20)]
    assert _concurrently(base, bodies, catalog) == {"vip": 2, "fallback": 18}
    assert _counter(url, counter_key(catalog["vip"], profile_scope("Email", "kid@x.y"), None, LIFETIME)) == 2
