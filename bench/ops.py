"""What the operations middleware (metrics, trace context) costs per request, in process, no network.

Three ASGI calls are timed in the same run: the ceiling app alone (baseline), the ceiling app
behind MetricsMiddleware, and a whole-service GET of one TMF620 product offering (the cheapest real
read). Printed: microseconds per call and the middleware's added cost as a share of that read.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from ceiling import app as ceiling
from offer_catalog.app import create_app
from offer_catalog.metrics import MetricsMiddleware
from offer_catalog.settings import load_settings

CALLS = 20_000


def scope(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers or [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8080),
        "scheme": "http",
        "root_path": "",
        "http_version": "1.1",
    }


async def per_call(app: Any, make_scope: Any, calls: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    started = time.perf_counter()
    for _ in range(calls):
        await app(make_scope(), receive, send)
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    """Print the figures."""
    wrapped = MetricsMiddleware(ceiling)
    trace = [(b"traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            {"database_url": f"sqlite:///{Path(folder) / 'b.db'}", "access_log": False}, environ={}
        )
        service = create_app(settings)
        with TestClient(service) as client:  # runs the lifespan: the store opens
            made = client.post("/tmf-api/productCatalogManagement/v4/productOffering", json={"name": "b"})
            path = f"/tmf-api/productCatalogManagement/v4/productOffering/{made.json()['id']}"

            async def run() -> tuple[float, float, float, float]:
                base = await per_call(ceiling, lambda: scope("/x"), CALLS)
                mw = await per_call(wrapped, lambda: scope("/x"), CALLS)
                mw_trace = await per_call(wrapped, lambda: scope("/x", trace), CALLS)
                read = await per_call(service, lambda: {**scope(path), "app": service}, CALLS // 4)
                return base, mw, mw_trace, read

            base, mw, mw_trace, read = asyncio.run(run())
    added = mw - base
    print(f"ceiling app alone            {base:8.2f} us/call")
    print(f"behind MetricsMiddleware     {mw:8.2f} us/call  (+{added:.2f} us)")
    print(f"  with a traceparent header  {mw_trace:8.2f} us/call  (+{mw_trace - base:.2f} us)")
    print(f"service GET productOffering  {read:8.2f} us/call  (middleware included)")
    print(f"middleware share of that read: {added / read:.1%}")


if __name__ == "__main__":
    main()
