"""Reading a JSON request body: a byte limit checked while it streams in, then strict JSON, depth-limited."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from offer_catalog.errors import DomainError
from offer_catalog.http.headers import header
from offer_catalog.patch import parse_json

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64


class BodyTooLarge(DomainError):
    """The request body is larger than the service accepts (each API answers 413)."""

    code = "payload_too_large"


class DocumentTooLarge(BodyTooLarge):
    """A write would store a body larger than the service keeps (a patch can grow one): 413 too."""

    code = "document_too_large"


def document_limit(request: Request) -> int:
    """The most JSON bytes a stored body may hold (setting `max_document_bytes`)."""
    settings = getattr(request.app.state, "settings", None)
    return DEFAULT_MAX_DOCUMENT_BYTES if settings is None else int(settings.max_document_bytes)


def _limits(request: Request) -> tuple[int, int]:
    settings = getattr(request.app.state, "settings", None)
    if settings is None:
        return DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH
    return settings.max_body_bytes, settings.max_json_depth


async def read_bytes(request: Request, limit: int) -> bytes:
    """The body, refused (BodyTooLarge) from its Content-Length or as soon as the bytes read pass limit."""
    declared = header(request, b"content-length") or ""
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


async def read_json(request: Request) -> Any:
    """The body as strict JSON (duplicate names and NaN refused) within the byte and depth limits.

    Nesting past the depth limit is the JSON parser's `json_too_deep` (400), as for any JSON we read.
    """
    max_bytes, max_depth = _limits(request)
    data = await read_bytes(request, max_bytes)
    return parse_json(data, max_depth=max_depth)
