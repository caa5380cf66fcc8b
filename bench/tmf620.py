"""TMF620 over HTTP: GET one offering, PATCH it (merge, one member), lists of 20 filtered by a member
(`lifecycleStatus`) and by an array path (`category.id`);
GET and PATCH also through v5 (the same offerings, the v5 view), to compare with v4 in one run.

10,000 offerings in SQLite, served by uvicorn (one worker, bench/harness.py settings) on loopback;
every figure is printed with its ratio to the raw-ASGI ceiling app measured in the same run.
Bounded: about a minute.

    .venv/bin/python bench/tmf620.py [--count 10000] [--seconds 5] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Req, measure_ceiling, run_service_mixes
from offer_catalog.resources.tmf620.lifecycle import STATES
from offer_catalog.store import open_store
from offer_catalog.tmf620 import service
from offer_catalog.tmf620.resources import RESOURCES

BASE = "/tmf-api/productCatalogManagement/v4/productOffering"
V5_BASE = "/tmf-api/productCatalogManagement/v5/productOffering"
OFFERING = RESOURCES["productOffering"]


def offering(i: int, rng: random.Random) -> dict[str, Any]:
    """A realistic ~1 KB product offering."""
    return {
        "id": f"po-{i:06d}",
        "name": f"Offering {i}",
        "description": "A mobile plan with data, voice and roaming options " * 2,
        "isBundle": False,
        "isSellable": True,
        "lifecycleStatus": rng.choice(STATES),
        "version": "1.0",
        "@type": "ProductOfferingOracle" if i % 2 else "ProductOffering",
        "validFor": {"startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"},
        "productSpecification": {
            "id": f"ps-{i % 100}",
            "name": "Mobile",
            "@referredType": "ProductSpecification",
        },
        "productOfferingPrice": [
            {"id": f"pop-{i}-{k}", "name": f"Price {k}", "@type": "ProductOfferingPriceRef"} for k in range(3)
        ],
        "category": [{"id": f"cat-{i % 20}", "name": "Plans"}],
        "channel": [{"id": "web", "name": "Web"}, {"id": "shop", "name": "Shop"}],
    }


def fill(url: str, count: int) -> None:
    """Create the offerings through the TMF620 service (validation included), 1,000 per transaction."""
    store = open_store(url)
    store.migrate()
    rng = random.Random(620)
    for start in range(0, count, 1000):
        with store.unit_of_work(write=True) as uow:
            for i in range(start, min(start + 1000, count)):
                service.create(uow, scope="tmf620", resource=OFFERING, body=offering(i, rng))
    store.close()


def main() -> None:
    """Seed, measure the ceiling, measure the three operations, print figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'tmf620.db'}"
        started = time.perf_counter()
        fill(url, args.count)
        print(f"seeded {args.count} offerings in {time.perf_counter() - started:.1f} s")
        ceiling = measure_ceiling(seconds=args.seconds, concurrency=args.concurrency)
        print(ceiling.line("ceiling (raw ASGI, fixed body)"))
        ids = [f"po-{i:06d}" for i in random.Random(1).sample(range(args.count), 50)]
        json_headers = (("Content-Type", "application/json"),)
        mixes: dict[str, list[Req]] = {
            "GET productOffering/{id}": [Req("GET", f"{BASE}/{i}") for i in ids],
            "PATCH productOffering/{id} (merge, 1 member)": [
                Req("PATCH", f"{BASE}/{i}", orjson.dumps({"description": f"changed {n}"}), json_headers)
                for n, i in enumerate(ids)
            ],
            "GET productOffering?lifecycleStatus=&limit=20": [
                Req("GET", f"{BASE}?lifecycleStatus={s.replace(' ', '%20')}&limit=20") for s in STATES
            ],
            "GET productOffering?category.id=&limit=20": [
                Req("GET", f"{BASE}?category.id=cat-{k}&limit=20") for k in range(20)
            ],
            "v5 GET productOffering/{id}": [Req("GET", f"{V5_BASE}/{i}") for i in ids],
            "v5 PATCH productOffering/{id} (merge, 1 member)": [
                Req("PATCH", f"{V5_BASE}/{i}", orjson.dumps({"description": f"v5 {n}"}), json_headers)
                for n, i in enumerate(ids)
            ],
        }
        run_service_mixes(url, mixes, seconds=args.seconds, concurrency=args.concurrency, ceiling=ceiling)


if __name__ == "__main__":
    main()
