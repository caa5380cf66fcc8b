"""Scale benchmark: N realistic TMF620 product offerings (~1.5 KB each), built by the bench itself.

Prints, in process and then over HTTP (uvicorn, one worker, ratio to the ceiling app of the same run):
load rate through the store's fastest path, get by id, every declared-member filter, an undeclared
top-level member, a nested path and an array member, a `sort=-lastUpdate` page, a page N/2 deep,
a `limit=0` count, then the size on disk against the JSON text stored. p50 / p99 over `--samples`
requests, each operation bounded by `--budget` seconds (fewer samples are printed as such).

    python bench/scale.py [--n 1000000] [--store sqlite|postgres] [--postgres-url URL]
                          [--samples 200] [--budget 20] [--no-http] [--connections 1,4] [--seconds 5]
                          [--keep DIR]
                          [--reuse] [--drop] [--only WORDS]
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from msgspec.structs import replace

from harness import Req, load, measure_ceiling, serve
from offer_catalog.app import prepare_store
from offer_catalog.documents.model import Document
from offer_catalog.errors import QueryTimeout
from offer_catalog.resources.tmf620.lifecycle import STATES
from offer_catalog.store import Store, open_store
from offer_catalog.store.rows import DOC_COLUMNS, document_params, dump_body
from offer_catalog.store.sqlite_history import pack
from offer_catalog.tmf620 import service
from offer_catalog.tmf620.query import parse_list
from offer_catalog.tmf620.resources import RESOURCES

SCOPE = "tmf620"
OFFERING = RESOURCES["productOffering"]
BASE = "/tmf-api/productCatalogManagement/v4/productOffering"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/offer_catalog_scale"
ACTOR = ("scale-bench", "tmf620")


def stamp(i: int) -> str:
    """A lastUpdate spread over a year (distinct per second for the first 31 million)."""
    seconds = (i * 7919) % 31_536_000
    day, rest = divmod(seconds, 86_400)
    month, mday = divmod(day, 28)
    return (
        f"2025-{month % 12 + 1:02d}-{mday + 1:02d}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}Z"
    )


def offering(i: int) -> dict[str, Any]:
    """A realistic ~1.5 KB productOffering body (without id and href, as stored)."""
    base = "https://catalog.example.com/tmf-api/productCatalogManagement/v4"
    return {
        "name": f"Offering {i}",
        "description": f"Mobile plan {i}: unlimited calls, 20 GB data and EU roaming",
        "isBundle": i % 5 == 0,
        "isSellable": True,
        "lifecycleStatus": STATES[i % len(STATES)],
        "version": f"1.{i % 10}",
        "lastUpdate": stamp(i),
        "@type": "ProductOfferingOracle" if i % 2 else "ProductOffering",
        "validFor": {"startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"},
        "productSpecification": {
            "id": f"ps-{i % 1000}",
            "href": f"{base}/productSpecification/ps-{i % 1000}",
            "name": "Mobile line",
            "version": "2.0",
            "@referredType": "ProductSpecification",
        },
        "productOfferingPrice": [
            {
                "id": f"pop-{i}-{k}",
                "href": f"{base}/productOfferingPrice/pop-{i}-{k}",
                "name": ("Monthly fee", "Activation fee", "Roaming pack")[k],
                "@referredType": "ProductOfferingPrice",
            }
            for k in range(3)
        ],
        "category": [
            {"id": f"cat-{i % 50}", "name": f"Plans {i % 50}"},
            {"id": "cat-mobile", "name": "Mobile"},
        ],
        "channel": [{"id": "web", "name": "Web shop"}, {"id": "store", "name": "Retail store"}],
        "prodSpecCharValueUse": [
            {
                "name": "Data allowance",
                "valueType": "number",
                "productSpecCharacteristicValue": [{"value": 20 + i % 5, "unitOfMeasure": "GB"}],
            },
            {
                "name": "Contract",
                "valueType": "string",
                "productSpecCharacteristicValue": [{"value": "24 months", "isDefault": True}],
            },
        ],
        "marketSegment": [{"id": f"seg-{i % 7}", "name": "Consumer"}],
    }


def documents(n: int, sizes: list[int]) -> Iterator[Document]:
    """The data set as stored documents (version 1), adding each body's JSON size to sizes[0]."""
    for i in range(n):
        doc = document(i)
        sizes[0] += len(orjson.dumps(doc.body))
        yield doc


def document(i: int) -> Document:
    """Offering i as a stored document (version 1)."""
    when = stamp(i)[:-1] + ".000000Z"
    return Document(SCOPE, OFFERING.kind, f"po-{i:07d}", 1, offering(i), when, *ACTOR, when, *ACTOR)


