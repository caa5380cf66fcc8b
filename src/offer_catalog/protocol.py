"""The HTTP/1.1 protocol `serve` runs under uvicorn: deadlines and limits for slow or hostile clients.

uvicorn's httptools protocol waits forever for a request head that never ends, answers parse errors in
plain text and has no header size limit. This subclass adds, per connection:

- a deadline for the request head (from the first byte, or from accepting the connection) and one for the
  body: a client slower than that gets 408 and is disconnected, so half-sent requests cannot hold sockets;
- a head size limit: 431 once the head passes it;
- load shedding: when open connections near the process's file limit, the connection that has waited
  longest for its request head is closed, so idle sockets cannot starve the clients that do send requests;
- problem+json bodies (with a stable `code`) for every error it answers itself;
- one write per response: a response head waits for the first bytes of its body (`HeadWithBody`), so
  the two go to the socket together. On this machine each write to an idle client is a wake-up that
  costs more than the rest of the server's work for a cached GET (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

from offer_catalog.settings import Settings

log = logging.getLogger("offer_catalog.protocol")
# The uvicorn `http` setting that selects this protocol (an import string, so workers load it too).
PROTOCOL = "offer_catalog.protocol:GuardedHttpProtocol"

# File descriptors kept for the database, log files, thread pools and outgoing connections.
FD_RESERVE = 96


@dataclass(slots=True)
class Limits:
    """Connection limits, set once per process from the settings (`configure`)."""

    header_timeout: float = 10.0
    body_timeout: float = 60.0
    max_header_bytes: int = 65536
    max_connections: int = 0  # 0: derived from the file limit


LIMITS = Limits()


def configure(settings: Settings) -> None:
    """Set this process's connection limits (called by `serve` and by each worker's app factory)."""
    LIMITS.header_timeout = float(settings.header_timeout)
    LIMITS.body_timeout = float(settings.body_timeout)
    LIMITS.max_header_bytes = settings.max_header_bytes
    LIMITS.max_connections = settings.max_connections


def connection_ceiling() -> int:
    """How many connections may be open before the longest-waiting idle one is shed."""
    if LIMITS.max_connections > 0:
        return LIMITS.max_connections
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1_000_000
    return max(16, soft - FD_RESERVE)


def problem_bytes(status: int, code: str, detail: str) -> bytes:
    """A complete HTTP/1.1 problem+json response that closes the connection."""
    titles = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large"}
    body = orjson.dumps(
        {
            "type": f"urn:offer-catalog:problem:{code}",
            "status": status,
            "title": titles.get(status, "Error"),
            "detail": detail,
            "code": code,
        }
    )
    head = (
        b"content-type: application/problem+json\r\n"
        b"content-length: " + str(len(body)).encode("ascii") + b"\r\nconnection: close\r\n\r\n"
    )
    return STATUS_LINE[status] + head + body


class HeadWithBody:
    """The transport as one request's response cycle sees it: the response head is held back and
    written with the first body bytes, in one write.

    Held only when a body is sure to follow: a Content-Length above zero, not chunked, not HEAD. The
    bytes sent are the same; a cycle that closes the transport (the app failed mid-response) sends
    the held head first, as before.
    """

    __slots__ = ("_cycle", "_head", "_started", "_transport")

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        self._transport = transport
        self._cycle = cycle
        self._head = b""
        self._started = False  # the head has been written (or held)

    def write(self, data: bytes) -> None:
        cycle = self._cycle
        if not self._started and cycle.response_started:
            # The head: uvicorn has just read Content-Length / Transfer-Encoding from the headers.
            self._started = True
            if (
                cycle.chunked_encoding is False
                and cycle.expected_content_length > 0
                and cycle.scope["method"] != "HEAD"
            ):
                self._head = data
                return
        elif self._head:
            data = self._head + data
            self._head = b""
        self._transport.write(data)

    def close(self) -> None:
        if self._head and not self._transport.is_closing():
            self._transport.write(self._head)
        self._head = b""
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


# Seconds a rejected connection keeps reading (and dropping) before it closes.
LINGER_SECONDS = 2.0


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with head/body deadlines, a head size limit and load shedding."""

    # Connections of this process still waiting for a complete request head, oldest first.
    waiting: OrderedDict[GuardedHttpProtocol, None] = OrderedDict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._in_head = True
        self._rejected = False
        self._body_pending = False
        self._head_started = False  # a request head has begun and not yet ended

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._shed_if_crowded()
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        GuardedHttpProtocol.waiting.pop(self, None)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._rejected:
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > LIMITS.max_header_bytes:
            self._too_large()
            return
        # Deadlines are armed only for what this read left unfinished: a request that arrived whole
        # (the usual case) never arms and cancels a timer.
        if self._deadline is None and not self._rejected and not self.transport.is_closing():
            if self._head_started:
                self._arm(LIMITS.header_timeout, "the request head")
            elif self._body_pending and not self._in_head:
                self._arm(LIMITS.body_timeout, "the request body")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._body_pending = True
        self._head_started = True

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_started = False
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > LIMITS.max_header_bytes:
            self._too_large()
            return
        GuardedHttpProtocol.waiting.pop(self, None)
        self._cancel_deadline()
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None:  # not yet running: its task starts on the next turn of the loop
            cycle.transport = HeadWithBody(self.transport, cycle)  # type: ignore[assignment]

    def on_body(self, body: bytes) -> None:
        if not self._rejected:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._cancel_deadline()
        self._body_pending = False
        if not self._rejected:
            super().on_message_complete()
        if self.cycle is not None and self.cycle.response_complete:
            self._idle()  # answered early (a 413): the rest of the body was read and dropped

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # An answer sent before its request body was read whole: the remaining body bytes are still
        # this request's (dropped by the parser under the body deadline), not the next head.
        if not self._body_pending:
            self._idle()

    def _idle(self) -> None:
        # Idle until the next head: uvicorn's keep-alive timeout applies, and the connection may be shed.
        idle = not self.pipeline and (self.cycle is None or self.cycle.response_complete)
        if idle and not self.transport.is_closing():
            self._in_head = True
            self._head_bytes = 0
            GuardedHttpProtocol.waiting[self] = None

    def send_400_response(self, msg: str) -> None:
        self._answer(400, "malformed_request", "the request is not valid HTTP/1.1 (" + msg.rstrip(".") + ")")

    def _too_large(self) -> None:
        self._rejected = True
        self._answer(431, "header_too_large", f"the request head exceeds {LIMITS.max_header_bytes} bytes")

    def _await_head(self) -> None:
        self._in_head = True
        self._head_bytes = 0
        GuardedHttpProtocol.waiting[self] = None
        self._arm(LIMITS.header_timeout, "the request head")

    def _arm(self, seconds: float, what: str) -> None:
        self._cancel_deadline()
        self._deadline = self.loop.call_later(seconds, self._expired, what)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self, what: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()
            return
        log.warning("slow client dropped", extra={"client": (self.client or ("", 0))[0], "waited_for": what})
        self._answer(408, "request_timeout", f"{what} did not arrive in time")

    def _answer(self, status: int, code: str, detail: str) -> None:
        GuardedHttpProtocol.waiting.pop(self, None)
        self._cancel_deadline()
        self._rejected = True
        if not self.transport.is_closing():
            self.transport.write(problem_bytes(status, code, detail))
            # A lingering close: end our side, drop what the client still sends for a moment, then
            # close. Closing at once with unread bytes resets the connection, and the client would
            # lose the answer. A client too slow to send (408) is closed at once, freeing its socket.
            if status != 408 and self.transport.can_write_eof():
                self.transport.write_eof()
                self.loop.call_later(LINGER_SECONDS, self.transport.close)
            else:
                self.transport.close()

    def _shed_if_crowded(self) -> None:
        ceiling = connection_ceiling()
        shed = 0
        # An aborted connection leaves `self.connections` only on the next loop turn: count it here.
        while len(self.connections) - shed > ceiling and GuardedHttpProtocol.waiting:
            oldest = next(iter(GuardedHttpProtocol.waiting))
            if oldest is self:
                break
            GuardedHttpProtocol.waiting.pop(oldest, None)
            oldest._cancel_deadline()
            oldest.transport.abort()
            shed += 1
        if shed:
            log.warning("connections shed", extra={"shed": shed, "open": len(self.connections)})
