"""An API is a small ASGI application: declared routes, its error registry, an optional request guard."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

from offer_catalog.http.context import check_query_length
from offer_catalog.http.errors import ErrorRegistry, ErrorRenderer, ErrorTable, error_handlers
from offer_catalog.http.shapes import ShapeRouter
from offer_catalog.openapi.declare import ApiDoc, Doc
from offer_catalog.openapi.generate import SELF, openapi_document

Guard = Callable[[Scope], None]
"""Runs before routing (inside the error registry): may raise, or normalise the scope."""


Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Operation:
    """One method of a route: its endpoint, its OpenAPI declaration, the scopes a caller needs."""

    endpoint: Endpoint
    doc: Doc | None = None
    scopes: tuple[str, ...] = ()


class ApiRoute(Route):
    """A declared path and its operations by method; HEAD follows GET, 404/405/Allow come from routing.

    Middleware reads what a request needs from the matched route: `scope["route"].operation(method)`.
    """

    def __init__(
        self, path: str, operations: Mapping[str, Operation | Endpoint], *, name: str | None = None
    ) -> None:
        """`operations`: an `Operation` (endpoint and its OpenAPI `Doc`) or a bare endpoint per method."""
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

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the method's endpoint; its errors go to the API's registry (one handler layer, not two)."""
        if self.methods and scope["method"] not in self.methods:
            await super().handle(scope, receive, send)  # 405 with Allow
            return
        response = await self.operation(scope["method"]).endpoint(Request(scope, receive, send))
        await response(scope, receive, send)


class Api:
    """One HTTP API: its routes, the one place its errors become its own error bodies, its document.

    With `doc`, the API serves its OpenAPI document at `doc.served_at`, generated from the routes'
    declarations on first request (offer_catalog.openapi).
    """

    def __init__(
        self,
        routes: Sequence[BaseRoute],
        *,
        errors: ErrorTable,
        render: ErrorRenderer,
        guard: Guard | None = None,
        doc: ApiDoc | None = None,
    ) -> None:
        routes = list(routes)
        self.doc = doc
        self._document: bytes | None = None
        if doc is not None:
            routes.insert(0, ApiRoute(doc.served_at, {"GET": Operation(self._openapi, SELF)}, name="openapi"))
        self.router = ShapeRouter(routes=routes, redirect_slashes=False)
        self.guard = guard
        self.app = ErrorRegistry(self._enter, handlers=error_handlers(errors, render))

    @property
    def routes(self) -> list[BaseRoute]:
        """The declared routes (for OpenAPI and route metadata)."""
        return self.router.routes

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document of the declared routes."""
        assert self.doc is not None
        return openapi_document(self.routes, self.doc)

    async def _openapi(self, request: Request) -> Response:
        if self._document is None:
            self._document = orjson.dumps(self.openapi())
        return Response(self._document, 200, media_type="application/json")

    async def _enter(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Before routing, inside the error registry: the guard, then the query-string limit."""
        if self.guard is not None:
            self.guard(scope)
        check_query_length(scope)
        await self.router.app(scope, receive, send)  # the router has no middleware: its stack is `app`

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
        """Run the API (its error registry)."""
        await self.api.app(scope, receive, send)


def api_mount(prefixes: Sequence[str], api: Api) -> ApiMount:
    """Mount an API under its path prefixes."""
    return ApiMount(prefixes, api)