def fill(store: Store, n: int) -> tuple[float, int]:
    """Load by the store's bulk path if it has one, else write units of 1,000: (docs/s, JSON bytes)."""
    sizes = [0]
    started = time.perf_counter()
    bulk = getattr(store, "bulk_load", None)
    if bulk is not None:
        bulk(documents(n, sizes))
    else:
        batch: list[Document] = []
        for doc in documents(n, sizes):
            batch.append(doc)
            if len(batch) == 1000:
                _save(store, batch)
        _save(store, batch)
    return n / (time.perf_counter() - started), sizes[0]


def bare_rate(folder: str, n: int) -> float:
    """Baseline: the same documents rows by a bare `executemany` into a table without any index
    (same file settings: WAL, synchronous=FULL, 5,000 rows a transaction); docs/s."""
    path = Path(folder) / "bare.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(f"CREATE TABLE bare ({DOC_COLUMNS}, at_id)")
    started = time.perf_counter()
    rows: list[tuple[Any, ...]] = []
    for doc in documents(n, [0]):
        rows.append((*document_params(doc, dump_body(doc.body)), None))
        if len(rows) == 5000:
            _bare_commit(conn, rows)
    _bare_commit(conn, rows)
    rate = n / (time.perf_counter() - started)
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return rate


def _bare_commit(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO bare VALUES ({','.join('?' * 13)})", rows)
    conn.execute("COMMIT")
    rows.clear()


def sqlite_parts(path: str) -> list[tuple[str, int]]:
    """Bytes per table and index of the file (the dbstat virtual table), largest first."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
    return [(str(name), int(size)) for name, size in rows]


def _save(store: Store, batch: list[Document]) -> None:
    with store.unit_of_work(write=True) as uow:
        for doc in batch:
            uow.save(doc, expected_version=None, change="created")
    batch.clear()


def timed(fn: Callable[[int], object], samples: int, budget: float) -> tuple[float, float, int, int]:
    """p50, p99 (ms), calls of fn(k) and query timeouts among them; stops at samples or budget seconds."""
    latencies: list[float] = []
    timeouts = 0
    stop = time.perf_counter() + budget
    for k in range(samples):
        started = time.perf_counter()
        try:
            fn(k)
        except QueryTimeout:
            timeouts += 1
        latencies.append((time.perf_counter() - started) * 1000)
        if time.perf_counter() > stop and k >= 2:
            break
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return statistics.median(latencies), p99, len(latencies), timeouts


def operations(n: int) -> dict[str, Callable[[int], str]]:
    """Each measured list operation as a query string per sample number."""
    rng = random.Random(14)
    pick = [rng.randrange(n) for _ in range(10_000)]

    def one(k: int) -> int:
        return pick[k % len(pick)]

    return {
        "lifecycleStatus=Active (declared)": lambda k: f"lifecycleStatus={STATES[k % len(STATES)]}&limit=20",
        "name= (declared)": lambda k: f"name=Offering%20{one(k)}&limit=20",
        "@type= (declared)": lambda k: f"@type=ProductOffering{'Oracle' if k % 2 else ''}&limit=20",
        "lastUpdate.gt= (declared)": lambda k: f"lastUpdate.gt={stamp(one(k))}&limit=20",
        "version= (undeclared top level)": lambda k: f"version=1.{k % 10}&limit=20",
        "productOfferingPrice.id= (nested)": lambda k: f"productOfferingPrice.id=pop-{one(k)}-1&limit=20",
        "category.id= (array member)": lambda k: f"category.id=cat-{k % 50}&limit=20",
        "category.id= (a value every offering holds)": lambda k: "category.id=cat-mobile&limit=20",
        "sort=-lastUpdate page": lambda k: "sort=-lastUpdate&limit=20",
        f"offset={n // 2} page": lambda k: f"offset={n // 2 + k}&limit=20",
        "limit=0 count": lambda k: "lifecycleStatus=Active&limit=0",
    }


def in_process(store: Store, n: int, samples: int, budget: float, only: list[str]) -> None:
    """Every operation (or those whose name holds a word of `only`) through the TMF620 service
    layer, in this process."""
    ids = [f"po-{i:07d}" for i in random.Random(5).sample(range(n), min(n, 1000))]

    def get(k: int) -> object:
        with store.unit_of_work() as uow:
            return service.get(uow, scope=SCOPE, resource=OFFERING, id=ids[k % len(ids)]).document()

    report("get by id", *timed(get, samples, budget))
    for name, query in operations(n).items():
        if only and not any(word in name for word in only):
            continue

        def run(k: int, query: Callable[[int], str] = query) -> object:
            params = parse_list(query(k), OFFERING)
            limit = params.limit if params.limit is not None else 100
            with store.unit_of_work() as uow:
                return service.list_page(uow, scope=SCOPE, resource=OFFERING, params=params, limit=limit)

        if store.dialect == "postgres":
            # A value's total is counted by triggers from the first list that finds it has many
            # matches (store/pg_counts.py): shown apart, once per value in the life of a database.
            report(f"{name} (first use)", *timed(run, samples, budget))
        report(name, *timed(run, samples, budget))


def history_sample(store: Store, count: int) -> None:
    """Change `count` offerings once each (read-modify-write, 100 per unit): the history they make."""
    started = time.perf_counter()
    for first in range(0, count, 100):
        with store.unit_of_work(write=True) as uow:
            for i in range(first, min(first + 100, count)):
                doc = uow.fetch(SCOPE, OFFERING.kind, f"po-{i:07d}", for_update=True)
                if doc is not None:
                    body = {**doc.body, "description": f"{doc.body['description']} (revised)"}
                    uow.save(
                        replace(doc, version=doc.version + 1, body=body),
                        expected_version=doc.version,
                        change="updated",
                    )
    rate = count / (time.perf_counter() - started)
    print(f"changed {count:,} offerings once each at {rate:,.0f} writes/s (their past versions: history)")


def report(name: str, p50: float, p99: float, count: int, timeouts: int) -> None:
    """One in-process line."""
    late = f"  ({timeouts} past the query budget)" if timeouts else ""
    print(f"  {name:<40} p50 {p50:9.2f} ms  p99 {p99:9.2f} ms  n={count}{late}", flush=True)


def over_http(url: str, n: int, seconds: float, connections: list[int]) -> None:
    """The same operations over HTTP against the ceiling app of this run, once per connection count:
    one connection gives a request's own latency; more add the time a request waits for the others
    on the one worker (its throughput)."""
    ids = [f"po-{i:07d}" for i in random.Random(5).sample(range(n), min(n, 1000))]
    mixes = {"GET productOffering/{id}": [Req("GET", f"{BASE}/{i}") for i in ids]}
    for name, query in operations(n).items():
        mixes[name] = [Req("GET", f"{BASE}?{query(k).replace(' ', '%20')}") for k in range(200)]
    with serve(
        "offer_catalog.app:app_from_env", factory=True, env={"OFFER_CATALOG_DATABASE_URL": url}
    ) as base:
        for concurrency in connections:
            print(f"over HTTP (uvicorn, 1 worker, {concurrency} connection(s)):", flush=True)
            ceiling = measure_ceiling(seconds=seconds, concurrency=concurrency)
            print(ceiling.line("ceiling (raw ASGI, fixed body)"), flush=True)
            for name, requests in mixes.items():
                result = load(base, requests, seconds=seconds, concurrency=concurrency, warmup=0.5)
                print(result.line(name, ceiling), flush=True)


def disk_size(store: Store, url: str) -> int:
    """Bytes the database takes: the SQLite file and its WAL, or pg_database_size."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) if row else 0


def postgres_sizes(url: str, json_bytes: int, n: int, database: int) -> None:
    """Bytes of each table (with TOAST and indexes) and index on PostgreSQL; history per version."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.relkind, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
            "AND c.relkind IN ('r', 'i') AND pg_total_relation_size(c.oid) > 1000000 ORDER BY 3 DESC"
        ).fetchall()
        history = conn.execute(
            "SELECT coalesce(sum(coalesce(pg_column_size(packed), pg_column_size(body))), 0), count(*) "
            "FROM document_versions"
        ).fetchone()
    for name, kind, size in rows:
        label = "table with TOAST and indexes" if kind == "r" else "index"
        print(f"  {name:<44} {size / 1e6:9,.0f} MB  {size / json_bytes:5.2f}x the JSON text  ({label})")
    if history and history[1]:
        per_version = history[0] / history[1]
        estimate = database + per_version * 1.1 * (n - history[1])  # 10%: row header and index entry
        print(
            f"  history: {history[1]:,} past versions, {per_version:,.0f} B of body each; with one past"
            f" version each, about {estimate / 1e6:,.0f} MB = {estimate / json_bytes:.2f}x the JSON text"
            " (estimated)"
        )


def fresh_postgres(url: str) -> None:
    """Create (or empty) the bench database on the server."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_postgres(url: str) -> None:
    """Drop the bench database."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(store: Store) -> None:
    """The indexes the service creates at start-up."""
    started = time.perf_counter()
    prepare_store(store)
    print(f"indexes ready in {time.perf_counter() - started:.1f} s", flush=True)


def run(url: str, args: argparse.Namespace) -> None:
    """Build the data set at url, then print every figure."""
    on_file = url.startswith("sqlite:///") and os.path.exists(url.removeprefix("sqlite:///"))
    reuse = args.reuse and (on_file or url.startswith("postgresql"))
    store = open_store(url)
    store.migrate()
    prepare(store)
    if reuse:
        json_bytes = sum(len(orjson.dumps(offering(i))) for i in range(args.n))
        print(f"reusing the data set in {url}")
    else:
        rate, json_bytes = fill(store, args.n)
        print(f"load: {args.n} offerings at {rate:,.0f} docs/s ({json_bytes / args.n:,.0f} B of JSON each)")
        if url.startswith("sqlite:///"):
            sample = min(args.n, 100_000)
            bare = bare_rate(str(Path(url.removeprefix("sqlite:///")).parent), sample)
            print(
                f"  = {rate / bare:.2f}x a bare executemany of the same rows into a table without index"
                f" ({bare:,.0f} docs/s over the first {sample:,}, measured right after)",
                flush=True,
            )
    started = time.perf_counter()
    with store.unit_of_work(write=True) as uow:  # statistics for the planner, as `offer-catalog` would
        if url.startswith("sqlite:///"):
            uow.conn.execute("PRAGMA optimize")  # type: ignore[attr-defined]
    if url.startswith("postgresql"):
        # What autovacuum does after a load (visibility map: index-only scans skip the rows).
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE) documents")
    print(f"after load: {time.perf_counter() - started:.1f} s of maintenance", flush=True)
    if url.startswith("postgresql") and args.history and not reuse:
        history_sample(store, min(args.history, args.n))
    print("in process (TMF620 service layer):")
    in_process(store, args.n, args.samples, args.budget, args.only.split(",") if args.only else [])
    size = disk_size(store, url)
    print(
        f"size on disk: {size / 1e6:,.0f} MB = {size / json_bytes:.2f}x"
        f" the JSON text ({json_bytes / 1e6:,.0f} MB)"
    )
    if url.startswith("sqlite:///"):
        for name, part in sqlite_parts(url.removeprefix("sqlite:///"))[:14]:
            print(f"  {name:<44} {part / 1e6:9,.0f} MB  {part / json_bytes:5.2f}x the JSON text")
        # History holds past versions only: one past version each costs what a history row of
        # every body costs (compressed as the store does, with its other columns).
        sample = [document(i) for i in random.Random(7).sample(range(args.n), min(args.n, 2000))]
        per_version = statistics.mean(
            len(pack(dump_body(d.body))) + sum(len(str(v)) for v in document_params(d, "")[:-1]) + 12
            for d in sample
        )
        print(
            f"one past version each (estimated from {len(sample):,} bodies compressed as history stores"
            f" them: {per_version:,.0f} B a version): about {(size + per_version * args.n) / json_bytes:.2f}x"
            " the JSON text"
        )
    if url.startswith("postgresql"):
        postgres_sizes(url, json_bytes, args.n, size)
    store.close()
    if args.http:
        over_http(url, args.n, args.seconds, [int(c) for c in args.connections.split(",")])


def main() -> None:
    """Parse the options and run on the chosen store."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=PG_DEFAULT)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per in-process operation")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per HTTP operation")
    parser.add_argument("--no-http", dest="http", action="store_false")
    parser.add_argument("--connections", default="1,4", help="over HTTP: connection counts, one run each")
    parser.add_argument("--keep", help="build the SQLite file in this directory and keep it")
    parser.add_argument(
        "--reuse", action="store_true", help="with --keep, or on postgres: measure the data set kept there"
    )
    parser.add_argument("--drop", action="store_true", help="on postgres: drop the bench database at the end")
    parser.add_argument("--only", help="in process: only the operations whose name holds one of these words")
    parser.add_argument("--history", type=int, default=20_000, help="on postgres: offerings changed once")
    args = parser.parse_args()
    print(f"scale bench: {args.n:,} productOfferings on {args.store}")
    if args.store == "postgres":
        if not args.reuse:
            fresh_postgres(args.postgres_url)
        run(args.postgres_url, args)
        if args.drop:
            drop_postgres(args.postgres_url)
        return
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        run(f"sqlite:///{Path(args.keep) / 'scale.db'}", args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'scale.db'}", args)


if __name__ == "__main__":
    main()
