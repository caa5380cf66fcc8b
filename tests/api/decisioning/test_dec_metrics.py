"""Decisions and snapshot builds show in /metrics."""

from __future__ import annotations

from dec_support import Catalog, decide, decision_request, profile
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

ROUTE = "/data/core/ode/{container_id}/decisions"


def read(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = client.get("/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_decisions_and_snapshot_builds_are_counted(client: TestClient, catalog: Catalog) -> None:
    before = read(client)
    body = decision_request(catalog["main"], catalog["web"], profile("m@x.y"))
    for _ in range(3):
        assert decide(client, catalog.container, body).status_code == 200
    assert decide(client, catalog.container, "{not json").status_code == 400
    after = read(client)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("offer_catalog_decision_requests_total", route=ROUTE, status="200") == 3
    assert delta("offer_catalog_decision_requests_total", route=ROUTE, status="400") == 1
    # The first decision on the new container compiled its snapshot; the next two reused it.
    assert delta("offer_catalog_snapshot_build_duration_seconds_count") == 1
