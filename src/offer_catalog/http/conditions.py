"""ETags and conditional requests: a document's version is its etag (`"7"`); If-Match / If-None-Match."""

from __future__ import annotations

from starlette.requests import Request

from offer_catalog.http.headers import header

ANY = "*"
Etags = frozenset[int] | str | None
"""What a condition header names: None (absent), "*" (any), or the versions it lists."""

_MAX_DIGITS = 18  # a longer number is no version this service ever wrote


def etag(version: int) -> str:
    """The strong ETag of a version."""
    return f'"{version}"'


def parse_etags(header: str | None) -> Etags:
    """A condition header: None, "*", or the versions it lists (quoted or not, W/ ignored).

    A tag that is not a plain ASCII number of at most 18 digits names no version: it matches nothing.
    """
    if header is None or not header.strip():
        return None
    if header.strip() == ANY:
        return ANY
    versions: set[int] = set()
    for part in header.split(","):
        text = part.strip().removeprefix("W/").strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]
        if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
            versions.add(int(text))
    return frozenset(versions)


def if_match(request: Request) -> frozenset[int] | None:
    """The versions If-Match accepts; None when there is no condition (absent or `*`)."""
    parsed = parse_etags(header(request, b"if-match"))
    return parsed if isinstance(parsed, frozenset) else None


def if_none_match(request: Request, version: int) -> bool:
    """True when If-None-Match names this version (or `*`): the client's copy is current (304)."""
    parsed = parse_etags(header(request, b"if-none-match"))
    return parsed == ANY or (isinstance(parsed, frozenset) and version in parsed)
