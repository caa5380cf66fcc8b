"""Patch engine benchmark: offer_catalog.patch against jsonpatch 1.47 and json-merge-patch 0.3.0.

Run: .venv/bin/python bench/patch.py   (standalone, ~10 s, bounded repeat counts; exit 1 on a FAIL)

Each baseline copies the document as a service must (the stored document is never patched in place):
``jsonpatch.apply_patch(doc, patch)`` (deep-copies internally) and
``json_merge_patch.merge(copy.deepcopy(doc), patch)``. Our timings include parsing the patch
(``apply_json_patch(doc, patch_list)`` compiles the plain list on every call, as a request would).
Figures are medians of several repeats; only the ratios measured in one run mean anything.
"""

from __future__ import annotations

import copy
import json
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from typing import Any

import json_merge_patch
import jsonpatch

from offer_catalog.patch import apply_json_patch, apply_merge_patch, apply_patch_query, compile_json_patch
from offer_catalog.patch._json import json_equal

REPEATS = 7
TARGET_SECONDS = 0.25  # per repeat; keeps the whole run around 15 s


def make_offering() -> dict[str, Any]:
    """A TMF620-style product offering of ~4.5 KB with 20 prices (~263 nodes)."""
    prices = [
        {
            "id": str(7000 + i),
            "name": f"Price {i}",
            "priceType": "recurring" if i % 2 else "oneTime",
            "price": {"unit": "EUR", "value": 10.0 + i},
            "validFor": {"startDateTime": "2024-01-01T00:00:00Z"},
            "isBundle": False,
            "@type": "ProductOfferingPrice",
        }
        for i in range(20)
    ]
    return {
        "id": "9881",
        "href": "https://example.com/productOffering/9881",
        "name": "Business Firewall",
        "description": "Managed firewall for small businesses",
        "version": "1.0",
        "isBundle": False,
        "isSellable": True,
        "lastUpdate": "2024-05-01T10:00:00Z",
        "lifecycleStatus": "Active",
        "validFor": {"startDateTime": "2024-01-01T00:00:00Z", "endDateTime": "2026-12-31T23:59:59Z"},
        "category": [{"id": "7757", "name": "business", "@referredType": "Category"}],
        "channel": [{"id": "1", "name": "online"}, {"id": "2", "name": "shop"}],
        "productSpecification": {"id": "9881", "name": "Firewall", "version": "1.1"},
        "relatedParty": [{"id": "42", "role": "vendor", "name": "Acme"}],
        "marketSegment": [{"id": "1", "name": "SMB"}],
        "statusReason": "launched",
        "@baseType": "ProductOffering",
        "productOfferingPrice": prices,
        "@type": "ProductOffering",
    }


def count_nodes(value: Any) -> int:
    """Count every JSON value in the tree (containers and scalars)."""
    if type(value) is dict:
        return 1 + sum(count_nodes(v) for v in value.values())
    if type(value) is list:
        return 1 + sum(count_nodes(v) for v in value)
    return 1


ONE_REPLACE = [{"op": "replace", "path": "/name", "value": "Business Firewall Plus"}]

TEN_MIXED = [
    {"op": "test", "path": "/id", "value": "9881"},
    {"op": "replace", "path": "/lifecycleStatus", "value": "Retired"},
    {"op": "replace", "path": "/productOfferingPrice/3/price/value", "value": 12.5},
    {"op": "add", "path": "/productOfferingPrice/3/price/taxRate", "value": 20},
    {"op": "remove", "path": "/productOfferingPrice/19"},
    {"op": "add", "path": "/channel/-", "value": {"id": "3", "name": "partner"}},
    {"op": "move", "from": "/description", "path": "/summary"},
    {"op": "copy", "from": "/validFor", "path": "/productOfferingPrice/0/validFor"},
    {"op": "add", "path": "/relatedParty/0/email", "value": "sales@acme.example"},
    {"op": "replace", "path": "/validFor/endDateTime", "value": "2027-12-31T23:59:59Z"},
]

QUERY_REPLACE = [{"op": "replace", "path": "/productOfferingPrice?id=7012/price/value", "value": 12.5}]

MERGE_FIVE = {
    "name": "Business Firewall Plus",
    "lifecycleStatus": "Retired",
    "validFor": {"endDateTime": "2027-12-31T23:59:59Z"},
    "productSpecification": {"version": "1.2"},
    "description": None,
}


def median_us(func: Callable[[], object]) -> float:
    """Median microseconds per call over REPEATS timed batches."""
    timer = timeit.Timer(func)
    number = max(1, int(TARGET_SECONDS / max(timer.timeit(3) / 3, 1e-7)))
    return statistics.median(timer.repeat(repeat=REPEATS, number=number)) / number * 1e6


def main() -> int:
    """Run the three comparisons, print figures and PASS/FAIL per target; exit 1 on any FAIL."""
    doc = make_offering()
    pristine = copy.deepcopy(doc)
    cases: list[tuple[str, Callable[[], object], Callable[[], object], float]] = [
        (
            "JSON Patch, 1 replace",
            lambda: apply_json_patch(doc, ONE_REPLACE),
            lambda: jsonpatch.apply_patch(doc, ONE_REPLACE),
            10.0,
        ),
        (
            "JSON Patch, 10 mixed ops",
            lambda: apply_json_patch(doc, TEN_MIXED),
            lambda: jsonpatch.apply_patch(doc, TEN_MIXED),
            4.0,
        ),
        (
            "Merge Patch, 5 members",
            lambda: apply_merge_patch(doc, MERGE_FIVE),
            lambda: json_merge_patch.merge(copy.deepcopy(doc), MERGE_FIVE),
            20.0,
        ),
    ]
    # Same answers first: a fast wrong engine is worth nothing.
    for name, ours, theirs, _ in cases:
        if not json_equal(ours(), theirs()):
            print(f"MISMATCH: {name}: results differ from the baseline")
            return 1
    print(f"Python {platform.python_version()} on {platform.machine()}, {REPEATS} repeats, medians")
    size = len(json.dumps(doc, separators=(",", ":")))
    print(f"document: {size} bytes of compact JSON, {count_nodes(doc)} nodes")
    print(f"{'case':<26} {'ours µs':>9} {'baseline µs':>12} {'ratio':>7} {'target':>7}  result")
    failed = False
    for name, ours, theirs, target in cases:
        ours_us = median_us(ours)
        theirs_us = median_us(theirs)
        ratio = theirs_us / ours_us
        verdict = "PASS" if ratio >= target else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{name:<26} {ours_us:>9.2f} {theirs_us:>12.1f} {ratio:>6.1f}x {target:>6.0f}x  {verdict}")
    # Informational, no baseline: a plan compiled once, and a JSON Patch Query selecting by id.
    plan = compile_json_patch(TEN_MIXED)
    print(f"{'10 mixed ops, compiled Plan':<26} {median_us(lambda: apply_json_patch(doc, plan)):>9.2f}")
    print(f"{'Patch Query, 1 replace':<26} {median_us(lambda: apply_patch_query(doc, QUERY_REPLACE)):>9.2f}")
    if not json_equal(doc, pristine):
        print("ERROR: the input document was mutated")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
