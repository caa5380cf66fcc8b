"""PostgreSQL scale-out: parallel loaders into one scope, and TMF620 GET/PATCH over HTTP with 1, 2, 4 workers.

Every figure is printed with its ratio to a baseline measured in the same run:
- loaders: two processes writing into one scope (one durable write unit per document) against one
  process writing the same number of documents alone (target: two faster than one, ratio > 1);
- HTTP: the raw-ASGI ceiling app, SQLite served by one worker (same offerings, same requests) and
  PostgreSQL with one worker (targets: GET with 2 workers >= 1.5x its 1-worker figure and >= SQLite's
  1-worker figure). Worker scaling needs cores: see docs/benchmarks.md for repeating it on a bigger machine.

Bounded: about two minutes with the defaults. Makes (and drops) its own database on the server.

    .venv/bin/python bench/pg.py [--postgres URL] [--count 10000] [--seconds 5] [--workers 1,2,4]
        [--loader-docs 2000] [--only loaders|http]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Req, Result, load, measure_ceiling, serve
from offer_catalog.documents import service
from offer_catalog.documents.model import Actor, Document
from offer_catalog.documents.query import Query, SortKey, meta
from offer_catalog.store import open_store
from offer_catalog.tmf620.resources import SCOPE
from tmf620 import BASE, fill
from tmf620 import offering as offering_body

ACTOR = Actor("loader")


def create_database(admin: str) -> str:
    """A fresh database on the admin URL's server; its URL."""
    name = f"oc_bench_pg_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin.rpartition('/')[0]}/{name}"


