"""Catalog transfer benchmark: import then export N TMF620 product offerings as NDJSON (default 100,000).

The offerings are bench/scale.py's (~1.5 KB of JSON each: prices, categories, specification,
characteristics, channels, segment). Baseline measured in the same run: decoding and re-encoding every
line of the same file with orjson (the floor any NDJSON import/export pays). Prints documents per
second and the ratio to the baseline. Each database is prepared as `offer-catalog migrate` prepares it
(member and path indexes); the PostgreSQL one is created empty for the run and dropped at its end.

    python bench/transfer.py [--count 100000] [--store sqlite,postgres] [--postgres URL] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from offer_catalog.app import prepare_store
from offer_catalog.events.transfer import TMF620, export_lines, export_plan, import_lines
from offer_catalog.store import Store, open_store
from scale import drop_postgres, fresh_postgres, offering, stamp

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/offer_catalog_transfer"


def line(n: int) -> dict[str, Any]:
    """An export line of offering n (bench/scale.py's body, ~1.5 KB)."""
    when = stamp(n)[:-1] + ".000000Z"
    return {
        "api": TMF620,
        "scope": "tmf620",
        "kind": "productOffering",
        "id": f"po-{n:07d}",
        "version": 1 + n % 3,
        "created_at": when,
        "created_by": None,
        "created_by_client": "tmf620",
        "modified_at": when,
        "modified_by": None,
        "modified_by_client": "tmf620",
        "body": offering(n),
    }


def baseline(path: Path) -> float:
    """Seconds to decode and re-encode every line (the NDJSON floor)."""
    started = time.perf_counter()
    with path.open("rb") as lines:
        for raw in lines:
            orjson.dumps(orjson.loads(raw))
    return time.perf_counter() - started


def run(store: Store, name: str, source: Path, count: int, floor: float, out_dir: Path) -> None:
    """Import the file into an empty store, export it again, print rates and ratios."""
    prepare_store(store)
    started, cpu = time.perf_counter(), time.process_time()
    with source.open("rb") as lines:
        report = import_lines(store, lines)
    imported, imported_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert report.created == count and not report.problems, report
    target = out_dir / f"export-{name}.ndjson"
    started = time.perf_counter()
    with target.open("wb") as file:
        written = 0
        for data in export_lines(store, api=TMF620, plan=export_plan(store, api=TMF620)):
            file.write(data)
            written += 1
    exported = time.perf_counter() - started
    assert written == count
    for what, seconds in (("import", imported), ("export", exported)):
        rate = count / seconds
        print(
            f"{name:9} {what} {rate:>9,.0f} docs/s ({seconds:6.1f} s, {seconds / floor:5.1f}x baseline)",
            flush=True,
        )
    print(
        f"{name:9} import CPU of this process {imported_cpu:6.1f} s ({imported_cpu / floor:5.1f}x baseline)"
    )


def main() -> None:
    """Generate the file, measure the baseline, then each store."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--store", default="sqlite,postgres", help="stores to measure, comma separated")
    parser.add_argument(
        "--postgres", default=PG_DEFAULT, help="a PostgreSQL database URL (created, then dropped)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="imports per store, alternating stores")
    args = parser.parse_args()
    stores = args.store.split(",")
    with tempfile.TemporaryDirectory() as folder:
        out_dir = Path(folder)
        source = out_dir / "offerings.ndjson"
        with source.open("wb") as file:
            for n in range(args.count):
                file.write(orjson.dumps(line(n)) + b"\n")
        floor = baseline(source)
        size = source.stat().st_size / 1e6
        rate = args.count / floor
        print(f"{args.count:,} offerings, {size:.0f} MB; baseline {rate:,.0f} lines/s ({floor:.2f} s)")
        print(
            f"load average {os.getloadavg()[0]:.1f} at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        )
        for _ in range(args.rounds):
            if "sqlite" in stores:
                db = out_dir / "bench.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
                sqlite = open_store(f"sqlite:///{db}")
                try:
                    run(sqlite, "sqlite", source, args.count, floor, out_dir)
                finally:
                    sqlite.close()
            if "postgres" in stores:
                fresh_postgres(args.postgres)
                postgres = open_store(args.postgres, pool_size=4)
                try:
                    run(postgres, "postgres", source, args.count, floor, out_dir)
                finally:
                    postgres.close()
                    drop_postgres(args.postgres)


if __name__ == "__main__":
    main()
