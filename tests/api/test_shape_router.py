"""Route lookup by path shape answers every request exactly as Starlette's ordered scan does."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.http.routing import Api, ApiMount, ApiRoute, api_mount
from offer_catalog.http.shapes import ShapeIndex, ShapeRouter
from offer_catalog.settings import load_settings


def _named(name: str) -> object:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(f"{name} {sorted(request.path_params.items())}")

    return endpoint


def _routes() -> list[BaseRoute]:
    inner = Api(
        [
            ApiRoute("/api/things", {"GET": _named("things")}),
            ApiRoute("/api/things/{id}", {"GET": _named("thing"), "PATCH": _named("patch-thing")}),
            ApiRoute(
                "/api/things/special", {"GET": _named("special")}
            ),  # after the param route: never served
            ApiRoute("/api/{kind}/{id}/history", {"GET": _named("history")}),
        ],
        errors={},
        render=lambda request, failure: PlainTextResponse(failure.code, failure.status, failure.headers),
    )
    return [
        Route("/health", _named("health"), methods=["GET"]),
        Route("/items/{n:int}", _named("int-item"), methods=["GET"]),  # a convertor the tree leaves out
        Route("/items/{name}", _named("item"), methods=["POST"]),  # same shape, another method: 405 or later
        Route("/items/{name}", _named("item-get"), methods=["GET"]),
        Route("/files/{name}.json", _named("file"), methods=["GET"]),
        Mount("/static", app=PlainTextResponse("static")),
        api_mount(["/api"], inner),
        Route("/{anything}", _named("catch-one"), methods=["GET"]),
    ]


PATHS = [
    ("GET", "/health"),
    ("GET", "/health/"),
    ("POST", "/health"),
    ("GET", "/items/7"),
    ("GET", "/items/seven"),
    ("POST", "/items/seven"),
    ("DELETE", "/items/seven"),
    ("GET", "/files/a.json"),
    ("GET", "/files/a.txt"),
    ("GET", "/static/x.css"),
    ("GET", "/static"),
    ("GET", "/api/things"),
    ("GET", "/api/things/42"),
    ("PATCH", "/api/things/42"),
    ("DELETE", "/api/things/42"),
    ("GET", "/api/things/special"),
    ("GET", "/api/offers/1/history"),
    ("GET", "/api/things//history"),
    ("GET", "/api"),
    ("GET", "/api/nothing/here/at/all"),
    ("GET", "/other"),
    ("GET", "/"),
    ("GET", "//"),
    ("GET", "/items/seven%0A"),  # a regex `$` also matches before a final newline
    ("GET", "/health%0A"),
    ("GET", "/api/things/42%0A"),
    ("GET", "/api/things/a%20b"),
    ("GET", "/api/offers/x%2Fy/history"),
]


@pytest.mark.parametrize(("method", "path"), PATHS)
def test_same_answer_as_the_ordered_scan(method: str, path: str) -> None:
    plain, shaped = Starlette(routes=_routes()), Starlette(routes=_routes())
    shaped.router = ShapeRouter(_routes())
    with TestClient(plain) as a, TestClient(shaped) as b:
        expected, got = a.request(method, path), b.request(method, path)
    assert (got.status_code, got.text, got.headers.get("allow")) == (
        expected.status_code,
        expected.text,
        expected.headers.get("allow"),
    )


def test_a_route_the_tree_cannot_describe_keeps_its_place() -> None:
    routes = _routes()
    index = ShapeIndex(routes)
    assert index.first("/items/7") == 1  # the int route comes first and is confirmed by its own regex
    assert index.first("/health") == 0
    assert index.first("/nothing/fits/here") == 1  # only the routes the tree leaves out may match


def test_the_service_routes_are_all_described() -> None:
    """Every route of the application and of each API is found by shape: none needs the scan."""
    app = create_app(load_settings({"database_url": "sqlite:///:memory:"}))
    assert isinstance(app.router, ShapeRouter)
    routers = [app.router] + [r.api.router for r in app.router.routes if isinstance(r, ApiMount)]
    assert len(routers) > 3
    for router in routers:
        assert isinstance(router, ShapeRouter)
        assert ShapeIndex(router.routes).anywhere >= len(router.routes)


def _fits(template: str, path: str, *, prefix: bool) -> bool:
    shape, parts = template.split("/"), path.split("/")
    if len(parts) < len(shape) or (not prefix and len(parts) != len(shape)):
        return False
    return all(
        (s.startswith("{") and p != "") if s.startswith("{") else s == p
        for s, p in zip(shape, parts, strict=False)
    )


def test_the_earliest_fitting_route_is_found_for_random_tables() -> None:
    """The pruned walk gives what trying every route in order gives, over random tables and paths."""
    import random

    rng = random.Random(14)
    words = ["a", "b", "{p}", "{p}"]
    for _ in range(300):
        routes: list[BaseRoute] = []
        kinds = []
        for _ in range(rng.randint(1, 12)):
            segments = [rng.choice(words) for _ in range(rng.randint(1, 4))]
            template = "/" + "/".join(w if w[0] != "{" else f"{{p{n}}}" for n, w in enumerate(segments))
            if rng.random() < 0.25 and "{" not in template:
                routes.append(Mount(template, app=PlainTextResponse("m")))
                kinds.append((template, True))
            else:
                routes.append(Route(template, _named("r")))
                kinds.append((template, False))
        index = ShapeIndex(routes)
        for _ in range(30):
            path = "/" + "/".join(rng.choice(["a", "b", "c", ""]) for _ in range(rng.randint(1, 5)))
            expected = next(
                (i for i, (t, prefix) in enumerate(kinds) if _fits(t, path, prefix=prefix)), len(routes)
            )
            assert index.first(path) == expected, (kinds, path)
