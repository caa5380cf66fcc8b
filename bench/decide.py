"""HTTP decision benchmark: POST /data/core/ode/{container}/decisions on a real uvicorn server (SQLite).

Run: .venv/bin/python bench/decide.py [--seconds 10] [--concurrency 16] [--write]
(~45 s; --write also updates docs/benchmarks/decide_http.md)

The container is the engine benchmark's (bench/decide_engine.py: 10,000 personalized offers, 200
rules, 50 placements, 20 activities, collections of 500, 10% global caps, 10% daily profile caps),
created through the Offer Library service layer (`create_instance`: validation, PQL compilation,
reference checks, history and outbox, as over HTTP) in a fresh SQLite file. Every request is the
engine benchmark's headline "3-item request" (3 scopes x 1 item, priority-ranked activities) for
one of 2,000 generated profiles, content included; capped offers draw their counters down durably.

Printed: the ceiling app (raw ASGI, same uvicorn settings) and the decision endpoint with the
decision log off, then on (`OFFER_CATALOG_DECISION_LOG`), each with req/s and p50/p99, the
endpoint's ratio to the ceiling and the log-on / log-off ratio; then, in process, decisions per second
through `decide_for` (snapshot cached, counters read and written on SQLite) against the pure
engine alone on the same snapshot, and the snapshot's build time and approximate memory.
"""

from __future__ import annotations

import argparse
import platform
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

import decide_engine as gen
from decide_stages import stages
from harness import Req, Result, load, measure_ceiling, serve
from offer_catalog.decisioning.decision_log import DecisionLog
from offer_catalog.decisioning.engine import decide
from offer_catalog.decisioning.pql import compile_rule
from offer_catalog.decisioning.service import Caches, decide_for
from offer_catalog.documents.model import Actor
from offer_catalog.offer_library.containers import create_container
from offer_catalog.offer_library.service import create_instance
from offer_catalog.offer_library.tenancy import Caller
from offer_catalog.resources.offer_library import BY_NAME
from offer_catalog.store import Store, open_store
from offer_catalog.store.base import UnitOfWork

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks" / "decide_http.md"
NOTES = """Reading the figures:

- On SQLite a decision request runs on the event loop: strict JSON parse, validation, the tenancy
  check and container version (two point reads), the engine, the log rows, orjson rendering. A
  decision that draws counters down then awaits the counter writer: one thread applies the
  increment sets of every decision queued meanwhile, with their log rows and the rows queued by
  decisions that drew no counter (one multi-row INSERT), in one transaction, one fsync. The
  dry-run line is the same request writing nothing: its distance to the durable line is what the
  durable capping costs.
- On a shared 2-core machine the ratio to the ceiling moves with the load: the ceiling needs almost
  no CPU per request, the decision endpoint several hundred microseconds (the stage table), and the
  engine alone takes about a third of that. The figure to compare across runs is the ratio measured
  in the same round.
- The first decision after any change to the container rebuilds the snapshot (incrementally from the
  outbox when it can); a full build of 10,000 offers takes about 1.5-2 s on a quiet machine.
"""
ORG, SANDBOX = "BENCH@AdobeOrg", "prod"
CALLER = Caller(ORG, SANDBOX, Actor("bench", "bench-client"))
HEADERS = (
    ("Authorization", "Bearer bench"),
    ("x-api-key", "bench-client"),
    ("x-gw-ims-org-id", ORG),
    ("x-sandbox-name", SANDBOX),
    ("Content-Type", "application/json"),
    ("Accept", "application/json"),
)
# Creation order: every reference points at an instance created earlier.
ORDER = (
    "offer-placement",
    "eligibility-rule",
    "ranking-function",
    "tag",
    "personalized-offer",
    "offer-filter",
    "fallback-offer",
    "offer-activity",
)
WEB = "https://ns.adobe.com/xdm/channel-types/web"
BATCH = 500


