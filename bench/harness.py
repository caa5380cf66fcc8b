"""Benchmark harness: serve an ASGI app with uvicorn on loopback and drive it with a bounded load.

Every HTTP figure is printed with its ratio to the ceiling app (bench/ceiling.py) measured in the
same run with the same server settings, because these machines are shared and noisy, and with the
server process's CPU time per request (all its threads, from /proc), which moves less with the load.

    with serve("ceiling:app") as base: ceiling = load(base, [Req("GET", "/")])
    with serve("offer_catalog.app:app_from_env", factory=True, env={...}) as base: ...
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# What `offer-catalog serve` runs: uvloop, httptools under the guarded protocol (offer_catalog/protocol.py:
# head and body deadlines, head size limit, load shedding), no access log, no Server header.
UVICORN_FLAGS = (
    "--loop",
    "uvloop",
    "--http",
    "offer_catalog.protocol:GuardedHttpProtocol",
    "--no-access-log",
    "--no-server-header",
    "--log-level",
    "warning",
)


@dataclass(frozen=True)
class Req:
    """One request of a load mix."""

    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Result:
    """What a load run measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    count: int
    errors: int
    statuses: dict[int, int] = field(default_factory=dict)
    # CPU time of the server process (every thread) per request, when the server was started by `serve`.
    server_us: float | None = None
    # The part of it spent in the kernel (system time: the socket reads and writes, epoll, wake-ups).
    server_sys_us: float | None = None

    def line(self, name: str, ceiling: Result | None = None) -> str:
        """A printable summary, with the server's CPU per request and the ratio to the ceiling when given."""
        cpu = f"  server {self.server_us:5.0f} µs CPU/req" if self.server_us is not None else ""
        if self.server_sys_us is not None:
            cpu += f" (sys {self.server_sys_us:3.0f})"
        ratio = f"  {self.rps / ceiling.rps:6.1%} of ceiling" if ceiling and ceiling.rps else ""
        return (
            f"{name:<44} {self.rps:9.0f} req/s  p50 {self.p50_ms:6.2f} ms  p99 {self.p99_ms:6.2f} ms"
            f"  n={self.count} err={self.errors}{cpu}{ratio}"
        )


# The process behind each base URL `serve` yields, for its CPU time (Linux /proc).
_SERVERS: dict[str, int] = {}


def server_cpu_times(base: str) -> tuple[float, float] | None:
    """(user, system) CPU seconds (all threads) the server behind `base` has used so far, if known."""
    pid = _SERVERS.get(base)
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def free_port() -> int:
    """An unused port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    app: str, *, factory: bool = False, env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[str]:
    """Run uvicorn (one worker unless told) with the shared flags on loopback until the block ends."""
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), *UVICORN_FLAGS]
    if factory:
        args.append("--factory")
    if workers > 1:
        args += ["--workers", str(workers)]
    proc = subprocess.Popen(
        args,
        cwd=BENCH,
        env={
            **os.environ,
            "OFFER_CATALOG_ACCESS_LOG": "false",
            "OFFER_CATALOG_LOG_LEVEL": "warning",
            **(env or {}),
        },
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start") from None
                time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        _SERVERS[base] = proc.pid
        yield base
    finally:
        _SERVERS.pop(f"http://127.0.0.1:{port}", None)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _raw(req: Req, host: str) -> bytes:
    head = [f"{req.method} {req.path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(req.body)}"]
    head += [f"{k}: {v}" for k, v in req.headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + req.body


async def _connection(
    host: str,
    port: int,
    pick: Callable[[int], bytes],
    stop: float,
    latencies: list[float],
    statuses: dict[int, int],
) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    errors = 0
    i = 0
    try:
        while time.perf_counter() < stop:
            payload = pick(i)
            i += 1
            started = time.perf_counter()
            writer.write(payload)
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
            if status >= 400:
                errors += 1
    finally:
        writer.close()
    return errors


def load(
    base: str, requests: Sequence[Req], *, seconds: float = 5.0, concurrency: int = 16, warmup: float = 1.0
) -> Result:
    """Drive the server with `concurrency` keep-alive connections for `seconds`, cycling through requests."""
    host_port = base.removeprefix("http://")
    host, port = host_port.split(":")
    raws = [_raw(r, host_port) for r in requests]

    def pick(i: int) -> bytes:
        return raws[i % len(raws)]

    async def run(duration: float) -> Result:
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        started = time.perf_counter()
        stop = started + duration
        errors = await asyncio.gather(
            *(_connection(host, int(port), pick, stop, latencies, statuses) for _ in range(concurrency))
        )
        elapsed = time.perf_counter() - started
        latencies.sort()
        if not latencies:
            return Result(0.0, 0.0, 0.0, 0, sum(errors), statuses)
        return Result(
            rps=len(latencies) / elapsed,
            p50_ms=statistics.median(latencies) * 1000,
            p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
            count=len(latencies),
            errors=sum(errors),
            statuses=statuses,
        )

    try:
        import uvloop

        runner: Callable[..., Result] = uvloop.run  # type: ignore[assignment]
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    if warmup:
        runner(run(warmup))
    cpu_before = server_cpu_times(base)
    result: Result = runner(run(seconds))
    cpu_after = server_cpu_times(base)
    if cpu_before is not None and cpu_after is not None and result.count:
        user, system = (after - before for after, before in zip(cpu_after, cpu_before, strict=True))
        result.server_us = (user + system) * 1e6 / result.count
        result.server_sys_us = system * 1e6 / result.count
    return result


def run_service_mixes(
    database_url: str, mixes: dict[str, list[Req]], *, seconds: float, concurrency: int, ceiling: Result
) -> dict[str, Result]:
    """Serve the service on a database, drive each named mix, print it against the ceiling.

    Exits with the statuses seen when any request of a mix answered an error.
    """
    results: dict[str, Result] = {}
    env = {"OFFER_CATALOG_DATABASE_URL": database_url}
    with serve("offer_catalog.app:app_from_env", factory=True, env=env) as base:
        for name, requests in mixes.items():
            results[name] = load(base, requests, seconds=seconds, concurrency=concurrency)
            print(results[name].line(name, ceiling), flush=True)
    bad = {name: r.statuses for name, r in results.items() if r.errors}
    if bad:
        sys.exit(f"error statuses seen: {bad}")
    return results


def measure_ceiling(*, seconds: float = 5.0, concurrency: int = 16) -> Result:
    """The ceiling app's req/s and latencies in this run."""
    with serve("ceiling:app") as base:
        return load(base, [Req("GET", "/")], seconds=seconds, concurrency=concurrency)


if __name__ == "__main__":
    print(measure_ceiling(seconds=3).line("ceiling (raw ASGI, fixed body)"))
