"""Store benchmark, in process: create, get, patch (durable), list with a filter, at 10k and 100k documents.

Baselines measured in the same run on the same table and connection settings:
- a bare durable SQL UPDATE of the same row (SQLite: WAL + synchronous=FULL, autocommit);
- a bare SELECT of the body by primary key.
Targets (SQLite): patch <= 3x bare UPDATE, get <= 3x bare SELECT.

`--scale N` instead loads N offerings of bench/scale.py's data set into SQLite by `bulk_load` (wall and
CPU time, against a bare `executemany` of the same `documents` rows measured before and after it in the
same run), changes each offering once (one past version each: history), and prints the size on disk
against the JSON text stored, per table and index (dbstat).

    .venv/bin/python bench/store.py [--sizes 10000,100000] [--postgres URL | --no-postgres]
    .venv/bin/python bench/store.py --scale 100000 [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor
from offer_catalog.documents.query import Cond, Op, Query, body
from offer_catalog.store import Store, open_store

ACTOR = Actor("bench", "bench-client")
SCOPE = "bench"
KIND = "offer"


def offer_body(i: int) -> dict[str, Any]:
    """A ~1.2 KB offer document."""
    return {
        "name": f"Offer {i}",
        "status": ["draft", "approved", "archived"][i % 3],
        "priority": i % 100,
        "description": "A realistic offer description " * 4,
        "tags": [f"tag-{i % 17}", f"tag-{i % 29}"],
        "representations": [
            {
                "placement": f"placement-{i % 50}",
                "channel": "https://ns.adobe.com/xdm/channel-types/web",
                "components": [{"type": "html", "format": "text/html", "content": "<p>Offer</p>" * 5}],
            }
        ],
        "validFor": {"startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"},
        "characteristics": {f"k{j}": f"v{j}" for j in range(8)},
    }


def timed(fn: Callable[[], object], n: int) -> float:
    """Median microseconds of n calls, in 5 rounds."""
    rounds = []
    per_round = max(1, n // 5)
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(per_round):
            fn()
        rounds.append((time.perf_counter() - started) / per_round * 1e6)
    return statistics.median(rounds)


def fill(store: Store, count: int, start: int) -> None:
    """Bulk-load documents, 1,000 per transaction."""
    for base in range(start, start + count, 1000):
        with store.unit_of_work(write=True) as uow:
            for i in range(base, min(base + 1000, start + count)):
                service.create(uow, scope=SCOPE, kind=KIND, id=f"o{i:07d}", body=offer_body(i), actor=ACTOR)


def two_bodies(text: str) -> tuple[str, str]:
    """The stored body with two different priorities of the same length."""
    doc = orjson.loads(text)
    return orjson.dumps({**doc, "priority": 1}).decode(), orjson.dumps({**doc, "priority": 2}).decode()


def bare_ops(store: Store, target: str) -> tuple[Callable[[], object], Callable[[], object]]:
    """A bare durable UPDATE and a bare SELECT by primary key of one row, on the store's own table."""
    if store.dialect == "sqlite":
        import sqlite3

        conn = sqlite3.connect(store.path, isolation_level=None)  # type: ignore[attr-defined]
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        text = conn.execute("SELECT body FROM documents WHERE id = ?", (target,)).fetchone()[0]
        # Two bodies of equal size: SQLite skips writing a row whose bytes do not change.
        texts = two_bodies(text)
        key = (SCOPE, KIND, target)
        flip = iter(range(10**9))

        def update() -> object:
            return conn.execute(
                "UPDATE documents SET body = ? WHERE scope = ? AND kind = ? AND id = ?",
                (texts[next(flip) % 2], *key),
            )

        def select() -> object:
            return conn.execute(
                "SELECT body FROM documents WHERE scope = ? AND kind = ? AND id = ?", key
            ).fetchone()

        return update, select
    import psycopg

    pg = psycopg.connect(store.url, autocommit=True)  # type: ignore[attr-defined]
    row = pg.execute("SELECT body::text FROM documents WHERE id = %s", (target,)).fetchone()
    text = row[0] if row else "{}"
    pg_texts = two_bodies(text)
    key = (SCOPE, KIND, target)
    pg_flip = iter(range(10**9))

    def pg_update() -> object:
        return pg.execute(
            "UPDATE documents SET body = %s::jsonb WHERE scope = %s AND kind = %s AND id = %s",
            (pg_texts[next(pg_flip) % 2], *key),
        )

    def pg_select() -> object:
        return pg.execute(
            "SELECT body::text FROM documents WHERE scope = %s AND kind = %s AND id = %s", key
        ).fetchone()

    return pg_update, pg_select


def make_create(store: Store, size: int) -> Callable[[], object]:
    """A durable create of a new document per call."""
    created = iter(range(10**9))

    def create() -> object:
        with store.unit_of_work(write=True) as uow:
            return service.create(
                uow,
                scope="bench-new",
                kind=KIND,
                body=offer_body(1),
                actor=ACTOR,
                id=f"n{size}-{next(created)}",
            )

    return create


def make_list(store: Store, *, indexed: bool) -> Callable[[], object]:
    """A filtered page of 20 with the total count: a scan, or through a member index."""
    query = Query(kinds=(KIND,), where=Cond(body("status", scalar=indexed), Op.EQ, "approved"), limit=20)

    def list_page() -> object:
        with store.unit_of_work() as uow:
            return service.list_documents(uow, scope=SCOPE, query=query)

    return list_page


def verdict(ratio: float) -> str:
    """PASS or FAIL against the 3x target."""
    return "PASS" if ratio <= 3 else "FAIL"


