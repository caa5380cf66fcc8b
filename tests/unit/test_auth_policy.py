"""The scope table lookup: the same answer as matching every template's pattern in rank order."""

from __future__ import annotations

import re

import pytest

from offer_catalog.auth.policy import AUTHENTICATED, PUBLIC, ROUTE_SCOPES, Policy
from offer_catalog.auth.principal import CATALOG_READ, CATALOG_WRITE, EVENTS


def _oracle(table: dict[tuple[str, str], str], method: str, path: str) -> str:
    """Each template as a regex ({param}: one non-empty segment, optional trailing /), fewest params first."""
    ordered = sorted(table.items(), key=lambda item: item[0][1].count("{"))
    for (m, template), scope in ordered:
        parts = re.split(r"(\{[^}]+\})", template)
        body = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        pattern = body + ("/?" if not template.endswith("/") else "")
        if m == ("GET" if method == "HEAD" else method) and re.fullmatch(pattern, path):
            return scope
    return AUTHENTICATED


def _paths() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for method, template in ROUTE_SCOPES:
        concrete = re.sub(r"\{[^}]+\}", "x1", template)
        for path in (concrete, concrete + "/", concrete + "//", concrete.rstrip("/"), concrete + "/more"):
            for m in (method, "HEAD", "PUT"):
                found.append((m, path))
        found.append((method, re.sub(r"\{[^}]+\}", "", template)))  # an empty segment is no param
    found += [("GET", p) for p in ("/", "", "//", "/health//", "/docs/", "/docs/assets/", "/nowhere")]
    return found


def test_every_table_path_answers_as_the_patterns_do() -> None:
    policy = Policy()
    mismatched = [
        (m, p, policy.scope_for(m, p), _oracle(ROUTE_SCOPES, m, p))
        for m, p in _paths()
        if policy.scope_for(m, p) != _oracle(ROUTE_SCOPES, m, p)
    ]
    assert mismatched == []


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/health", PUBLIC),
        ("HEAD", "/health/", PUBLIC),
        ("GET", "/tmf-api/productCatalogManagement/v4/productOffering/po-1", CATALOG_READ),
        ("PATCH", "/tmf-api/productCatalogManagement/v4/productOffering/po-1", CATALOG_WRITE),
        ("POST", "/tmf-api/productCatalogManagement/v4/hub", EVENTS),
        ("GET", "/tmf-api/productCatalogManagement/v4/productOffering/po-1/nothing", AUTHENTICATED),
    ],
)
def test_literal_templates_win_over_params(method: str, path: str, scope: str) -> None:
    assert Policy().scope_for(method, path) == scope


def test_random_tables_answer_as_the_patterns_do() -> None:
    """The pruned walk over tables where literal and `{param}` templates overlap in every way."""
    import random

    rng = random.Random(14)
    for _ in range(200):
        table: dict[tuple[str, str], str] = {}
        for n in range(rng.randint(1, 10)):
            segments = [rng.choice(["a", "b", "{p}"]) for _ in range(rng.randint(1, 4))]
            template = "/" + "/".join(s if s != "{p}" else f"{{p{i}}}" for i, s in enumerate(segments))
            table[("GET", template + ("/" if rng.random() < 0.2 else ""))] = f"scope-{n}"
        policy = Policy(table)
        for _ in range(30):
            path = "/" + "/".join(rng.choice(["a", "b", "c", ""]) for _ in range(rng.randint(1, 5)))
            assert policy.scope_for("GET", path) == _oracle(table, "GET", path), (table, path)
