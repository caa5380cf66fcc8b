"""`offer-catalog report` as a user runs it: decisions made by `decide`, events recorded, a Rich table."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from integration.test_decide_cli import catalog, run
from offer_catalog.decisioning.decision_log import DecisionLog
from offer_catalog.decisioning.feedback import record_events
from offer_catalog.decisioning.interactions import parse_events
from offer_catalog.store import open_store
from support.server import command

__all__ = ["catalog"]


def report(ids: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    args = ["report", "--container", ids["container"], "--database-url", ids["url"], *extra]
    env = {**os.environ, "OFFER_CATALOG_LOG_LEVEL": "warning"}
    return subprocess.run([*command(), *args], capture_output=True, text=True, timeout=60, env=env)


def test_report_shows_decisions_impressions_and_clicks(catalog: dict[str, str], tmp_path: Path) -> None:
    before = json.loads(report(catalog, "--group-by", "offer", "--json").stdout)["rows"]
    proposed = {row["offer"]: row["proposals"] for row in before}.get(catalog["offer"], 0)
    fresh = os.path.join(str(tmp_path), "reporter.json")
    with open(fresh, "w") as handle:
        json.dump({"xdm:identityMap": {"Email": [{"xdm:id": "reporter@x.y"}]}}, handle)
    made = run(catalog, profile=fresh)
    assert made.returncode == 0, made.stderr
    pid = json.loads(made.stdout)["xdm:propositionId"]
    store = open_store(catalog["url"])
    try:
        events = [
            {"eventId": "r1", "propositionId": pid, "offerId": catalog["offer"], "type": "display"},
            {"eventId": "r2", "propositionId": pid, "offerId": catalog["offer"], "type": "click"},
        ]
        receipt = record_events(
            store,
            container_id=catalog["container"],
            interactions=parse_events(events, datetime.now(UTC)),
            now=datetime.now(UTC),
            log=DecisionLog(),
        )
    finally:
        store.close()
    assert receipt.accepted == 2
    data = json.loads(report(catalog, "--group-by", "offer", "--json").stdout)
    row = {r["offer"]: r for r in data["rows"]}[catalog["offer"]]
    assert row["proposals"] == proposed + 1 and row["impressions"] >= 1 and row["clicks"] >= 1
    table = report(catalog, "--group-by", "offer")
    assert table.returncode == 0, table.stderr
    assert catalog["offer"] in table.stdout and "Impressions" in table.stdout and "CTR" in table.stdout


def test_report_refuses_bad_options(catalog: dict[str, str]) -> None:
    result = report(catalog, "--group-by", "profile")
    assert result.returncode == 1 and "invalid_report" in result.stderr
    result = report(catalog, "--from", "last week")
    assert result.returncode == 1 and "invalid_report" in result.stderr
