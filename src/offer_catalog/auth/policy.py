"""The scope every route requires: one data table keyed by (method, path template), checked at start-up.

HEAD is answered as GET. TMF620 is served by one dispatching route per base path
(`{base}{rest:path}`); its operations are declared here by sub-template, with `{resource}` standing
for every collection of the TMF620 resources table. A route of the application that this table
does not declare makes `create_app` fail (`check_declared`), so a new route cannot go unprotected.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from starlette.routing import BaseRoute, Mount, Route

from offer_catalog.auth.principal import ADMIN, CATALOG_READ, CATALOG_WRITE, DECISIONS, EVENTS
from offer_catalog.http.shapes import SegmentTree

PUBLIC: Final = "public"
"""Answered without credentials (liveness and readiness only)."""
AUTHENTICATED: Final = ""
"""Any valid credentials: paths that match no declared route (the app answers 404 or 405)."""

XCORE: Final = "/data/core/xcore"
ODE: Final = "/data/core/ode"
ODS: Final = "/data/core/ods"
TMF_BASES: Final = (
    "/tmf-api/productCatalogManagement/v4",
    "/productCatalogManagement/v4",
    "/tmf-api/productCatalogManagement/v5",
    "/productCatalogManagement/v5",
)
TENANT_PREFIXES: Final = ("/data/core/",)
"""Paths whose org and sandbox headers must name one of the principal's tenants."""


def _tmf(base: str) -> dict[tuple[str, str], str]:
    return {
        ("GET", f"{base}/openapi.json"): CATALOG_READ,
        ("GET", f"{base}/{{resource}}"): CATALOG_READ,
        ("POST", f"{base}/{{resource}}"): CATALOG_WRITE,
        ("GET", f"{base}/{{resource}}/{{id}}"): CATALOG_READ,
        ("PATCH", f"{base}/{{resource}}/{{id}}"): CATALOG_WRITE,
        ("DELETE", f"{base}/{{resource}}/{{id}}"): CATALOG_WRITE,
        ("GET", f"{base}/{{resource}}/{{id}}/history"): CATALOG_READ,
        ("GET", f"{base}/{{resource}}/{{id}}/history/{{version}}"): CATALOG_READ,
        # The event hub, its dead letters; the listeners write the catalog (events/hub_api.py).
        ("POST", f"{base}/hub"): EVENTS,
        ("GET", f"{base}/eventSubscription"): EVENTS,
        ("GET", f"{base}/eventSubscription/{{id}}"): EVENTS,
        ("DELETE", f"{base}/hub/{{id}}"): EVENTS,
        ("GET", f"{base}/hub/{{id}}/deadLetter"): EVENTS,
        ("POST", f"{base}/hub/{{id}}/deadLetter/replay"): EVENTS,
        ("POST", f"{base}/listener"): CATALOG_WRITE,
        ("POST", f"{base}/listener/{{event}}"): CATALOG_WRITE,
        # Import and export jobs (events/job_api.py): an export reads the catalog, an import writes it.
        ("GET", f"{base}/exportJob"): CATALOG_READ,
        ("POST", f"{base}/exportJob"): CATALOG_READ,
        ("GET", f"{base}/exportJob/{{id}}"): CATALOG_READ,
        ("DELETE", f"{base}/exportJob/{{id}}"): CATALOG_READ,
        ("GET", f"{base}/exportJob/{{id}}/file"): CATALOG_READ,
        ("GET", f"{base}/importJob"): CATALOG_READ,
        ("POST", f"{base}/importJob"): CATALOG_WRITE,
        ("GET", f"{base}/importJob/{{id}}"): CATALOG_READ,
        ("DELETE", f"{base}/importJob/{{id}}"): CATALOG_WRITE,
    }


