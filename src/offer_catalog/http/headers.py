"""Reading one request header without building Starlette's `Headers` (a copy of the list per request)."""

from __future__ import annotations

from starlette.requests import Request


def header(request: Request, name: bytes) -> str | None:
    """The first value of a header, as `request.headers.get` reads it: `name` in lower case (servers
    give header names in lower case), the value decoded as latin-1; None when absent."""
    for key, value in request.scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