def run(store: Store, sizes: list[int], label: str) -> list[str]:
    """Measure every operation at every size; return printable lines."""
    lines = []
    loaded = 0
    rng = random.Random(7)
    for size in sizes:
        started = time.perf_counter()
        fill(store, size - loaded, loaded)
        loaded = size
        load_s = time.perf_counter() - started
        ids = [f"o{rng.randrange(size):07d}" for _ in range(2000)]
        target = ids[0]
        cursor = iter(range(10**9))

        def get() -> object:
            with store.unit_of_work() as uow:
                return service.get(uow, scope=SCOPE, kind=KIND, id=ids[next(cursor) % len(ids)])

        step = iter(range(10**9))

        def patch() -> object:
            value = next(step) % 2
            with store.unit_of_work(write=True) as uow:
                return service.patch(
                    uow,
                    scope=SCOPE,
                    kind=KIND,
                    id=target,
                    change=lambda b: {**b, "priority": value},
                    actor=ACTOR,
                )

        create = make_create(store, size)
        list_page = make_list(store, indexed=False)
        list_indexed = make_list(store, indexed=True)

        bare_update, bare_select = bare_ops(store, target)
        results = {
            "bare SELECT by key": timed(bare_select, 5000),
            "get": timed(get, 5000),
            "bare durable UPDATE": timed(bare_update, 300),
            "patch (durable)": timed(patch, 300),
            "create (durable)": timed(create, 300),
            "list filter limit=20 + total (scan)": timed(list_page, 25 if size >= 100_000 else 100),
            "list ... (member index)": timed(list_indexed, 500),
        }
        lines.append(f"{label} with {size:,} documents (bulk load {load_s:.1f} s)")
        for name, us in results.items():
            lines.append(f"  {name:<32} {us:10.1f} µs")
        get_ratio = results["get"] / results["bare SELECT by key"]
        patch_ratio = results["patch (durable)"] / results["bare durable UPDATE"]
        lines.append(f"  get / bare SELECT    = {get_ratio:5.2f}x  (target <= 3x: {verdict(get_ratio)})")
        lines.append(f"  patch / bare UPDATE  = {patch_ratio:5.2f}x  (target <= 3x: {verdict(patch_ratio)})")
        for line in lines[-10:]:
            print(line, flush=True)
    return lines


def _bare(folder: str, n: int) -> tuple[float, float]:
    """scale.bare_rate: (docs/s, docs per CPU second of this process)."""
    import scale

    cpu = time.process_time()
    rate = scale.bare_rate(folder, n)
    return rate, n / (time.process_time() - cpu)


def scale_load(n: int, folder: str) -> None:
    """Bulk load and size with one past version each, on SQLite (see the module's docstring)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import scale

    print(f"load average: {os.getloadavg()}")
    sample = min(n, 100_000)  # the baseline over the first 100,000 rows at most
    before = _bare(folder, sample)
    store = open_store(f"sqlite:///{Path(folder) / 'scale.db'}")
    store.migrate()
    scale.prepare(store)
    cpu = time.process_time()
    rate, json_bytes = scale.fill(store, n)
    load_cpu = n / (time.process_time() - cpu)
    after = _bare(folder, sample)
    bare, bare_cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    print(
        f"bulk_load: {rate:,.0f} docs/s ({load_cpu:,.0f} per CPU second); bare executemany of the same rows"
        f" {before[0]:,.0f} / {after[0]:,.0f} docs/s before / after over {sample:,}"
        f" ({bare_cpu:,.0f} per CPU second):"
        f" {rate / bare:.2f}x wall, {load_cpu / bare_cpu:.2f}x CPU"
    )
    print(f"load average: {os.getloadavg()}")
    path = str(Path(folder) / "scale.db")
    for label, changed in (("one version each", 0), ("one past version each", n)):
        if changed:
            scale.history_sample(store, changed)
        with store.unit_of_work(write=True) as uow:
            uow.conn.execute("PRAGMA optimize")  # type: ignore[attr-defined]
        store.close()
        with sqlite3.connect(path) as conn:  # the WAL into the file
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = scale.disk_size(store, f"sqlite:///{path}")
        print(f"size, {label}: {size / 1e6:,.0f} MB = {size / json_bytes:.3f}x the JSON text")
        for name, part in scale.sqlite_parts(path)[:16]:
            print(f"  {name:<44} {part / 1e6:9,.1f} MB  {part / json_bytes:6.3f}x")
        store = open_store(f"sqlite:///{path}")
    store.close()


def main() -> int:
    """Run on SQLite and, when reachable, PostgreSQL."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--scale", type=int, help="offerings to bulk-load and size (SQLite only)")
    parser.add_argument("--keep", help="with --scale: the folder to build in (kept)")
    args = parser.parse_args()
    if args.scale:
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            scale_load(args.scale, args.keep)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                scale_load(args.scale, tmp)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.migrate()
        store.ensure_member_indexes(["status"])
        run(store, sizes, "SQLite (WAL, synchronous=FULL)")
        store.close()
    if not args.no_postgres:
        import psycopg

        admin = args.postgres
        name = f"oc_bench_{int(time.time())}"
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as exc:
            print(f"PostgreSQL skipped: {exc}")
            return 0
        url = admin.rpartition("/")[0] + "/" + name
        try:
            store = open_store(url, pool_size=2)
            store.migrate()
            store.ensure_member_indexes(["status"])
            run(store, sizes, "PostgreSQL 15 (JSONB, pool)")
            store.close()
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