ROUTE_SCOPES: Final[dict[tuple[str, str], str]] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/ready"): PUBLIC,
    # Operations: metrics for whoever operates the service; the API pages like the APIs they show. Only
    # the pages' static assets (the Swagger UI package's files, no data) are served without credentials.
    ("GET", "/metrics"): ADMIN,
    ("GET", "/docs"): CATALOG_READ,
    ("GET", "/docs/{api}"): CATALOG_READ,
    ("GET", "/docs/assets/{asset}"): PUBLIC,
    ("GET", f"{XCORE}/"): CATALOG_READ,
    ("GET", XCORE): CATALOG_READ,
    ("GET", f"{XCORE}/openapi.json"): CATALOG_READ,
    ("GET", f"{XCORE}/containers/{{container_id}}"): CATALOG_READ,
    ("GET", f"{XCORE}/{{container_id}}/instances"): CATALOG_READ,
    ("POST", f"{XCORE}/{{container_id}}/instances"): CATALOG_WRITE,
    ("GET", f"{XCORE}/{{container_id}}/instances/{{instance_id}}"): CATALOG_READ,
    ("PUT", f"{XCORE}/{{container_id}}/instances/{{instance_id}}"): CATALOG_WRITE,
    ("PATCH", f"{XCORE}/{{container_id}}/instances/{{instance_id}}"): CATALOG_WRITE,
    ("DELETE", f"{XCORE}/{{container_id}}/instances/{{instance_id}}"): CATALOG_WRITE,
    ("GET", f"{XCORE}/{{container_id}}/queries/core/search"): CATALOG_READ,
    ("GET", f"{XCORE}/{{container_id}}/deletions/{{kind}}/{{instance_id}}/{{version}}"): CATALOG_READ,
    ("GET", f"{ODE}/openapi.json"): DECISIONS,
    ("POST", f"{ODE}/{{container_id}}/decisions"): DECISIONS,
    ("GET", f"{ODE}/{{container_id}}/diagnostics"): DECISIONS,
    ("GET", f"{ODE}/{{container_id}}/offers"): DECISIONS,
    ("POST", f"{ODE}/{{container_id}}/events"): DECISIONS,
    ("GET", f"{ODE}/{{container_id}}/reports"): CATALOG_READ,
    ("POST", f"{ODS}/decisions"): DECISIONS,
    ("POST", f"{ODE}/{{container_id}}/batch-jobs"): DECISIONS,
    ("GET", f"{ODE}/{{container_id}}/batch-jobs/{{job_id}}"): DECISIONS,
    ("GET", f"{ODE}/{{container_id}}/batch-jobs/{{job_id}}/results"): DECISIONS,
    ("POST", f"{ODE}/{{container_id}}/batch-jobs/{{job_id}}/cancel"): DECISIONS,
    **{entry: scope for base in TMF_BASES for entry, scope in _tmf(base).items()},
}
DISPATCHED: Final = frozenset(f"{base}{{rest:path}}" for base in TMF_BASES)
"""Route paths that dispatch inside; their operations are the TMF sub-templates above."""


class Policy:
    """Finds the scope a request needs from the table (literal templates win over `{param}` ones).

    A `{param}` stands for one non-empty segment; a template not ending in "/" also serves the path
    with one trailing "/". The templates are a tree of segments per method, so a lookup costs a few
    dict lookups whatever the size of the table.
    """

    def __init__(self, table: dict[tuple[str, str], str] = ROUTE_SCOPES) -> None:
        self._trees: dict[str, SegmentTree] = {}
        self._scopes: dict[int, str] = {}
        for order, ((method, template), scope) in enumerate(table.items()):
            shape = [None if p.startswith("{") and p.endswith("}") else p for p in template.split("/")]
            rank = template.count("{") * len(table) + order  # fewest params first, then table order
            self._trees.setdefault(method, SegmentTree()).add(shape, rank, exact=template.endswith("/"))
            self._scopes[rank] = scope

    def scope_for(self, method: str, path: str) -> str:
        """The scope (or PUBLIC / AUTHENTICATED) a request to `path` with `method` needs."""
        tree = self._trees.get("GET" if method == "HEAD" else method)
        if tree is None:
            return AUTHENTICATED
        parts = path.split("/")
        found = tree.first(parts)
        if path.endswith("/") and len(parts) > 1:
            found = tree.first(parts[:-1], found, stripped=True)
        return self._scopes.get(found, AUTHENTICATED)


def route_operations(routes: Iterable[BaseRoute], prefix: str = "") -> list[tuple[str, str]]:
    """Every (method, path template) the routes serve, Mounts and API mounts walked (HEAD left out)."""
    found: list[tuple[str, str]] = []
    for route in routes:
        if isinstance(route, Mount):
            found.extend(route_operations(route.routes, prefix + route.path))
        elif not isinstance(route, Route) and hasattr(route, "routes"):
            # An API mount hands requests to its own router without rewriting paths.
            found.extend(route_operations(route.routes, prefix))
        elif isinstance(route, Route):
            methods = route.methods or {"GET"}
            found.extend((m, prefix + route.path) for m in sorted(methods) if m != "HEAD")
    return found


def check_declared(routes: Iterable[BaseRoute], table: dict[tuple[str, str], str] = ROUTE_SCOPES) -> None:
    """Raise RuntimeError naming every route the scope table does not declare."""
    missing: list[str] = []
    policy = Policy(table)
    for method, path in route_operations(routes):
        if path in DISPATCHED:
            base = path.removesuffix("{rest:path}")
            missing.extend(f"{m} {t}" for (m, t) in _tmf(base) if (m, t) not in table)
        elif (method, path) not in table and policy.scope_for(method, path) == AUTHENTICATED:
            # TMF620 routes are declared once for every resource (`{resource}` in the template).
            missing.append(f"{method} {path}")
    if missing:
        raise RuntimeError("routes without a declared scope: " + ", ".join(sorted(set(missing))))
