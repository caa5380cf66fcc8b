"""A webhook receiver on 127.0.0.1 in a thread: records what it is sent; can answer errors or go down."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from offer_catalog.settings import Settings, load_settings


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    raw: bytes
    started: float = 0.0
    """time.monotonic() when the request arrived, and when it was answered."""
    ended: float = 0.0

    @property
    def body(self) -> Any:
        """The JSON body."""
        return json.loads(self.raw)


@dataclass
class Receiver:
    """What a running receiver has got, and how it answers (status 200 unless changed)."""

    port: int
    status: int = 200
    delay: float = 0.0
    """Seconds to wait before answering (a slow receiver)."""
    got: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """The callback URL."""
        return f"http://127.0.0.1:{self.port}/listener"

    def bodies(self) -> list[Any]:
        """The JSON bodies received so far (only those answered 2xx count as delivered)."""
        with self.lock:
            return [r.body for r in self.got]

    def wait_for(self, predicate: Callable[[list[Any]], bool], timeout: float = 20.0) -> list[Any]:
        """Poll until predicate(bodies) holds; fail with what was received when it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bodies = self.bodies()
            if predicate(bodies):
                return bodies
            time.sleep(0.02)
        raise AssertionError(f"receiver never got the expected events; got {len(self.bodies())}")


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            started = time.monotonic()
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if len(raw) < length:  # the sender died mid-request (a killed worker): nothing was delivered
                self.close_connection = True
                return
            status = receiver.status
            if receiver.delay:
                time.sleep(receiver.delay)
            if 200 <= status < 300:
                got = Received(self.path, dict(self.headers.items()), raw, started, time.monotonic())
                with receiver.lock:
                    receiver.got.append(got)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def serving(receiver: Receiver) -> Iterator[Receiver]:
    """Serve on receiver.port until the block ends (the port is free again afterwards)."""
    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def receiver_on(port: int) -> Iterator[Receiver]:
    """A new receiver serving on a port."""
    with serving(Receiver(port)) as running:
        yield running


def hub_settings(**extra: Any) -> Settings:
    """Settings for tests of the hub: loopback receivers allowed, short backoff and polling."""
    values = {
        "database_url": "sqlite:///unused.db",
        "hub_allow_private_targets": True,
        "hub_backoff_ms": 50,
        "hub_backoff_max_ms": 200,
        "hub_poll_ms": 20,
        "hub_timeout_ms": 2000,
        "access_log": False,
        **extra,
    }
    return load_settings(values, environ={})