def _remap(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_remap(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _remap(v, ids) for k, v in value.items()}
    return value


def _valid(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The generator's body with the members the Offer Library requires and the engine does not."""
    if kind == "offer-placement":
        body = {**body, "xdm:channel": WEB}
    if kind == "fallback-offer":
        reps = [
            {
                **r,
                "xdm:channel": WEB,
                "xdm:components": [{**c, "dc:format": "text/html"} for c in r["xdm:components"]],
            }
            for r in body["xdm:representations"]
        ]
        body = {**body, "xdm:representations": reps}
    return body


def _create(uow: UnitOfWork, container: str, kind: str, body: dict[str, Any]) -> str:
    doc = create_instance(
        uow,
        caller=CALLER,
        container_id=container,
        spec=BY_NAME[kind],
        instance=body,
        compile_pql=compile_rule,
    )
    return str(doc.body["@id"])


def build_container(store: Store) -> tuple[str, dict[str, str], float]:
    """Create the benchmark container through the service; (container id, generator id -> @id, seconds)."""
    started = time.perf_counter()
    docs = sorted(gen.build_container(), key=lambda d: ORDER.index(d["schema"]))
    ids: dict[str, str] = {}
    with store.unit_of_work(write=True) as uow:
        container = create_container(uow, org=ORG, sandbox=SANDBOX, name="bench", actor=CALLER.actor).id
    for start in range(0, len(docs), BATCH):
        with store.unit_of_work(write=True) as uow:
            for doc in docs[start : start + BATCH]:
                body = _valid(doc["schema"], _remap(doc["instance"], ids))
                ids[doc["@id"]] = _create(uow, container, doc["schema"], body)
    return container, ids, time.perf_counter() - started


def request_bodies(ids: dict[str, str], count: int) -> list[dict[str, Any]]:
    """The headline 3-item request (3 scopes x 1 item) for `count` generated profiles."""
    scopes = [_remap(gen.scope(a, a, 1), ids) for a in range(3)]
    return [
        {
            "xdm:propositionRequests": scopes,
            "xdm:profiles": [p],
            "xdm:responseFormat": {"xdm:includeContent": True},
        }
        for p in gen.profiles(count)
    ]


def in_process(
    store: Store, container: str, bodies: list[dict[str, Any]], seconds: float
) -> dict[str, float]:
    """Decisions per second through decide_for (cached snapshot, SQLite counters) and the bare engine."""
    caches = Caches()
    unlogged = Caches(snapshots=caches.snapshots, log=DecisionLog(enabled=False))
    entry = caches.snapshots.get(store, container)
    rng = random.Random(3)
    now = datetime.now(UTC)
    out: dict[str, float] = {"build_s": entry.build_seconds, "bytes": entry.approximate_size()}
    for name in ("service_unlogged", "service", "engine"):
        done = writes = 0
        cpu, wall = time.process_time(), time.perf_counter()
        while time.perf_counter() - wall < seconds:
            body = bodies[done % len(bodies)]
            if name != "engine":
                decision = decide_for(
                    store,
                    container_id=container,
                    request_body=body,
                    now=now,
                    rng=rng,
                    caches=caches if name == "service" else unlogged,
                )
                writes += bool(decision.result.increments)
            else:
                decide(entry.snapshot, body, now=now, counters=None, rng=rng)
            done += 1
        out[name] = done / (time.perf_counter() - wall)
        out[name + "_cpu"] = done / (time.process_time() - cpu)
        out[name + "_writes"] = writes / max(done, 1)
    return out


def _loadavg() -> str:
    """The 1, 5 and 15 minute load averages (Linux), to read a round's figures against."""
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])
    except OSError:
        return "n/a"


