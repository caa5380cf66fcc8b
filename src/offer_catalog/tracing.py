"""W3C Trace Context: read `traceparent` (its trace id goes into every log line of the request)."""

from __future__ import annotations

import os
import re
import threading

# version "00" (or a later one, read the same way), 32 hex trace id, 16 hex parent id, 2 hex flags
_TRACEPARENT = re.compile(rb"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16

# Random bytes are drawn from the OS a few kilobytes at a time: one system call per request (or two,
# with the request id) costs more than the rest of the id's making.
_POOL_BYTES = 4096
_pool = b""
_pool_at = 0
_pool_lock = threading.Lock()


def _forget_pool() -> None:
    global _pool, _pool_at
    _pool, _pool_at = b"", 0


# A forked child must not hand out the bytes its parent hands out too.
os.register_at_fork(after_in_child=_forget_pool)


def random_hex(size: int) -> str:
    """`size` random bytes (from os.urandom, drawn in blocks) as lower-case hex."""
    global _pool, _pool_at
    with _pool_lock:
        if _pool_at + size > len(_pool):
            _pool, _pool_at = os.urandom(_POOL_BYTES), 0
        chunk = _pool[_pool_at : _pool_at + size]
        _pool_at += size
    return chunk.hex()


def parse_traceparent(value: bytes) -> tuple[str, str] | None:
    """(trace id, parent span id) of a valid traceparent header, else None."""
    found = _TRACEPARENT.match(value.strip().lower())
    if found is None or found.group(1) == b"ff" or (found.group(1) == b"00" and found.group(5)):
        return None
    trace, span = found.group(2).decode(), found.group(3).decode()
    if trace == _ZERO_TRACE or span == _ZERO_SPAN:
        return None
    return trace, span


def trace_context(headers: list[tuple[bytes, bytes]]) -> tuple[str, str]:
    """The caller's (trace id, parent span id), or a new trace id when it sent no valid traceparent."""
    for name, value in headers:
        if name == b"traceparent":
            return trace_of(value)
    return trace_of(None)


def trace_of(traceparent: bytes | None) -> tuple[str, str]:
    """`trace_context` of a request whose traceparent header (None: none) is given."""
    if traceparent is not None:
        context = parse_traceparent(traceparent)
        if context is not None:
            return context
    trace = random_hex(16)
    return (trace if trace != _ZERO_TRACE else random_hex(16)), ""
