"""An API is a small ASGI application: declared routes, its error registry, an optional request guard."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from offer_catalog.http.errors import ErrorRenderer, ErrorTable, error_handlers

Guard = Callable[[Scope], None]
"""Runs before routing (inside the error registry): may raise, or normalise the scope."""


Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Operation:
    """One method of a route: its endpoint, the scopes a caller needs, its OpenAPI description."""

    endpoint: Endpoint
    scopes: tuple[str, ...] = ()
    doc: Mapping[str, Any] = field(default_factory=dict)


class ApiRoute(Route):
    """A declared path and its operations by method; HEAD follows GET, 404/405/Allow come from routing.

    Middleware reads what a request needs from the matched route: `scope["route"].operation(method)`.
    """

    def __init__(
        self, path: str, operations: Mapping[str, Operation | Endpoint], *, name: str | None = None
    ) -> None:
        self.operations = {
            method.upper(): op if isinstance(op, Operation) else Operation(op)
            for method, op in operations.items()
        }

        async def dispatch(request: Request) -> Response:
            return await self.operation(request.method).endpoint(request)

        super().__init__(path, dispatch, methods=list(self.operations), name=name)

    def operation(self, method: str) -> Operation:
        """The operation that answers a method (HEAD is answered by GET)."""
        return self.operations.get(method) or self.operations["GET"]


class Api:
    """One HTTP API: its routes and the one place its errors become its own error bodies."""

    def __init__(
        self,
        routes: Sequence[BaseRoute],
        *,
        errors: ErrorTable,
        render: ErrorRenderer,
        guard: Guard | None = None,
    ) -> None:
        self.router = Router(routes=list(routes), redirect_slashes=False)
        self.guard = guard
        app: ASGIApp = self._guarded if guard is not None else self.router
        self.app = ExceptionMiddleware(app, handlers=error_handlers(errors, render))

    @property
    def routes(self) -> list[BaseRoute]:
        """The declared routes (for OpenAPI and route metadata)."""
        return self.router.routes

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.guard is not None
        self.guard(scope)
        await self.router(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class ApiMount(BaseRoute):
    """Hands every request under one of its path prefixes to an Api (paths are not rewritten)."""

    def __init__(self, prefixes: Sequence[str], api: Api) -> None:
        self.prefixes = tuple(p.rstrip("/") for p in prefixes)
        self.api = api

    @property
    def routes(self) -> list[BaseRoute]:
        """The API's declared routes."""
        return self.api.routes

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """FULL for a path equal to or below a prefix."""
        if scope["type"] != "http":
            return Match.NONE, {}
        path: str = scope["path"]
        for prefix in self.prefixes:
            if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/"):
                return Match.FULL, {"endpoint": self.api}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        """Paths are not reversed through an API mount."""
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the API."""
        await self.api(scope, receive, send)


def api_mount(prefixes: Sequence[str], api: Api) -> ApiMount:
    """Mount an API under its path prefixes."""
    return ApiMount(prefixes, api)
