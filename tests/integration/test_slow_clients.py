"""Slow and hostile clients against the real server: deadlines, head size, bad requests, fd exhaustion."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest

from support.server import command, free_port, stop, wait_healthy

pytestmark = pytest.mark.slow


@contextmanager
def server(db: Path, *, nofile: int | None = None, **settings: str) -> Iterator[tuple[str, int]]:
    """`offer-catalog serve` on a free port, with OFFER_CATALOG_* settings and an optional open-file limit."""
    port = free_port()

    def limit_files() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    env = {**os.environ, "OFFER_CATALOG_ACCESS_LOG": "false"}
    env.update({"OFFER_CATALOG_" + name.upper(): value for name, value in settings.items()})
    proc = subprocess.Popen(
        [*command(), "serve", "--port", str(port), "--database-url", f"sqlite:///{db}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=limit_files,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        yield f"http://127.0.0.1:{port}", port
    finally:
        stop(proc)


def exchange(port: int, data: bytes, *, wait: float = 10.0) -> tuple[float, bytes]:
    """Send raw bytes, read until the server closes; return (seconds, the response)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return time.monotonic() - started, received


def problem(response: bytes) -> tuple[int, dict[str, object]]:
    """Status and problem+json body of a raw response."""
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower()
    return int(head.split(b" ", 2)[1]), orjson.loads(body)


def test_protocol_errors_are_problems_with_codes(tmp_path: Path) -> None:
    with server(tmp_path / "a.db", header_timeout="1", body_timeout="1", max_header_bytes="8192") as (
        _,
        port,
    ):
        seconds, response = exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\n")
        status, body = problem(response)
        assert (status, body["code"]) == (408, "request_timeout")
        assert seconds < 8, "the head deadline did not drop the connection"

        body_start = b"POST /tmf-api/productCatalogManagement/v4/catalog HTTP/1.1\r\nHost: x\r\n"
        _, response = exchange(port, body_start + b"Content-Length: 50\r\n\r\n{")
        status, body = problem(response)
        assert (status, body["code"]) == (408, "request_timeout")

        big = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n"
        status, body = problem(exchange(port, big)[1])
        assert (status, body["code"]) == (431, "header_too_large")

        long_line = b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        status, body = problem(exchange(port, long_line)[1])
        assert (status, body["code"]) == (431, "header_too_large")

        for bad in (b"FOO /health HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n"):
            status, body = problem(exchange(port, bad)[1])
            assert (status, body["code"]) == (400, "malformed_request")

        # A head just under the limit is served.
        fine = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 4000 + b"\r\nConnection: close\r\n\r\n"
        assert exchange(port, fine)[1].startswith(b"HTTP/1.1 200")
        # The body deadline covers the body only: a whole request that arrives in time is answered.
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200


def test_half_sent_requests_cannot_starve_other_clients(tmp_path: Path) -> None:
    """1,100 never-finished request heads against a process limited to 1,024 open files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1400:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    attackers: list[socket.socket] = []
    with server(tmp_path / "b.db", nofile=1024, header_timeout="60") as (base, port):
        try:
            for _ in range(1100):
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
                attackers.append(sock)
            # Every connection above stays half-sent; the server must still answer everyone else.
            answered = 0
            with httpx.Client(timeout=5.0) as client:
                for _ in range(20):
                    response = client.get(base + "/health", headers={"Connection": "close"})
                    answered += response.status_code == 200
            assert answered == 20
            # The oldest half-sent connections were the ones shed (closed by the server).
            closed = 0
            for sock in attackers[:50]:
                sock.settimeout(2)
                try:
                    closed += sock.recv(1) == b""
                except ConnectionResetError:
                    closed += 1
                except TimeoutError:
                    pass
            assert closed > 0
        finally:
            for sock in attackers:
                sock.close()
        assert httpx.get(base + "/health", timeout=5).status_code == 200


def read_response(sock: socket.socket, pending: bytes, *, body: bool = True) -> tuple[bytes, bytes, bytes]:
    """One response from a keep-alive socket: (head, body, bytes read past it)."""
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection before the response head"
        pending += chunk
    head, _, rest = pending.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    size = length if body else 0
    while len(rest) < size:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection before the response body"
        rest += chunk
    return head, rest[:size], rest[size:]


def test_response_heads_go_out_with_their_bodies_and_alone_when_none_follows(tmp_path: Path) -> None:
    """The protocol holds a head back for its body's first bytes: every kind of answer still arrives whole."""
    with server(tmp_path / "c.db") as (_, port):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: r-1\r\n\r\n")
            head, body, rest = read_response(sock, b"")
            assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"x-request-id: r-1" in head.lower()
            assert orjson.loads(body) == {"status": "ok"} and rest == b""
            # HEAD: a Content-Length and no body; the head must not wait for body bytes that never come.
            sock.sendall(b"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n")
            head, body, rest = read_response(sock, b"", body=False)
            assert head.startswith(b"HTTP/1.1 200") and b"content-length: 15" in head.lower()
            # Two requests in one packet (pipelined): both answered whole, in order, the second a 404.
            path = b"/tmf-api/productCatalogManagement/v4/productOffering/missing"
            sock.sendall(
                b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            head, body, rest = read_response(sock, rest)
            assert head.startswith(b"HTTP/1.1 200") and orjson.loads(body) == {"status": "ok"}
            head, body, rest = read_response(sock, rest)
            assert head.startswith(b"HTTP/1.1 404") and orjson.loads(body)["code"] == "not_found"
            assert rest == b""
        # A 204 (no body at all): the head goes out on its own.
        base = f"http://127.0.0.1:{port}/tmf-api/productCatalogManagement/v4/catalog"
        created = httpx.post(base, json={"name": "c"}, timeout=5)
        assert created.status_code == 201
        deleted = httpx.delete(f"{base}/{created.json()['id']}", timeout=5)
        assert deleted.status_code == 204 and deleted.content == b""
