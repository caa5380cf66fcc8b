"""Event delivery lag: commit to receiver, p50/p99, at a steady write rate (default 200 writes/s).

The service (uvicorn, one worker) runs on a fresh database with one hub subscription to a receiver on
loopback; a paced client creates product offerings at the rate. The lag of an event is its arrival at
the receiver minus its `eventTime` (stamped in the write's transaction). Baseline measured in the same
run: the round trip of POSTing the same envelope straight to the receiver (the floor of any webhook).

    .venv/bin/python bench/events_lag.py [--rate 200] [--seconds 15] [--poll-ms 250] [--postgres URL]

With --postgres the URL names a server and a database allowed to create databases: the run makes a
fresh database of its own there, migrated, and drops it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from harness import free_port, serve
from offer_catalog.store import open_store
from pg import create_database, drop_database

PO = "/tmf-api/productCatalogManagement/v4/productOffering"


class Arrivals:
    """What the receiver got: eventId -> (eventTime as epoch seconds, arrival epoch seconds)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[str, tuple[float, float]] = {}

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler recording into this object."""
        arrivals = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                now = time.time()
                body = json.loads(raw)
                stamp = datetime.fromisoformat(body.get("eventTime", "1970-01-01T00:00:00Z")).timestamp()
                with arrivals.lock:
                    arrivals.seen.setdefault(body.get("eventId", ""), (stamp, now))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def baseline(url: str, count: int = 500) -> list[float]:
    """Seconds per direct POST of an event-sized body to the receiver."""
    body = json.dumps({"eventId": "b", "eventTime": "2026-01-01T00:00:00Z", "event": {"x": "y" * 600}})
    out = []
    with httpx.Client() as client:
        for n in range(count):
            started = time.perf_counter()
            client.post(
                url, content=body.replace('"b"', f'"b{n}"'), headers={"Content-Type": "application/json"}
            )
            out.append(time.perf_counter() - started)
    return out


async def paced_writes(base: str, rate: float, seconds: float) -> tuple[int, float]:
    """Create offerings at a steady rate (each write starts on its slot); how many, and the rate achieved."""
    total = int(rate * seconds)
    limits = httpx.Limits(max_connections=32)
    timeout = httpx.Timeout(30, pool=None)  # writes wait for a connection when the service falls behind
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        started = time.monotonic()

        async def one(n: int) -> None:
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            for attempt in range(3):
                try:
                    response = await client.post(PO, json={"id": f"lag-{n}", "name": f"offering {n}"})
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    # A keep-alive connection the server closed as it was reused: send again (an id
                    # already taken means the first one went through).
                    if attempt == 2:
                        raise
                    continue
                if response.status_code != 409:
                    response.raise_for_status()
                return

        await asyncio.gather(*(one(n) for n in range(total)))
        took = time.monotonic() - started
    if took > seconds + 1:
        print(f"warning: the writes took {took:.1f} s, not {seconds:.0f} s: the service did not keep up")
    return total, total / took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--poll-ms", type=int, default=250)
    parser.add_argument("--postgres", default="")
    args = parser.parse_args()

    arrivals = Arrivals()
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), arrivals.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver = f"http://127.0.0.1:{port}/listener"
    floor = baseline(receiver)
    with arrivals.lock:
        arrivals.seen.clear()

    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{Path(tmp) / 'lag.db'}"
        if args.postgres:
            database = create_database(args.postgres)
            made_store = open_store(database, pool_size=1)
            made_store.migrate()
            made_store.close()
        env = {
            "OFFER_CATALOG_DATABASE_URL": database,
            "OFFER_CATALOG_HUB_ALLOW_PRIVATE_TARGETS": "true",
            "OFFER_CATALOG_HUB_POLL_MS": str(args.poll_ms),
        }
        with serve("offer_catalog.app:app_from_env", factory=True, env=env) as base:
            made = httpx.post(f"{base}/tmf-api/productCatalogManagement/v4/hub", json={"callback": receiver})
            made.raise_for_status()
            written, achieved = asyncio.run(paced_writes(base, args.rate, args.seconds))
            deadline = time.monotonic() + 120
            while len(arrivals.seen) < written and time.monotonic() < deadline:
                time.sleep(0.1)
            httpx.delete(f"{base}/tmf-api/productCatalogManagement/v4/hub/{made.json()['id']}")
        if args.postgres:
            drop_database(args.postgres, database)
    server.shutdown()

    lags = [arrived - stamp for stamp, arrived in arrivals.seen.values()]
    store = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{store}, {args.rate:.0f} writes/s asked ({achieved:.0f}/s achieved), hub poll {args.poll_ms} ms")
    print(f"events delivered: {len(lags)} of {written}")
    if not lags:
        raise SystemExit("no event reached the receiver")
    base_p50, base_p99 = percentile(floor, 0.5), percentile(floor, 0.99)
    print(
        f"baseline (direct POST to the receiver): p50 {base_p50 * 1000:.2f} ms, p99 {base_p99 * 1000:.2f} ms"
    )
    p50, p99 = percentile(lags, 0.5), percentile(lags, 0.99)
    print(
        f"commit -> receiver lag: p50 {p50 * 1000:.1f} ms ({p50 / base_p50:.0f}x baseline), "
        f"p99 {p99 * 1000:.1f} ms ({p99 / base_p99:.0f}x baseline), "
        f"mean {statistics.fmean(lags) * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