def drop_database(admin: str, url: str) -> None:
    """Drop a database made by create_database."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')


def _loader(url: str, prefix: str, count: int, ready: object, go: object) -> None:
    """Create `count` offerings in scope "load", one durable write unit each."""
    store = open_store(url, pool_size=1)
    store.ping()
    rng = random.Random(prefix)
    bodies = [offering_body(i, rng) for i in range(count)]
    ready.set()  # type: ignore[attr-defined]
    go.wait()  # type: ignore[attr-defined]
    for i, body in enumerate(bodies):
        with store.unit_of_work(write=True) as uow:
            service.create(
                uow, scope="load", kind="productOffering", id=f"{prefix}-{i}", body=body, actor=ACTOR
            )
    store.close()


def run_loaders(url: str, processes: int, docs: int, tag: str) -> float:
    """docs/s of `processes` loaders writing `docs` documents in total into one scope."""
    ctx = multiprocessing.get_context("spawn")
    ready = [ctx.Event() for _ in range(processes)]
    go = ctx.Event()
    procs = [
        ctx.Process(target=_loader, args=(url, f"{tag}{p}", docs // processes, ready[p], go))
        for p in range(processes)
    ]
    for proc in procs:
        proc.start()
    for event in ready:
        event.wait(60)
    started = time.perf_counter()
    go.set()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    if any(proc.exitcode for proc in procs):
        sys.exit("a loader failed")
    return docs / elapsed


def loaders(url: str, docs: int) -> None:
    """One loader against two loaders into the same scope, same number of documents."""
    one = run_loaders(url, 1, docs, "one")
    two = run_loaders(url, 2, docs, "two")
    print(f"{'1 loader, one write unit per document':<44} {one:9.0f} docs/s")
    print(f"{'2 loaders into the same scope':<44} {two:9.0f} docs/s  {two / one:5.2f}x one loader")


def stored_documents(url: str) -> list[Document]:
    """Every document of a store, as stored (the TMF620 service's shape), by pages of 1,000."""
    store = open_store(url)
    docs: list[Document] = []
    with store.unit_of_work() as uow:
        while True:
            page = uow.query(SCOPE, Query(limit=1000, offset=len(docs), sort=(SortKey(meta("id")),)))
            docs += page.items
            if len(page.items) < 1000:
                break
    store.close()
    return docs


def bare_copy(url: str, docs: list[Document]) -> float:
    """docs/s of a bare COPY of the same (key, JSON body) rows into a table of the same database."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_copy (scope TEXT, kind TEXT, id TEXT, body JSONB)")
        started = time.perf_counter()
        with conn.transaction(), conn.cursor().copy("COPY bench_copy FROM STDIN") as copy:
            for doc in docs:
                copy.write_row((doc.scope, doc.kind, doc.id, orjson.dumps(doc.body).decode()))
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy")
    return len(docs) / elapsed


def bulk(sqlite_url: str, url: str) -> None:
    """Load SQLite's offerings into PostgreSQL through the store's bulk path, against a bare COPY."""
    docs = stored_documents(sqlite_url)
    floor = bare_copy(url, docs)
    store = open_store(url)
    started = time.perf_counter()
    store.bulk_load(docs)  # type: ignore[attr-defined]
    rate = len(docs) / (time.perf_counter() - started)
    store.close()
    print(f"{'bare COPY of (key, body) rows':<44} {floor:9.0f} docs/s")
    print(f"{'bulk load (COPY + history + events)':<44} {rate:9.0f} docs/s  {rate / floor:5.2f}x bare COPY")


def mixes(count: int) -> dict[str, list[Req]]:
    """GET one offering and a durable merge PATCH of one member, over 50 offerings."""
    ids = [f"po-{i:06d}" for i in random.Random(1).sample(range(count), 50)]
    json_headers = (("Content-Type", "application/json"),)
    return {
        "GET": [Req("GET", f"{BASE}/{i}") for i in ids],
        "PATCH": [
            Req("PATCH", f"{BASE}/{i}", orjson.dumps({"description": f"changed {n}"}), json_headers)
            for n, i in enumerate(ids)
        ],
    }


def served(url: str, workers: int, seconds: float, concurrency: int, count: int) -> dict[str, Result]:
    """Each mix against the service on `url` with `workers` uvicorn workers."""
    results = {}
    env = {"OFFER_CATALOG_DATABASE_URL": url}
    with serve("offer_catalog.app:app_from_env", factory=True, env=env, workers=workers) as base:
        for name, requests in mixes(count).items():
            results[name] = load(base, requests, seconds=seconds, concurrency=concurrency, warmup=2.0)
            if results[name].errors:
                sys.exit(f"{name} answered errors: {results[name].statuses}")
    return results


def http(url: str, count: int, seconds: float, concurrency: int, workers: list[int]) -> None:
    """The ceiling, SQLite with one worker, PostgreSQL with each worker count; ratios between them."""
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'tmf620.db'}"
        fill(sqlite_url, count)
        bulk(sqlite_url, url)
        ceiling = measure_ceiling(seconds=seconds, concurrency=concurrency)
        print(ceiling.line("ceiling (raw ASGI, fixed body)"))
        lite = served(sqlite_url, 1, seconds, concurrency, count)
        for name, result in lite.items():
            print(result.line(f"SQLite 1 worker {name}", ceiling))
    pg_one: dict[str, Result] = {}
    for n in workers:
        pg = served(url, n, seconds, concurrency, count)
        pg_one = pg_one or pg
        for name, result in pg.items():
            extra = f"  {result.rps / lite[name].rps:5.2f}x SQLite 1w"
            extra += f"  {result.rps / pg_one[name].rps:5.2f}x PG 1w"
            print(result.line(f"PostgreSQL {n} worker{'s' * (n > 1)} {name}", ceiling) + extra)


def main() -> None:
    """Make a database, run the parts asked for, drop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--loader-docs", type=int, default=2000)
    parser.add_argument("--only", choices=["loaders", "http"])
    args = parser.parse_args()
    url = create_database(args.postgres)
    try:
        open_store(url, pool_size=1).migrate()
        if args.only in (None, "loaders"):
            loaders(url, args.loader_docs)
        if args.only in (None, "http"):
            workers = [int(w) for w in args.workers.split(",")]
            http(url, args.count, args.seconds, args.concurrency, workers)
    finally:
        drop_database(args.postgres, url)


if __name__ == "__main__":
    main()
