"""List response headers: X-Total-Count, X-Result-Count and an RFC 8288 Link (first/prev/next/last)."""

from __future__ import annotations

from urllib.parse import unquote_plus

from starlette.requests import Request

from offer_catalog.http import query_string
from offer_catalog.tmf620.query import ListParams


def _page_url(path: str, kept: list[str], offset: int, limit: int) -> str:
    return f"{path}?" + "&".join([*kept, f"offset={offset}", f"limit={limit}"])


def link_header(path: str, raw_query: str, offset: int, limit: int, total: int) -> str:
    """Links to the first, previous, next and last pages, keeping the other query parameters."""
    kept = [
        part
        for part in raw_query.split("&")
        if part and unquote_plus(part).split("=", 1)[0].strip() not in ("offset", "limit")
    ]
    last = max(0, (total - 1) // limit * limit)
    links = [(0, "first")]
    if offset > 0:
        links.append((max(0, min(offset - limit, last)), "prev"))
    if offset + limit < total:
        links.append((offset + limit, "next"))
    links.append((last, "last"))
    return ", ".join(f'<{_page_url(path, kept, o, limit)}>; rel="{rel}"' for o, rel in links)


def list_headers(request: Request, params: ListParams, limit: int, count: int, total: int) -> dict[str, str]:
    """The headers of a list response."""
    headers = {"X-Total-Count": str(total), "X-Result-Count": str(count)}
    if limit > 0 and (params.limit is not None or count < total):
        headers["Link"] = link_header(
            request.scope["path"], query_string(request), params.offset, limit, total
        )
    return headers
