"""Where the microseconds of one TMF620 request go, in process: the ASGI app called directly, layer by layer.

No server and no client: each request is a scope handed to the app, its answer collected in memory.
The app is entered at each layer in turn (the whole middleware stack, then past each middleware, the
TMF620 API, its router, the endpoint), so the time of a layer is the difference between entering
above it and below it. GET runs one request at a time; PATCH runs 32 at a time (as the HTTP benchmark
does, so writes share commits) and is reported as CPU time of the process per request. Bounded: about
a minute.

    .venv/bin/python bench/http_layers.py [--count 2000] [--rounds 5] [--whole] [--calls]
    .venv/bin/python bench/http_layers.py --profile get|patch
    .venv/bin/python bench/http_layers.py --offer-library [--rounds 3]   # Offer Library GET instance

Comparing two versions of the code on a busy machine: run this script alternately with PYTHONPATH
set to each version's src (`--whole`: only the whole-app GET and the PATCH, more rounds per minute),
or count what does not depend on the machine's load: `--calls` prints the Python function calls
per GET of the whole app (SQLite reads run on the event loop, so every call of a GET is counted), and
per merge PATCH one at a time, counted on every thread (the event loop and the store's writer thread;
not exact: background work on the loop, such as the event relay, is counted too, about +-15 calls).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import os
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from starlette.routing import Router

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from tmf620 import BASE, fill

Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def scope_of(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """An HTTP scope as uvicorn hands it to the app."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8080"), (b"user-agent", b"bench"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }


async def call(app: Asgi, scope: dict[str, Any], body: bytes) -> int:
    """Run one request through app; its status."""
    status = 0
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


class Layers:
    """The entry points of the app, outermost first, each with how to prepare a scope for it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        stack = app.middleware_stack
        self.entries = [("whole app", app, lambda s: None)]
        layer = stack
        while True:
            name = type(layer).__name__
            self.entries.append((f"from {name}", layer, self._prep(app)))
            if isinstance(layer, Router):
                break
            layer = layer.app

    def _prep(self, app: Any) -> Callable[[dict[str, Any]], None]:
        def prep(scope: dict[str, Any]) -> None:
            scope["app"] = app
            state = scope["state"]
            state.setdefault("request_id", "bench")
            if "principal" not in state:
                from offer_catalog.auth.principal import ANONYMOUS

                state["principal"] = ANONYMOUS

        return prep


def inner_entries(
    app: Any, path: str, method: str
) -> list[tuple[str, Asgi, Callable[[dict[str, Any]], None]]]:
    """Entry points inside the router: the TMF620 API, its router, the matched route, the endpoint."""
    from starlette.routing import Match

    from offer_catalog.auth.principal import ANONYMOUS

    def base(scope: dict[str, Any]) -> None:
        scope["app"] = app
        scope["state"].setdefault("request_id", "bench")
        scope["state"].setdefault("principal", ANONYMOUS)

    mount = next(
        r for r in app.router.routes if type(r).__name__ == "ApiMount" and path.startswith(r.prefixes[0])
    )
    api = mount.api
    probe = scope_of(method, path, [])
    base(probe)
    route = next(r for r in api.router.routes if r.matches(probe)[0] == Match.FULL)
    _, child = route.matches(probe)

    def matched(scope: dict[str, Any]) -> None:
        base(scope)
        scope.update(child)

    endpoint = route.operation(method).endpoint

    async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
        from starlette.requests import Request

        response = await endpoint(Request(scope, receive, send))
        await response(scope, receive, send)

    return [
        ("from the TMF620 Api (error registry)", api, base),
        ("from the Api's guard + router", api.app.app, base),
        ("from the Api's router", api.router, base),
        ("from the matched route", route.handle, matched),
        ("from the endpoint (Request + Response)", bare, matched),
    ]


async def time_get(entry: Asgi, prep: Callable[[dict[str, Any]], None], paths: list[str], n: int) -> float:
    """CPU microseconds of the process per GET entering at entry (best of three batches).

    CPU time, not wall time: on a shared machine the wall clock also counts the time other
    processes ran, and that varies far more than what is measured here."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for i in range(n):
            scope = scope_of("GET", paths[i % len(paths)], [])
            prep(scope)
            status = await call(entry, scope, b"")
            if status != 200:
                raise SystemExit(f"GET answered {status}")
        best = min(best, (time.process_time() - started) / n * 1e6)
    return best


