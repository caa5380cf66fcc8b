"""In process: the v4 and v5 views (and write mappings) of one ~1 KB product offering, side by side.

The offering is bench/tmf620.py's; each figure is µs per call, and v5's is printed as a ratio to v4's
measured in the same run (HTTP and storage excluded: this is the per-request cost the mapping adds).

    .venv/bin/python bench/v5_views.py [--count 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from offer_catalog.tmf620.v5_mapping import to_stored, to_view
from tmf620 import offering


def per_call(fn: Callable[[], Any], count: int, rounds: int) -> float:
    """The best of `rounds` runs of `count` calls, in µs of this process's CPU time per call (load-robust)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(count):
            fn()
        best = min(best, time.process_time() - started)
    return best / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    stored = offering(1, random.Random(1))
    v4 = to_view(version="v4", resource="productOffering", stored=stored)
    v5 = to_view(version="v5", resource="productOffering", stored=stored)
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        (
            "view",
            lambda: to_view(version="v4", resource="productOffering", stored=stored),
            lambda: to_view(version="v5", resource="productOffering", stored=stored),
        ),
        (
            "write",
            lambda: to_stored(version="v4", resource="productOffering", body=v4, current=stored),
            lambda: to_stored(version="v5", resource="productOffering", body=v5, current=stored),
        ),
    ]
    for name, run_v4, run_v5 in cases:
        t4 = per_call(run_v4, args.count, args.rounds)
        t5 = per_call(run_v5, args.count, args.rounds)
        print(f"{name:6} v4 {t4:7.1f} µs  v5 {t5:7.1f} µs  v5/v4 {t5 / t4:5.2f}")


if __name__ == "__main__":
    main()
