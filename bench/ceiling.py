"""The ceiling: a raw ASGI app that answers every request with a fixed JSON body, no framework.

Served by the same uvicorn settings as the service, it is the most any endpoint could do on this
machine in this run; every HTTP benchmark prints its ratio to it.
"""

from __future__ import annotations

import os
from typing import Any

_BODY = b'{"ok":true,"pad":"' + b"x" * int(os.environ.get("CEILING_PAD", "200")) + b'"}'
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(_BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Drain the request body, answer 200 with the fixed body."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})
