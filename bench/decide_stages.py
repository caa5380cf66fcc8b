"""Where the time of one decision request goes, stage by stage, in process (used by bench/decide.py).

Each stage is run alone over the same 2,000 request bodies on one thread and rated in CPU
microseconds per decision (`time.process_time`, robust to other load on a shared machine); the
durable write is also given by the wall clock, since it waits for an fsync. What the HTTP stack
adds (uvicorn, middleware, routing) is not in this table: the HTTP lines of bench/decide.py give it
against the ceiling app.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from offer_catalog.decisioning.capping import instant_text
from offer_catalog.decisioning.commits import CounterWrite
from offer_catalog.decisioning.decision_log import log_items, timestamp
from offer_catalog.decisioning.engine import decide
from offer_catalog.decisioning.request import parse_request
from offer_catalog.decisioning.service import Caches, response_body
from offer_catalog.offer_library.containers import require_container
from offer_catalog.offer_library.tenancy import Caller
from offer_catalog.patch import parse_json
from offer_catalog.store import Store


def _rate(fn: Callable[[int], object], count: int) -> tuple[float, float]:
    """(CPU µs, wall µs) per call of fn(i) for i in range(count)."""
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(count):
        fn(i)
    return (time.process_time() - cpu) / count * 1e6, (time.perf_counter() - wall) / count * 1e6


def stages(
    store: Store, container: str, bodies: list[dict[str, Any]], caller: Caller, count: int = 2000
) -> list[tuple[str, float, float]]:
    """(stage, CPU µs, wall µs) per decision, in the order a request meets them."""
    caches = Caches()
    entry = caches.snapshots.get(store, container)
    key = caches.log.key(store)
    raw = [orjson.dumps(b) for b in bodies]
    requests = [parse_request(b) for b in bodies]
    now, rng = datetime.now(UTC), random.Random(5)
    instant = instant_text(now)
    n = len(bodies)
    results = [decide(entry.snapshot, requests[i], now=now, counters=None, rng=rng) for i in range(n)]

    def lookup(i: int) -> object:
        with store.unit_of_work() as uow:
            require_container(uow, caller, container)
            return caches.snapshots.lookup(uow, container)

    def engine(i: int) -> object:
        # per-profile counters are read from the store, the others from the lower-bound cache
        with store.unit_of_work() as uow:
            counters = uow.read_counters([inc.key for inc in results[i].increments], instant)
        return decide(entry.snapshot, requests[i], now=now, counters=counters, rng=rng)

    def write(i: int) -> object:
        result = results[i]
        if not result.increments:
            return None
        return caches.writer.apply(store, CounterWrite(result.increments, (), instant))

    plan: list[tuple[str, Callable[[int], object]]] = [
        ("strict JSON parse of the body", lambda i: parse_json(raw[i % n], max_depth=64)),
        ("request validation (parse_request)", lambda i: parse_request(bodies[i % n])),
        ("tenancy check + container version (2 point reads)", lambda i: lookup(i % n)),
        ("engine, counters read from the store", lambda i: engine(i % n)),
        (
            "engine alone (no counter reads)",
            lambda i: decide(entry.snapshot, requests[i % n], now=now, rng=rng),
        ),
        (
            "decision log rows (log_items)",
            lambda i: log_items(
                results[i % n],
                requests[i % n],
                container_id=container,
                change_seq=1,
                decided_at=timestamp(now),
                key=key,
            ),
        ),
        ("response rendering (orjson)", lambda i: orjson.dumps(response_body(results[i % n]))),
        ("durable counter write, one decision per commit", lambda i: write(i % n)),
    ]
    return [(name, *_rate(fn, count)) for name, fn in plan]
