"""Offer Library (xcore) over HTTP: PATCH a fallback offer's status (the first seed), list 20 approved offers.

10,000 personalized offers (plus their placement, tag, rule and one fallback offer) in one container of a
SQLite file, created through the xcore service with validation and reference checks, served by uvicorn
(one worker, bench/harness.py settings) on loopback. Every figure is printed with its ratio to the raw
ASGI ceiling app measured in the same run. Bounded: about a minute.

    .venv/bin/python bench/offer_library.py [--count 10000] [--seconds 5] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Req, measure_ceiling, run_service_mixes
from offer_catalog.documents.model import Actor
from offer_catalog.offer_library import service
from offer_catalog.offer_library.containers import create_container
from offer_catalog.offer_library.tenancy import Caller
from offer_catalog.resources.offer_library import BY_NAME
from offer_catalog.store import open_store

ORG, SANDBOX = "BENCH@AdobeOrg", "prod"
OM = "https://ns.adobe.com/experience/offer-management/"
HTML = OM + "content-component-html"
WEB = "https://ns.adobe.com/xdm/channel-types/web"
HEADERS = (
    ("Authorization", "Bearer bench-token"),
    ("x-api-key", "bench-client"),
    ("x-gw-ims-org-id", ORG),
    ("x-sandbox-name", SANDBOX),
)


def representation(placement: str) -> dict[str, Any]:
    return {
        "xdm:channel": WEB,
        "xdm:placement": placement,
        "xdm:components": [
            {"@type": HTML, "dc:format": "text/html", "dc:language": ["en"], "xdm:content": "<p>Sale</p>"}
        ],
    }


def fill(url: str, count: int) -> tuple[str, str]:
    """Seed a container through the service; return (container id, fallback offer instance id)."""
    store = open_store(url)
    store.migrate()
    caller = Caller(ORG, SANDBOX, Actor("bench", "bench-client"))
    rng = random.Random(5)

    def make(uow: Any, kind: str, body: dict[str, Any]) -> Any:
        return service.create_instance(
            uow, caller=caller, container_id=container, spec=BY_NAME[kind], instance=body, compile_pql=None
        )

    with store.unit_of_work(write=True) as uow:
        container = create_container(uow, org=ORG, sandbox=SANDBOX, name="bench", actor=caller.actor).id
        placement = make(
            uow, "offer-placement", {"xdm:name": "Web", "xdm:channel": WEB, "xdm:componentType": HTML}
        )
        tag = make(uow, "tag", {"xdm:name": "Sales"})
        rule = make(
            uow,
            "eligibility-rule",
            {
                "xdm:name": "Joe",
                "xdm:condition": {"xdm:type": "PQL", "xdm:format": "pql/text", "xdm:value": "true"},
            },
        )
        fallback = make(
            uow,
            "fallback-offer",
            {
                "xdm:name": "Fallback",
                "xdm:status": "draft",
                "xdm:representations": [representation(placement.body["@id"])],
            },
        )
    for start in range(0, count, 1000):
        with store.unit_of_work(write=True) as uow:
            for i in range(start, min(start + 1000, count)):
                make(
                    uow,
                    "personalized-offer",
                    {
                        "xdm:name": f"Offer {i}",
                        "xdm:status": rng.choice(("draft", "pending", "approved")),
                        "xdm:representations": [representation(placement.body["@id"])],
                        "xdm:selectionConstraint": {
                            "xdm:startDate": "2026-01-01T00:00:00Z",
                            "xdm:endDate": "2027-01-01T00:00:00Z",
                            "xdm:eligibilityRule": rule.body["@id"],
                        },
                        "xdm:rank": {"xdm:priority": rng.randrange(100)},
                        "xdm:tags": [tag.body["@id"]],
                        "xdm:characteristics": {"code": f"C{i:05d}"},
                    },
                )
    store.close()
    return container, fallback.id


def main() -> None:
    """Seed, measure the ceiling, measure the operations, print figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'xcore.db'}"
        started = time.perf_counter()
        container, fallback = fill(url, args.count)
        print(f"seeded {args.count} personalized offers in {time.perf_counter() - started:.1f} s")
        ceiling = measure_ceiling(seconds=args.seconds, concurrency=args.concurrency)
        print(ceiling.line("ceiling (raw ASGI, fixed body)"))
        base_path = f"/data/core/xcore/{container}/instances"
        patch_headers = (
            *HEADERS,
            ("Accept", "application/vnd.adobe.platform.xcore.xdm.receipt+json; version=1"),
            (
                "Content-Type",
                'application/vnd.adobe.platform.xcore.patch.hal+json; version=1; schema="'
                + OM
                + 'fallback-offer;version=0.1"',
            ),
        )
        list_query = urlencode(
            {
                "schema": OM + "personalized-offer;version=0.5",
                "property": "_instance.xdm:status==approved",
                "limit": "20",
            }
        )
        list_headers = (
            *HEADERS,
            (
                "Accept",
                'application/vnd.adobe.platform.xcore.hal+json; schema="https://ns.adobe.com/experience/xcore/hal/results"',
            ),
        )
        mixes: dict[str, list[Req]] = {
            "GET instances/{id} (the fallback offer)": [
                Req("GET", f"{base_path}/{fallback}", headers=HEADERS)
            ],
            "PATCH fallback offer xdm:status (seed 000)": [
                Req(
                    "PATCH",
                    f"{base_path}/{fallback}",
                    orjson.dumps([{"op": "replace", "path": "/_instance/xdm:status", "value": status}]),
                    patch_headers,
                )
                for status in ("approved", "draft")
            ],
            "GET instances?schema=offer&property=status==approved&limit=20": [
                Req("GET", f"{base_path}?{list_query}", headers=list_headers)
            ],
        }
        run_service_mixes(url, mixes, seconds=args.seconds, concurrency=args.concurrency, ceiling=ceiling)


if __name__ == "__main__":
    main()
