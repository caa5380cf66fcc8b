"""Browsable API documentation: a Swagger UI page per API, its assets from the swagger-ui-bundle package."""

from __future__ import annotations

import html

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

ASSETS = "/docs/assets"

# name in the URL -> (title, the OpenAPI document the API serves about itself)
APIS: dict[str, tuple[str, str]] = {
    "offer-library": ("Offer Library API (xcore)", "/data/core/xcore/openapi.json"),
    "decisioning": ("Decisioning API", "/data/core/ode/openapi.json"),
    "tmf620": ("TMF620 Product Catalog Management v4", "/tmf-api/productCatalogManagement/v4/openapi.json"),
    "tmf620-oracle": ("TMF620 v4 at Oracle's base path", "/productCatalogManagement/v4/openapi.json"),
    "tmf620-v5": (
        "TMF620 Product Catalog Management v5",
        "/tmf-api/productCatalogManagement/v5/openapi.json",
    ),
    "tmf620-v5-oracle": ("TMF620 v5 at Oracle's base path", "/productCatalogManagement/v5/openapi.json"),
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
const source = {{url: {spec}}};
fetch(source.url).then((answer) => answer.json()).then((spec) => {{
  // The bundled Swagger UI renders OpenAPI 2.0 and 3.0 only: show a 3.1 document as 3.0.
  if (/^3[.]1[.]/.test(spec.openapi)) spec.openapi = "3.0.3";
  SwaggerUIBundle({{spec: spec, dom_id: "#swagger-ui", deepLinking: true}});
}});
</script>
</body></html>
"""

_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>offer-catalog API documentation</title></head>
<body><h1>offer-catalog API documentation</h1><ul>{items}</ul></body></html>
"""


async def docs_index(request: Request) -> Response:
    """A list of the API pages."""
    items = "".join(
        f'<li><a href="/docs/{name}">{html.escape(title)}</a> (<a href="{spec}">OpenAPI JSON</a>)</li>'
        for name, (title, spec) in APIS.items()
    )
    return HTMLResponse(_INDEX.format(items=items))


async def docs_page(request: Request) -> Response:
    """The Swagger UI page of one API."""
    api = APIS.get(request.path_params["api"])
    if api is None:
        return HTMLResponse("<!doctype html><title>Not Found</title><p>No such API.</p>", 404)
    title, spec = api
    page = _PAGE.format(title=html.escape(title), assets=ASSETS, spec=orjson.dumps(spec).decode())
    return HTMLResponse(page)


def docs_routes() -> list[BaseRoute]:
    """/docs (an index), /docs/{api} (Swagger UI) and the UI's static assets."""
    from swagger_ui_bundle import swagger_ui_path

    return [
        Mount(ASSETS, app=StaticFiles(directory=str(swagger_ui_path)), name="docs-assets"),
        Route("/docs", docs_index, methods=["GET"]),
        Route("/docs/{api}", docs_page, methods=["GET"]),
    ]
