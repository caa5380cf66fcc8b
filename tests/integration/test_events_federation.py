"""Two real instances paired by hub + listener: the follower stays identical to the leader.

The leader runs on each store; the follower on a fresh SQLite file. The follower's `/listener` URL is
registered on the leader's hub (one subscription: the whole catalog, in commit order), then 1,000 mixed
writes of every resource (creates, attribute changes, state changes, deletes) go to the leader.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from test_transfer import url_of

from offer_catalog.store import Store
from offer_catalog.tmf620.resources import RESOURCES, STANDARD_BASE
from support.server import running_server

WRITES = 1000
WRITERS = 4
HUB_ENV = {
    "OFFER_CATALOG_HUB_ALLOW_PRIVATE_TARGETS": "true",
    "OFFER_CATALOG_HUB_POLL_MS": "20",
    "OFFER_CATALOG_HUB_BACKOFF_MS": "50",
    "OFFER_CATALOG_HUB_BACKOFF_MAX_MS": "500",
    "OFFER_CATALOG_HUB_MAX_ATTEMPTS": "10000",
}
NEXT = {"In study": "In design", "In design": "In test", "In test": "Active", "Active": "Launched"}


def catalog_of(http: httpx.Client, base: str) -> dict[str, dict[str, Any]]:
    """Every live resource of every collection, by collection/id: (ETag-free) body as served."""
    out: dict[str, dict[str, Any]] = {}
    for path in RESOURCES:
        offset = 0
        while True:
            page = http.get(f"{base}{STANDARD_BASE}{path}", params={"offset": offset, "limit": 1000})
            assert page.status_code == 200, page.text
            items = page.json()
            out.update({f"{path}/{item['id']}": item for item in items})
            if len(items) < 1000:
                break
            offset += len(items)
    return out


def mixed_writes(base: str, worker: int, writes: int) -> int:
    """One writer's share: creates, updates, state changes and deletes of its own resources."""
    rng, http = random.Random(worker), httpx.Client(timeout=10)
    live: dict[str, str] = {}  # "path/id" -> lifecycle state
    paths = list(RESOURCES)
    for n in (f"w{worker}-{i}" for i in range(writes)):
        choice = rng.random()
        if not live or choice < 0.4:
            path = paths[len(live) % len(paths)]
            response = http.post(f"{base}{STANDARD_BASE}{path}", json={"id": f"r{n}", "name": f"n{n}"})
            assert response.status_code == 201, response.text
            live[f"{path}/r{n}"] = "In study"
            continue
        key = rng.choice(sorted(live))
        url = f"{base}{STANDARD_BASE}{key}"
        if choice < 0.65:
            response = http.patch(url, json={"name": f"renamed {n}", "description": f"write {n}"})
        elif choice < 0.9 and live[key] in NEXT:
            live[key] = NEXT[live[key]]
            response = http.patch(url, json={"lifecycleStatus": live[key], "description": f"state {n}"})
        else:
            response = http.delete(url)
            del live[key]
            assert response.status_code == 204, response.text
            continue
        assert response.status_code == 200, response.text
    http.close()
    return len(live)


def test_a_follower_stays_identical_after_1000_mixed_writes(store: Store, tmp_path: Path) -> None:
    follower_db = f"sqlite:///{tmp_path / 'follower.db'}"
    with (
        running_server(url_of(store), env=HUB_ENV) as (leader, _),
        running_server(follower_db, env=HUB_ENV) as (follower, _),
        httpx.Client(timeout=10) as http,
    ):
        sub = http.post(
            f"{leader}{STANDARD_BASE}hub", json={"callback": f"{follower}{STANDARD_BASE}listener"}
        )
        assert sub.status_code == 201, sub.text
        with ThreadPoolExecutor(WRITERS) as pool:  # concurrent writers: commits interleave
            share = WRITES // WRITERS
            live = sum(pool.map(lambda w: mixed_writes(leader, w, share), range(WRITERS)))
        expected = catalog_of(http, leader)
        assert len(expected) == live
        deadline = time.monotonic() + 60
        while (got := catalog_of(http, follower)) != expected:
            assert time.monotonic() < deadline, f"follower has {len(got)} of {len(expected)} resources"
            time.sleep(0.2)
        # Same versions too: the follower's etags are the leader's.
        for key in sorted(expected)[:: max(1, len(expected) // 50)]:
            mine = http.get(f"{leader}{STANDARD_BASE}{key}").headers["ETag"]
            assert http.get(f"{follower}{STANDARD_BASE}{key}").headers["ETag"] == mine
        dead = http.get(f"{leader}{STANDARD_BASE}hub/{sub.json()['id']}/deadLetter").json()
        assert dead == []