async def time_patch(
    entry: Asgi, prep: Callable[[dict[str, Any]], None], paths: list[str], n: int, concurrency: int
) -> tuple[float, float]:
    """(CPU µs, wall µs) per merge PATCH entering at entry, `concurrency` at a time."""
    headers = [(b"content-type", b"application/json")]
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            scope = scope_of("PATCH", paths[i % len(paths)], headers)
            prep(scope)
            body = orjson.dumps({"description": f"changed {i}"})
            status = await call(entry, scope, body)
            if status != 200:
                raise SystemExit(f"PATCH answered {status}")

    cpu, wall, times, loop = time.process_time(), time.perf_counter(), os.times(), time.thread_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    after, loop = os.times(), (time.thread_time() - loop) / n * 1e6
    user, system = (after.user - times.user) / n * 1e6, (after.system - times.system) / n * 1e6
    print(
        f"    PATCH round: user {user:.0f} µs, system {system:.0f} µs, event loop thread {loop:.0f} µs",
        flush=True,
    )
    return (time.process_time() - cpu) / n * 1e6, (time.perf_counter() - wall) / n * 1e6


THREAD_PROFILES: list[cProfile.Profile] = []
CALLS = itertools.count()  # calls seen by `_count` on any thread (next() is atomic)


def _count(frame: Any, event: str, arg: Any) -> None:
    if event in ("call", "c_call"):  # what cProfile counts: Python functions and builtins
        next(CALLS)


def count_every_thread() -> None:
    """Count the calls of every thread started from now on (before the app starts its writer thread)."""
    threading.setprofile(_count)


def profile_threads() -> None:
    """Profile every thread started from now on (before the app starts its thread pool)."""

    def in_thread(*_: Any) -> None:
        started = cProfile.Profile()
        THREAD_PROFILES.append(started)
        started.enable()

    threading.setprofile(in_thread)


