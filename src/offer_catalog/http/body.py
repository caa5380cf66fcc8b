"""Reading a JSON request body: a byte limit checked while it streams in, a nesting-depth limit."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from offer_catalog.errors import DomainError
from offer_catalog.patch import parse_json

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DEPTH = 64


class BodyTooLarge(DomainError):
    """The request body is larger than the service accepts (each API answers 413)."""

    code = "payload_too_large"


class BodyTooDeep(DomainError):
    """The request body nests arrays and objects deeper than the service accepts (400)."""

    code = "too_deeply_nested"


def _limits(request: Request) -> tuple[int, int]:
    settings = getattr(request.app.state, "settings", None)
    if settings is None:
        return DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH
    return settings.max_body_bytes, settings.max_json_depth


async def read_bytes(request: Request, limit: int) -> bytes:
    """The body, refused (BodyTooLarge) from its Content-Length or as soon as the bytes read pass limit."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 20 or int(declared) > limit):
        raise BodyTooLarge(f"the body may hold at most {limit} bytes", details={"limit": limit})
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body may hold at most {limit} bytes", details={"limit": limit})
        chunks.append(chunk)
    return b"".join(chunks)


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def depth(data: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings do not count)."""
    deepest = level = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", data)):
        if bracket in (b"[", b"{"):
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def check_depth(data: bytes, limit: int) -> None:
    """BodyTooDeep when data nests deeper than limit (not scanned when its brackets alone cannot)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return
    if depth(data) > limit:
        raise BodyTooDeep(f"the body may nest at most {limit} levels", details={"limit": limit})


async def read_json(request: Request) -> Any:
    """The body as strict JSON (duplicate names and NaN refused) within the byte and depth limits."""
    max_bytes, max_depth = _limits(request)
    data = await read_bytes(request, max_bytes)
    check_depth(data, max_depth)
    return parse_json(data)
