"""The request kit's lean pieces answer exactly as the Starlette pieces they stand in for.

`json_response` builds a response's raw headers itself, `ErrorRegistry` handles errors with less
work than Starlette's `ExceptionMiddleware`, `header` reads one request header without `Headers`,
and the shape router fills a plain route's path parameters without running its regex. Here the
service is built twice on one store, once as it runs and once with Starlette's own pieces put
back, and every request (reads, conditional reads, HEAD, fields, versions, errors, failed writes,
with and without credentials) must get the same status, headers and body from both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from auth_support import bearer, jwt_settings, make_key, token
from starlette.applications import Starlette
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.http import ApiMount, json_response
from offer_catalog.http.errors import ErrorRegistry
from offer_catalog.http.headers import header
from offer_catalog.http.shapes import ShapeIndex, ShapeRouter
from offer_catalog.settings import Settings, load_settings
from offer_catalog.store import Store

V4 = "/tmf-api/productCatalogManagement/v4"
V5 = "/tmf-api/productCatalogManagement/v5"


def _stock(app: Starlette) -> Starlette:
    """The app with Starlette's exception middleware (outer and per API) and regex route matching."""
    app.middleware_stack = Starlette.build_middleware_stack(app)
    routers: list[Any] = [app.router]
    for route in app.router.routes:
        if isinstance(route, ApiMount):
            lean = route.api.app
            assert isinstance(lean, ErrorRegistry)
            stock = ExceptionMiddleware(lean.app)
            stock._exception_handlers = lean._exception_handlers
            stock._status_handlers = lean._status_handlers
            route.api.app = stock
            routers.append(route.api.router)
    for router in routers:
        assert isinstance(router, ShapeRouter)
        router._index = ShapeIndex(router.routes)
        router._index.params = {}  # every route confirmed by its own regex, as Starlette matches it
    return app


def _clients(settings: Settings, store: Store) -> Iterator[tuple[TestClient, TestClient]]:
    lean, stock = create_app(settings, store=store), _stock(create_app(settings, store=store))
    with (
        TestClient(lean, raise_server_exceptions=False) as a,
        TestClient(stock, raise_server_exceptions=False) as b,
    ):
        yield a, b


@pytest.fixture
def pair(store: Store) -> Iterator[tuple[TestClient, TestClient]]:
    """(the service as it runs, the service with Starlette's pieces) on one store, no authentication."""
    yield from _clients(load_settings({"database_url": "sqlite:///unused.db"}, environ={}), store)


def _answer(client: TestClient, method: str, url: str, **kwargs: Any) -> tuple[int, list[Any], bytes]:
    headers = {"X-Request-ID": "same-id", **kwargs.pop("headers", {})}
    response = client.request(method, url, headers=headers, **kwargs)
    return response.status_code, response.headers.multi_items(), response.content


