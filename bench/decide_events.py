"""Interaction events ingested per second (in process, SQLite), against the store's bare inserts.

Run: .venv/bin/python bench/decide_events.py [--decisions 2000] [--batch 100]

The container is the engine benchmark's (bench/decide_engine.py: 10,000 offers, caps included),
compiled once. `--decisions` logged decisions (3 scopes x 1 item) are made first; then every
proposed option gets a display and a click event (plain JSON shape), sent in requests of `--batch`
events through the path the HTTP endpoint uses (`parse_events` + `record_events`: each event tied
to its logged proposition, deduplicated by id, event-based caps counted, one transaction per
request). Printed: events per second (wall clock and per CPU second of the process) and, as the
baseline measured in the same run, the same number of rows inserted with the store's bare
`insert_interaction_event` in transactions of the same size.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import decide_engine as gen
from offer_catalog.decisioning.feedback import record_events
from offer_catalog.decisioning.interactions import parse_events
from offer_catalog.decisioning.service import Caches, decide_for
from offer_catalog.decisioning.snapshots import SnapshotCache
from offer_catalog.store import open_store
from offer_catalog.store.decision_log import InteractionEvent

CONTAINER = "bench-events"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--decisions", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    docs = gen.build_container()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'events.db'}")
        store.migrate()
        caches = Caches(
            snapshots=SnapshotCache(load=lambda _u, _c: [(d["schema"], d["@id"], d) for d in docs])
        )
        scopes = [gen.scope(a, a, 1) for a in range(3)]
        rng = random.Random(3)
        now = datetime.now(UTC)
        events: list[dict[str, Any]] = []
        for i, profile in enumerate(gen.profiles(args.decisions)):
            body = {"xdm:propositionRequests": scopes, "xdm:profiles": [profile]}
            response = decide_for(
                store, container_id=CONTAINER, request_body=body, now=now, rng=rng, caches=caches
            ).result.response
            for proposition in response["xdm:propositions"]:
                for option in proposition.get("xdm:options", []):
                    for kind in ("display", "click"):
                        events.append(
                            {
                                "eventId": f"{kind}-{i}-{option['xdm:id']}",
                                "propositionId": response["xdm:propositionId"],
                                "offerId": option["xdm:id"],
                                "type": kind,
                            }
                        )
        caches.log.deferred.flush()
        offers = caches.snapshots.get(store, CONTAINER).snapshot.offers
        batches = [events[i : i + args.batch] for i in range(0, len(events), args.batch)]
        started, cpu = time.perf_counter(), time.process_time()
        accepted = 0
        for batch in batches:
            receipt = record_events(
                store,
                container_id=CONTAINER,
                interactions=parse_events(batch, now),
                now=now,
                log=caches.log,
                offers=offers,
            )
            accepted += receipt.accepted
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        template = InteractionEvent(CONTAINER, "", "o", "p", "a", "pl", "display", "t", "t", "k")
        started = time.perf_counter()
        for n, batch in enumerate(batches):
            with store.unit_of_work(write=True) as uow:
                for m, _event in enumerate(batch):
                    uow.insert_interaction_event(replace(template, event_id=f"bare-{n}-{m}"))
        bare = time.perf_counter() - started
        store.close()
    rate = accepted / wall
    print(f"events: {accepted:,} accepted in {len(batches):,} requests of {args.batch}")
    print(f"events ingested/s: {rate:,.0f} by the wall clock, {accepted / cpu:,.0f} per CPU second")
    print(f"baseline, bare inserts in the same transactions (same run): {len(events) / bare:,.0f}/s")
    print(f"ingest / bare insert: {rate / (len(events) / bare):.2f}x")


if __name__ == "__main__":
    main()
