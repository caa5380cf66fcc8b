"""Batch decisioning benchmark: 100,000 NDJSON profiles through `decide_batch`, in process.

Run: .venv/bin/python bench/decide_batch.py [--profiles 100000]

The container is the engine benchmark's (bench/decide_engine.py: 10,000 offers, caps included),
compiled once; each line is one generated profile decided for the headline 3-item request (3 scopes
x 1 item) with counters frozen for the job (read once per key from a SQLite file, never written).
Printed: batch decisions per CPU second of the process (robust to other load on a shared machine;
target >= 5,000/s), the wall-clock rate, and, as the baseline measured in the same run, the bare
engine on the same requests without parsing or output. The request (scopes, response format) is
parsed and checked once per job; each line only parses its profile.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

import decide_engine as gen
from offer_catalog.decisioning.batch import decide_batch
from offer_catalog.decisioning.engine import decide
from offer_catalog.decisioning.service import Caches
from offer_catalog.decisioning.snapshots import SnapshotCache
from offer_catalog.store import open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    args = parser.parse_args()
    docs = gen.build_container()
    scopes = [gen.scope(a, a, 1) for a in range(3)]
    triples = [(s["xdm:activityId"], s["xdm:placementId"], 1) for s in scopes]
    base = gen.profiles(2_000)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'batch.db'}")
        store.migrate()
        source = Path(tmp) / "profiles.ndjson"
        with source.open("wb") as sink:
            for i in range(args.profiles):
                profile = base[i % len(base)]
                profile = {**profile, "xdm:identityMap": {"Email": [{"xdm:id": f"user{i}@example.com"}]}}
                sink.write(orjson.dumps(profile) + b"\n")
        caches = Caches(
            snapshots=SnapshotCache(load=lambda _uow, _container: [(d["schema"], d["@id"], d) for d in docs])
        )
        snapshot = caches.snapshots.get(store, "bench").snapshot
        started, cpu_started = time.perf_counter(), time.process_time()
        with source.open("rb") as lines, (Path(tmp) / "out.ndjson").open("wb") as out:
            result = decide_batch(
                store, container_id="bench", scopes=triples, lines=lines, out=out, now=now, caches=caches
            )
        batch_s = time.perf_counter() - started
        batch_cpu = time.process_time() - cpu_started
        sample = min(args.profiles, 20_000)
        requests = [
            {
                "xdm:propositionRequests": scopes,
                "xdm:profiles": [base[i % len(base)]],
                "xdm:responseFormat": {"xdm:includeContent": True},
            }
            for i in range(sample)
        ]
        rng = random.Random(1)
        cpu_started = time.process_time()
        for body in requests:
            decide(snapshot, body, now=now, counters={}, rng=rng)
        engine_rate = sample / (time.process_time() - cpu_started)
        store.close()
    rate = result.decided / batch_cpu
    print(
        f"profiles: {args.profiles:,} ({result.decided:,} decided, {result.failed} failed) "
        f"in {batch_s:.1f} s "
        f"wall, {batch_cpu:.1f} s CPU ({result.decided / batch_s:,.0f}/s by the wall clock)"
    )
    print(f"batch decisions per CPU second: {rate:,.0f} (target >= 5,000: {rate / 5_000:.2f}x)")
    print(
        f"bare engine on the same requests (baseline, {sample:,}): {engine_rate:,.0f} per CPU second; "
        f"batch / engine: {rate / engine_rate:.2f}x"
    )


if __name__ == "__main__":
    main()
