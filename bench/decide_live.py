"""Live catalog updates: how long one offer edit takes to reach the next decision, at 10,000 offers.

Run: .venv/bin/python bench/decide_live.py [--edits 200] [--store postgresql://...]

The container is the engine benchmark's (bench/decide_engine.py: 10,000 offers, 20 activities,
40 collections), written to a store (a fresh SQLite file by default). A process-wide snapshot
cache (as each worker has) compiles it once. Then, `--edits` times: one offer's priority and name
are changed in a write transaction (as the Offer Library API does), and the clock runs from that
commit until a decision made through the cache returns, its snapshot showing the new version.
The snapshot catches up from the container's outbox and recompiles only what depends on the
offer. Printed: that visibility lag p50/p99 (target p99 < 50 ms), and, as the baseline measured in
the same run, the full rebuild every edit used to cost (load + compile every instance).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import decide_engine as gen
from offer_catalog.decisioning.engine import decide
from offer_catalog.decisioning.service import Caches
from offer_catalog.documents import service
from offer_catalog.documents.model import SYSTEM
from offer_catalog.store import Store, open_store

TARGET_MS = 50.0
CONTAINER = "bench-live"


def _fill(store: Store) -> list[str]:
    """Write the generated container; the offer ids."""
    offers = []
    with store.unit_of_work(write=True) as uow:
        for doc in gen.build_container():
            body = dict(doc["instance"])
            body["@id"] = doc["@id"]
            service.create(uow, scope=CONTAINER, kind=doc["schema"], body=body, actor=SYSTEM, id=doc["@id"])
            if doc["schema"] == "personalized-offer":
                offers.append(doc["@id"])
    return offers


def _edit(store: Store, offer_id: str, priority: int) -> int:
    with store.unit_of_work(write=True) as uow:
        doc = service.update(
            uow,
            scope=CONTAINER,
            kind="personalized-offer",
            id=offer_id,
            change=lambda doc: {
                **doc.body,
                "xdm:rank": {"xdm:priority": priority},
                "xdm:name": f"v{priority}",
            },
            actor=SYSTEM,
        )
    return doc.version


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--store", default=None, help="a store URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.store or f"sqlite:///{Path(tmp) / 'live.db'}")
        store.migrate()
        offers = _fill(store)
        caches = Caches()
        started = time.perf_counter()
        caches.snapshots.get(store, CONTAINER)
        first = time.perf_counter() - started
        body = {
            "xdm:propositionRequests": [gen.scope(a, a, 1) for a in range(3)],
            "xdm:profiles": [gen.profiles(1)[0]],
        }
        rng = random.Random(5)
        now = datetime.now(UTC)
        lags, cpu = [], []
        for n in range(args.edits):
            offer_id = rng.choice(offers)
            version = _edit(store, offer_id, 1000 + n)
            t0, c0 = time.perf_counter(), time.process_time()
            entry = caches.snapshots.get(store, CONTAINER)
            decide(entry.snapshot, body, now=now, counters={}, rng=rng)
            lags.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert entry.snapshot.offers[offer_id].etag == version, "the edit is not visible"
        rebuilds = []
        for _ in range(3):
            t0 = time.perf_counter()
            caches.snapshots.full_build(store, CONTAINER)
            rebuilds.append((time.perf_counter() - t0) * 1000)
        store.close()
    p50, p99 = _pct(lags, 0.5), _pct(lags, 0.99)
    full = statistics.median(rebuilds)
    print(f"offers: {len(offers):,}; first build {first:.2f} s; edits: {args.edits}")
    print(f"visibility lag of one offer edit (wall): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"  ratio to the target (p99 < {TARGET_MS:.0f} ms): {TARGET_MS / p99:.2f}x")
    print(f"  CPU of the process per edit: p50 {_pct(cpu, 0.5):.1f} ms, p99 {_pct(cpu, 0.99):.1f} ms")
    print(f"baseline, full rebuild per edit (same run): {full:.0f} ms, {full / p50:.0f}x the incremental p50")
    print(f"snapshot builds {caches.snapshots.builds}, incremental updates {caches.snapshots.updates}")


if __name__ == "__main__":
    main()