def _requests(ids: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    one, two = ids
    json_type = {"Content-Type": "application/json"}
    found: list[tuple[str, str, dict[str, Any]]] = []
    for base in (V4, V5):
        item = f"{base}/productOffering/{one}"
        found += [
            ("GET", item, {}),
            ("HEAD", item, {}),
            ("GET", item + "/", {}),
            ("GET", item + "?fields=name,lifecycleStatus", {}),
            ("GET", item + "?fields=", {}),
            ("GET", item + "?version=1.0", {}),
            ("GET", item + "?version=9.9", {}),
            ("GET", f"{base}/productOffering/{one}:(version=1.0)", {}),
            ("GET", item, {"headers": {"If-None-Match": '"1"'}}),
            ("GET", item, {"headers": {"If-None-Match": 'W/"1", "7"'}}),
            ("GET", item, {"headers": {"If-None-Match": "*"}}),
            ("HEAD", item, {"headers": {"If-None-Match": '"1"'}}),
            ("GET", item, {"headers": {"If-None-Match": '"2"'}}),
            ("GET", item, {"headers": {"Authorization": "Basic abc"}}),
            ("GET", f"{base}/productOffering/{two}", {}),
            ("GET", f"{base}/productOffering/missing", {}),
            ("GET", f"{base}/productOffering/a%00b", {}),
            ("GET", f"{base}/productOffering/x%0A", {}),
            ("GET", f"{base}/noSuchResource/x", {}),
            ("GET", f"{base}/productOffering?limit=1", {}),
            ("PUT", item, {"content": b"{}", "headers": json_type}),
            ("POST", item, {"content": b"{}", "headers": json_type}),
            ("PATCH", item, {"content": b'{"name": 1}', "headers": json_type}),
            ("PATCH", item, {"content": b'{"name": "x", "name": "y"}', "headers": json_type}),
            ("PATCH", item, {"content": b"{not json", "headers": json_type}),
            ("PATCH", item, {"content": b'{"name": "x"}', "headers": {"Content-Type": "text/plain"}}),
            ("PATCH", item, {"content": b'{"name": "x"}', "headers": {**json_type, "If-Match": '"9"'}}),
            ("PATCH", f"{base}/productOffering/missing", {"content": b'{"name": "x"}', "headers": json_type}),
            ("DELETE", f"{base}/productOffering/missing", {}),
        ]
    found += [
        ("GET", "/health", {}),
        ("GET", "/no/such/thing", {}),
        ("POST", "/health", {}),
        ("GET", "/data/core/xcore/", {}),
    ]
    return found


def _seed(client: TestClient) -> list[str]:
    ids = []
    for n in range(2):
        body = {"name": f"Plan {n}", "lifecycleStatus": "In study", "version": "1.0"}
        created = client.post(f"{V4}/productOffering", json=body)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    client.delete(f"{V4}/productOffering/{ids[1]}")  # a deleted one answers 404 from both
    return ids


def test_the_same_answers_without_credentials(pair: tuple[TestClient, TestClient]) -> None:
    lean, stock = pair
    ids = _seed(lean)
    for method, url, kwargs in _requests(ids):
        assert _answer(lean, method, url, **dict(kwargs)) == _answer(stock, method, url, **dict(kwargs)), (
            method,
            url,
        )


def test_the_same_answers_with_authentication_on(sqlite_store: Store) -> None:
    settings = jwt_settings()
    reader = bearer(token(scopes=("catalog:read",)))
    writer = bearer(make_key(sqlite_store))
    for lean, stock in _clients(settings, sqlite_store):
        ids = _seed_with(lean, writer)
        for who in ({}, reader, writer, bearer("not-a-key"), {"Authorization": "Bearer"}):
            for method, url, kwargs in _requests(ids):
                kwargs = {**kwargs, "headers": {**kwargs.get("headers", {}), **who}}
                assert _answer(lean, method, url, **dict(kwargs)) == _answer(stock, method, url, **kwargs), (
                    method,
                    url,
                    who,
                )


def _seed_with(client: TestClient, headers: dict[str, str]) -> list[str]:
    body = {"name": "Plan", "lifecycleStatus": "In study", "version": "1.0"}
    created = client.post(f"{V4}/productOffering", json=body, headers=headers)
    assert created.status_code == 201, created.text
    gone = client.post(f"{V4}/productOffering", json=body, headers=headers).json()["id"]
    assert client.delete(f"{V4}/productOffering/{gone}", headers=headers).status_code == 204
    return [created.json()["id"], gone]


def test_a_successful_patch_answers_the_same(pair: tuple[TestClient, TestClient]) -> None:
    lean, stock = pair
    ids = _seed(lean)
    for client in (lean, stock):
        # the same change made twice: the second answers the same body at the next version
        client.patch(f"{V4}/productOffering/{ids[0]}", json={"description": "changed"})
    a = lean.patch(f"{V5}/productOffering/{ids[0]}?fields=description", json={"description": "again"})
    b = stock.patch(f"{V5}/productOffering/{ids[0]}?fields=description", json={"description": "again"})
    assert (a.status_code, a.json()["id"], a.json()["description"]) == (200, ids[0], "again")
    assert "name" not in a.json()  # fields= applied
    assert b.status_code == 200 and b.json() == a.json()
    assert int(b.headers["etag"].strip('"')) == int(a.headers["etag"].strip('"')) + 1
    assert [k for k, _ in a.headers.multi_items()] == [k for k, _ in b.headers.multi_items()]


CASES: list[tuple[Any, int, dict[str, str] | None, str | None]] = [
    ({}, 200, None, None),
    ({"a": [1, "é"]}, 200, {"ETag": '"3"'}, None),
    ({"a": 1}, 201, {"Location": "/x/1", "ETag": '"1"'}, None),
    ({"a": 1}, 206, {"X-Total-Count": "9", "Link": "<a>; rel=next"}, "application/json"),
    ({"a": 1}, 304, {"ETag": '"3"'}, None),
    ({"a": 1}, 204, None, None),
    ({"a": 1}, 101, None, None),
    ({"a": 1}, 404, None, "application/problem+json"),
    ({"a": 1}, 503, {"Retry-After": "5"}, "application/problem+json"),
    ({"a": 1}, 200, {"Content-Type": "application/x"}, None),
    ({"a": 1}, 200, {"content-length": "3"}, None),
    ({"a": 1}, 200, None, "text/plain"),
    ([1, 2], 200, {}, "application/hal+json; charset=utf-8"),
]


@pytest.mark.parametrize(("content", "status", "headers", "media_type"), CASES)
def test_json_response_is_starlettes_response(
    content: Any, status: int, headers: dict[str, str] | None, media_type: str | None
) -> None:
    lean = json_response(content, status, headers, media_type)
    stock = Response(orjson.dumps(content), status, headers, media_type or "application/json")
    assert (lean.status_code, lean.body, lean.raw_headers, lean.media_type, lean.background) == (
        stock.status_code,
        stock.body,
        stock.raw_headers,
        stock.media_type,
        stock.background,
    )


@pytest.mark.parametrize(
    "raw",
    [
        [],
        [(b"if-none-match", b'"1"')],
        [(b"if-none-match", b'"1"'), (b"if-none-match", b'"2"')],
        [(b"host", b"x"), (b"content-type", b"application/json; charset=\xe9")],
    ],
)
def test_header_reads_as_starlettes_headers(raw: list[tuple[bytes, bytes]]) -> None:
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": raw})
    for name in ("if-none-match", "content-type", "host", "absent"):
        assert header(request, name.encode()) == request.headers.get(name)


class Boom(Exception):
    """A handled error."""


class Unhandled(Exception):
    """An error no handler takes."""


def _failing(when: str) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if when == "after start":
            await send({"type": "http.response.start", "status": 200, "headers": []})
        if when == "ok":
            await PlainTextResponse("fine")(scope, receive, send)
            return
        raise {"boom": Boom("b"), "unhandled": Unhandled("u")}.get(when, Boom("b"))

    return app


@pytest.mark.parametrize("when", ["ok", "boom", "after start", "unhandled"])
def test_error_registry_is_starlettes_exception_middleware(when: str) -> None:
    async def handled(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"handled {request.url.path} {exc}", 418, {"X-Handled": "yes"})

    def sync_handled(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("sync", 419)

    answers = []
    for cls in (ErrorRegistry, ExceptionMiddleware):
        app = cls(_failing(when), handlers={Boom: handled, Exception: sync_handled})
        client = TestClient(app, raise_server_exceptions=True)  # no lifespan: the app serves HTTP only
        try:
            response = client.get("/p")
            answers.append((response.status_code, response.headers.multi_items(), response.text))
        except Exception as exc:  # the same exception escapes both
            answers.append((type(exc), str(exc)))  # type: ignore[arg-type]
    assert answers[0] == answers[1]
