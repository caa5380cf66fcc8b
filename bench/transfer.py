"""Catalog transfer benchmark: import then export N TMF620 product offerings as NDJSON (default 100,000).

Baseline measured in the same run: decoding and re-encoding every line of the same file with orjson
(the floor any NDJSON import/export pays). Prints documents per second and the ratio to the baseline.
The database is prepared as `offer-catalog migrate` prepares it (member and path indexes).

    .venv/bin/python bench/transfer.py [--count 100000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from offer_catalog.app import MEMBER_INDEXES, PATH_INDEXES
from offer_catalog.events.transfer import TMF620, export_lines, export_plan, import_lines
from offer_catalog.store import Store, open_store


def offering(n: int) -> dict[str, Any]:
    """An export line of a ~0.9 KB product offering."""
    stamp = "2026-01-01T00:00:00.000000Z"
    body = {
        "name": f"Offering {n}",
        "description": "A realistic product offering description " * 3,
        "lifecycleStatus": ["In study", "Active", "Launched"][n % 3],
        "isBundle": False,
        "isSellable": True,
        "version": "1.0",
        "lastUpdate": "2026-01-01T00:00:00Z",
        "validFor": {"startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"},
        "category": [
            {"id": f"cat-{n % 40}", "href": f"/tmf-api/productCatalogManagement/v4/category/cat-{n % 40}"}
        ],
        "productOfferingPrice": [{"id": f"pop-{n % 90}", "name": "monthly"}],
        "@type": "ProductOffering",
    }
    return {
        "api": TMF620,
        "scope": "tmf620",
        "kind": "productOffering",
        "id": f"po-{n:07d}",
        "version": 1 + n % 3,
        "created_at": stamp,
        "created_by": None,
        "created_by_client": "tmf620",
        "modified_at": stamp,
        "modified_by": None,
        "modified_by_client": "tmf620",
        "body": body,
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
    store.migrate()
    # As `offer-catalog migrate` prepares a database: the list filters' member and path indexes.
    store.ensure_member_indexes(MEMBER_INDEXES)
    store.ensure_path_indexes(PATH_INDEXES)
    started = time.perf_counter()
    with source.open("rb") as lines:
        report = import_lines(store, lines)
    imported = time.perf_counter() - started
    assert report.created == count and not report.problems, report
    target = out_dir / f"export-{name}.ndjson"
    started = time.perf_counter()
    with target.open("wb") as file:
        written = 0
        for line in export_lines(store, api=TMF620, plan=export_plan(store, api=TMF620)):
            file.write(line)
            written += 1
    exported = time.perf_counter() - started
    assert written == count
    for what, seconds in (("import", imported), ("export", exported)):
        rate = count / seconds
        print(f"{name:9} {what} {rate:>9,.0f} docs/s ({seconds:6.1f} s, {seconds / floor:5.1f}x baseline)")


def main() -> None:
    """Generate the file, measure the baseline, then each store."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL to measure as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out_dir = Path(folder)
        source = out_dir / "offerings.ndjson"
        with source.open("wb") as file:
            for n in range(args.count):
                file.write(orjson.dumps(offering(n)) + b"\n")
        floor = baseline(source)
        size = source.stat().st_size / 1e6
        rate = args.count / floor
        print(f"{args.count:,} offerings, {size:.0f} MB; baseline {rate:,.0f} lines/s ({floor:.2f} s)")
        sqlite = open_store(f"sqlite:///{out_dir / 'bench.db'}")
        try:
            run(sqlite, "sqlite", source, args.count, floor, out_dir)
        finally:
            sqlite.close()
        if args.postgres:
            postgres = open_store(args.postgres, pool_size=2)
            try:
                run(postgres, "postgres", source, args.count, floor, out_dir)
            finally:
                postgres.close()


if __name__ == "__main__":
    main()