async def measure(url: str, args: argparse.Namespace) -> None:
    if args.profile:
        profile_threads()
    elif args.calls:
        count_every_thread()
    settings = load_settings({"database_url": url, "access_log": False, "log_level": "warning"})
    app = create_app(settings)
    paths = [f"{BASE}/po-{i:06d}" for i in range(0, args.count, max(1, args.count // 50))]
    async with app.router.lifespan_context(app):
        await call(app, scope_of("GET", paths[0], []), b"")  # builds the middleware stack
        entries = Layers(app).entries + inner_entries(app, paths[0], "GET")
        if args.whole:
            entries = entries[:1]
        if args.profile:
            await profile(app, paths, args)
            return
        if args.calls:
            await count_calls(app, paths, args.n)
            return
        print(f"GET {BASE}/{{id}}: CPU µs per request entering at each layer (best of 3 x {args.n}), rounds:")
        rows: dict[str, list[float]] = {name: [] for name, _, _ in entries}
        for _ in range(0 if args.skip_get else args.rounds):
            for name, entry, prep in entries:
                rows[name].append(await time_get(entry, prep, paths, args.n))
        previous = None
        for name, values in rows.items() if not args.skip_get else ():
            low = min(values)
            layer = "" if previous is None else f"  (layer above: {previous - low:5.1f})"
            print(f"  {name:<44} {low:7.1f} µs{layer}  rounds {' '.join(f'{v:.0f}' for v in values)}")
            previous = low
        patch_cpu, patch_wall = [], []
        for _ in range(args.rounds):
            cpu, wall = await time_patch(app, lambda s: None, paths, args.n // 4, args.concurrency)
            patch_cpu.append(cpu)
            patch_wall.append(wall)
        print(
            f"PATCH {BASE}/{{id}} (merge, 1 member, 32 at a time): CPU {min(patch_cpu):.0f} µs per request"
            f" (rounds {' '.join(f'{v:.0f}' for v in patch_cpu)}), wall {min(patch_wall):.0f} µs"
        )


async def count_calls(app: Any, paths: list[str], n: int) -> None:
    """Python function calls per GET of the whole app, on the event loop thread (deterministic)."""
    counts = []
    for size in (n, 2 * n):
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(size):
            await call(app, scope_of("GET", paths[i % len(paths)], []), b"")
        profiler.disable()
        stats: Any = pstats.Stats(profiler)
        counts.append((stats.total_calls, stats.prim_calls))
    # The difference of the two runs leaves out what any run does once (the profiler's own calls).
    total, primitive = ((big - small) / n for small, big in zip(counts[0], counts[1], strict=True))
    print(f"GET {BASE}/{{id}}: {total:.1f} Python function calls per request ({primitive:.1f} primitive)")
    # PATCH one at a time (each commits alone, so the count does not depend on how writes group).
    patched = []
    for size in (n // 4, n // 2):
        sys.setprofile(_count)
        start = next(CALLS)
        await time_patch(app, lambda s: None, paths, size, 1)
        patched.append(next(CALLS) - start)
        sys.setprofile(None)
    per_patch = (patched[1] - patched[0]) / (n // 2 - n // 4)
    print(f"PATCH {BASE}/{{id}} (merge, one at a time): {per_patch:.1f} calls per request (all threads)")


async def offer_library_get(url: str, args: argparse.Namespace) -> None:
    """CPU µs and Python function calls per Offer Library GET instance (the fallback offer that
    bench/offer_library.py reads), the whole app entered, one request at a time."""
    import offer_library

    container, instance = offer_library.fill(url, 50)
    settings = load_settings({"database_url": url, "access_log": False, "log_level": "warning"})
    app = create_app(settings)
    path = f"/data/core/xcore/{container}/instances/{instance}"
    headers = [(name.lower().encode(), value.encode()) for name, value in offer_library.HEADERS]
    async with app.router.lifespan_context(app):
        if await call(app, scope_of("GET", path, headers), b"") != 200:
            raise SystemExit("the Offer Library GET failed")
        counts = []
        for size in (args.n, 2 * args.n):
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(size):
                await call(app, scope_of("GET", path, headers), b"")
            profiler.disable()
            counts.append(pstats.Stats(profiler).total_calls)  # type: ignore[attr-defined]
        prep = lambda s: s["headers"].extend(headers)  # noqa: E731
        rounds = [await time_get(app, prep, [path], args.n) for _ in range(args.rounds)]
    calls = (counts[1] - counts[0]) / args.n
    spread = " ".join(f"{v:.0f}" for v in rounds)
    print(
        f"Offer Library GET instance: {min(rounds):.1f} µs CPU per request (best of 3 x {args.n},"
        f" rounds {spread}), {calls:.1f} Python function calls per request"
    )


async def profile(app: Any, paths: list[str], args: argparse.Namespace) -> None:
    """cProfile of the event loop and of the threads started since `profile_threads` (the thread pool)."""
    profiler = cProfile.Profile()
    profiler.enable()
    if args.profile == "get":
        await time_get(app, lambda s: None, paths, args.n)
    else:
        await time_patch(app, lambda s: None, paths, args.n // 2, args.concurrency)
    profiler.disable()
    threading.setprofile(None)  # type: ignore[arg-type]
    stats = pstats.Stats(profiler)
    for other in THREAD_PROFILES:
        stats.add(other)
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats("offer_catalog|starlette|anyio|json", 70)


def main() -> None:
    """Seed a SQLite file, then time the layers (or profile one operation)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--profile", choices=("get", "patch"))
    parser.add_argument(
        "--calls",
        action="store_true",
        help="function calls per GET (deterministic) and per PATCH (about +-15)",
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--skip-get", action="store_true")
    parser.add_argument(
        "--offer-library", action="store_true", help="time and count Offer Library GET instance instead"
    )
    parser.add_argument("--whole", action="store_true", help="time GET entering at the whole app only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'layers.db'}"
        if args.offer_library:
            asyncio.run(offer_library_get(url, args))
            return
        fill(url, args.count)
        try:
            import uvloop

            uvloop.run(measure(url, args))
        except ImportError:  # pragma: no cover
            asyncio.run(measure(url, args))


if __name__ == "__main__":
    main()