def http_round(url: str, path: str, reqs: list[Req], dry: list[Req], args: argparse.Namespace) -> list[str]:
    """One round: the ceiling, then the endpoint with the log off, then on (and dry runs on it)."""
    lines = [f"load average before the round: {_loadavg()}"]
    ceiling = measure_ceiling(seconds=args.seconds, concurrency=args.concurrency)
    lines.append(ceiling.line("ceiling (raw ASGI, fixed body)"))
    results: dict[str, Result] = {}
    for log in ("false", "true"):
        env = {"OFFER_CATALOG_DATABASE_URL": url, "OFFER_CATALOG_DECISION_LOG": log}
        with serve("offer_catalog.app:app_from_env", factory=True, env=env) as base:
            first = httpx.post(base + path, content=reqs[0].body, headers=dict(HEADERS), timeout=300)
            assert first.status_code == 200, first.text
            results[log] = load(base, reqs, seconds=args.seconds, concurrency=args.concurrency)
            if log == "true":
                results["dry"] = load(base, dry, seconds=args.seconds, concurrency=args.concurrency)
    off, on, dry_run = results["false"], results["true"], results["dry"]
    lines += [
        off.line("decisions, durable capping, log off", ceiling),
        on.line("decisions, durable capping, log on", ceiling),
        dry_run.line("decisions, dry run (no counter, no log)", ceiling),
        f"durable capping, log on: {on.rps / ceiling.rps:.3f}x the ceiling (target >= 0.25x); "
        f"log on vs off {on.rps / off.rps:.2f}x (target >= 0.8x); vs dry run {on.rps / dry_run.rps:.2f}x",
    ]
    bad = {k: r.statuses for k, r in results.items() if r.errors}
    assert not bad, bad
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    lines = [
        f"python {platform.python_version()} on {platform.machine()}; uvicorn, 1 worker, uvloop + httptools; "
        f"{args.seconds:.0f} s per load run, {args.concurrency} keep-alive connections, loopback",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = open_store(url)
        store.migrate()
        container, ids, build_s = build_container(store)
        lines.append(
            f"container: {gen.N_OFFERS:,} offers, {gen.N_RULES} rules, {gen.N_PLACEMENTS} placements, "
            f"{gen.N_ACTIVITIES} activities, collections of {gen.COLLECTION_SIZE}; "
            f"created through the service in {build_s:.1f} s"
        )
        bodies = request_bodies(ids, 2_000)
        path = f"/data/core/ode/{container}/decisions"
        reqs = [Req("POST", path, orjson.dumps(b), HEADERS) for b in bodies]
        dry = [Req("POST", path, orjson.dumps({**b, "xdm:dryRun": True}), HEADERS) for b in bodies]
        for number in range(1, args.rounds + 1):
            lines += ["", f"round {number}:", "```"]
            lines += http_round(url, path, reqs, dry, args)
            lines.append("```")
            print("\n".join(lines[-9:]), flush=True)
        figures = in_process(store, container, bodies, min(args.seconds, 5.0))
        steps = stages(store, container, bodies, CALLER)
        store.close()
    lines += [
        "",
        "In process, one thread (same container, same 2,000 profiles, counters on the same SQLite file):",
        "",
        "| path | decisions/s (wall) | decisions/CPU-s | vs engine alone |",
        "|---|---:|---:|---:|",
        f"| `decide_for`, decision log off (snapshot check + counters) | {figures['service_unlogged']:,.0f} "
        f"| {figures['service_unlogged_cpu']:,.0f} "
        f"| {figures['service_unlogged'] / figures['engine']:.2f}x |",
        f"| `decide_for`, decision log on | {figures['service']:,.0f} "
        f"| {figures['service_cpu']:,.0f} | {figures['service'] / figures['engine']:.2f}x |",
        f"| `engine.decide` alone | {figures['engine']:,.0f} | {figures['engine_cpu']:,.0f} | 1.00x |",
        "",
        f"{figures['service_unlogged_writes']:.0%} of the decisions proposed a capped offer and wrote "
        "counters (one durable transaction each: a single thread gets no group commit); the log rows "
        "of the others are queued and written with the next commit.",
        f"snapshot: built in {figures['build_s']:.2f} s, {figures['bytes'] / 2**20:.1f} MiB reachable "
        "(approximate_size, includes the instance bodies)",
        "",
        "Where one decision's time goes, stage by stage (each alone, one thread; bench/decide_stages.py):",
        "",
        "| stage | CPU µs | wall µs |",
        "|---|---:|---:|",
        *(f"| {name} | {cpu:,.1f} | {wall:,.1f} |" for name, cpu, wall in steps),
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        DOC.write_text(
            "# HTTP decision benchmark\n\n"
            "Reproduce: `.venv/bin/python bench/decide.py --rounds 3 --seconds 6 --write` (about 3 min).\n"
            "The module docstring of `bench/decide.py` describes the container and the load.\n"
            "Timings are only meaningful as ratios within one run (shared, noisy machines).\n\n"
            f"Latest run ({datetime.now(UTC).date().isoformat()}):\n\n{report}\n\n{NOTES}",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
