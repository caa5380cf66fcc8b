"""The official TMF620 v4.0.0 CTK, unedited, run with newman against the real server on both base paths."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from support.server import running_server

ROOT = Path(__file__).resolve().parents[3]
NEWMAN = ROOT / "node_modules" / ".bin" / "newman"
COLLECTION = "tmf620/ctk/CTK-Product_Catalog-4.0.0.postman_collection.json"
BASES = ("tmf-api/productCatalogManagement/v4/", "productCatalogManagement/v4/")

pytestmark = pytest.mark.slow


def _require_newman() -> None:
    if NEWMAN.exists():
        return
    if any(
        os.environ.get(flag, "").lower() in ("1", "true", "yes")
        for flag in ("CI", "OFFER_CATALOG_REQUIRE_POSTGRES")
    ):
        pytest.fail(f"{NEWMAN} is missing: run `npm ci` at the repository root", pytrace=False)
    pytest.skip("newman is not installed (run `npm ci` at the repository root)")


@pytest.mark.parametrize("base", BASES)
def test_ctk_passes_with_no_failed_assertion(shared_dir: Path, tmp_path: Path, base: str) -> None:
    _require_newman()
    report = tmp_path / "report.json"
    env = {"OFFER_CATALOG_LOG_LEVEL": "warning"}
    with running_server(f"sqlite:///{tmp_path / 'ctk.db'}", env=env) as (url, _):
        run = subprocess.run(
            [
                str(NEWMAN),
                "run",
                str(shared_dir / COLLECTION),
                "--env-var",
                f"Product_Catalog={url}/{base}",
                "-r",
                "cli,json",
                "--reporter-json-export",
                str(report),
                "--color",
                "off",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
    assert report.exists(), run.stdout + run.stderr
    stats = json.loads(report.read_text(encoding="utf-8"))["run"]
    assertions = stats["stats"]["assertions"]
    failures = [f"{f['source']['name']}: {f['error']['message']}" for f in stats["failures"]]
    assert assertions["total"] > 0 and stats["stats"]["requests"]["total"] == 47
    assert assertions["failed"] == 0 and not failures, "\n".join(failures) + "\n" + run.stdout[-3000:]
    assert run.returncode == 0, run.stdout[-3000:]
