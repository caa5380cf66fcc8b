"""W3C Trace Context: read `traceparent` (its trace id goes into every log line of the request)."""

from __future__ import annotations

import re
import secrets

# version "00" (or a later one, read the same way), 32 hex trace id, 16 hex parent id, 2 hex flags
_TRACEPARENT = re.compile(rb"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


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
            context = parse_traceparent(value)
            if context is not None:
                return context
            break
    return secrets.token_hex(16), ""
