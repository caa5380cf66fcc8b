"""Schemathesis against the served service: its own OpenAPI documents and the official TMF620 v4.0.0.

Each run is the `schemathesis` command as a user runs it, over real HTTP against `offer-catalog serve`
on SQLite and on PostgreSQL, with every default check on what the service answers (server errors,
status codes, content types, response schemas and headers, stateful links, unsupported methods, data
acceptance and rejection, use_after_free); a run may leave checks out (`excluded`: the TMF620 runs
leave none out, docs/tmf620.md "Rules beyond the schemas"). Runs are bounded in examples
and time and seeded (deterministic generation), so CI reproduces them. A failure fails the test
with Schemathesis' own report, which holds a `curl` reproducer for each failing case.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from offer_catalog.resources.tmf620 import CLASSES as RESOURCE_CLASSES
from support import postgres
from support.offer_library import auth
from support.server import command, running_server
from support.shared import shared_dir

pytestmark = pytest.mark.slow

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
TESTS = Path(__file__).resolve().parents[1]
TMF_BASE = "/tmf-api/productCatalogManagement/v4/"
ORACLE_BASE = "/productCatalogManagement/v4/"
OFFICIAL = "tmf620/TMF620-ProductCatalog-v4.0.0.swagger.json"
ORG, SANDBOX = "fuzz-org@AdobeOrg", "prod"
# CI generates deterministically (Hypothesis derandomized, so a run is reproduced and no seed is used);
# OFFER_CATALOG_FUZZ_SEED explores others: random generation from that seed.
EXPLORE_SEED = os.environ.get("OFFER_CATALOG_FUZZ_SEED")
SEED = int(EXPLORE_SEED or "20260415")
KEPT_MEMBERS = ("name", "lifecycleStatus", "@type")
# Per run: test cases per operation and the wall time the run may take (CI budget: ~25 s a run with start-up).
MAX_EXAMPLES = int(os.environ.get("OFFER_CATALOG_FUZZ_EXAMPLES", "12"))
MAX_SECONDS = int(os.environ.get("OFFER_CATALOG_FUZZ_SECONDS", "20"))
# A stale or foreign ETag is a valid header that the documents answer with 412 (and 304 for reads).
# Schemathesis' own default for valid requests: the Offer Library and decisioning documents need no more.
DEFAULT_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
ACCEPTED_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]
# Schemathesis' own statuses for a refused invalid request, and 412 (see `schemathesis`).
REJECTED_STATUSES = [
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "412",
    "415",
    "422",
    "428",
    "429",
    "5xx",
]
# Checks a run may leave out (`excluded`): whether the service accepts every request the document's
# schemas allow and refuses every one they forbid, and use_after_free. The TMF620 runs leave out none.
DATA_CHECKS = ("positive_data_acceptance", "negative_data_rejection", "use_after_free")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database on each store, for this module."""
    admin = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'catalog.db'}"
    else:
        admin = postgres.admin_url()
        if admin is None:
            postgres.unavailable("no server answered")
            raise AssertionError("unreachable")  # pragma: no cover
        url = postgres.create_database(admin)
    try:
        subprocess.run([*command(), "migrate", "--database-url", url], check=True, capture_output=True)
        yield url
    finally:
        if admin is not None:
            postgres.drop_database(admin, url)


@pytest.fixture(scope="module")
def container(database: str) -> str:
    """A container of the fuzzing tenant, made by the CLI (other container ids are 404s)."""
    made = subprocess.run(
        [
            *command(),
            "containers",
            "create",
            *("--org", ORG, "--sandbox", SANDBOX, "--name", "fuzzing"),
            *("--database-url", database),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return made.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def served(database: str, container: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`offer-catalog serve` over that database, authentication as configured by default."""
    # Jobs need an export directory (503 without one); the hub's callbacks are kept to a closed local
    # port by the hooks, so private targets are allowed (deliveries fail at once, nothing leaves).
    env = {"OFFER_CATALOG_EXPORT_DIR": str(tmp_path_factory.mktemp("exports"))}
    env["OFFER_CATALOG_HUB_ALLOW_PRIVATE_TARGETS"] = "true"
    with running_server(database, env=env) as (base, _proc):
        yield base


def schemathesis(
    location: str,
    base_url: str,
    workdir: Path,
    *,
    parameters: dict[str, str] | None = None,
    accepted: list[str] = ACCEPTED_STATUSES,
    excluded: tuple[str, ...] = DATA_CHECKS,
    config_lines: tuple[str, ...] = (),
) -> str:
    """Run the `schemathesis` command once; fail with its report (and reproducers) on any failure."""
    config = workdir / "schemathesis.toml"
    lines = [
        'hooks = "support.schemathesis_hooks"',
        f"seed = {SEED}",
        f"max-time = {MAX_SECONDS}",
        "workers = 1",
        "request-timeout = 10.0",
        "[generation]",
        f"max-examples = {MAX_EXAMPLES}",
        f"deterministic = {'false' if EXPLORE_SEED else 'true'}",
        "[headers]",
        # The Offer Library's gateway headers (a bearer token and client id are required in form even
        # with authentication off, which is the default: nothing is verified).
        *(f"{json.dumps(name)} = {json.dumps(value)}" for name, value in auth(ORG, SANDBOX).items()),
        "[checks.positive_data_acceptance]",
        f"expected-statuses = {json.dumps(accepted)}",
        # A request's preconditions are evaluated before its content (RFC 9110, 13.2.2): a stale or
        # foreign If-Match on an invalid body is refused with 412, which is a rejection too.
        "[checks.negative_data_rejection]",
        f"expected-statuses = {json.dumps(REJECTED_STATUSES)}",
    ]
    if parameters:
        lines.append("[parameters]")
        lines += [f"{json.dumps(name)} = {json.dumps(value)}" for name, value in parameters.items()]
    config.write_text("\n".join([*lines, *config_lines]) + "\n")
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            location,
            "--url",
            base_url,
            "--no-color",
            "--suppress-health-check",
            "all",
            *(("--exclude-checks", ",".join(excluded)) if excluded else ()),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])},
        timeout=MAX_SECONDS * 4 + 60,
        cwd=workdir,
    )
    report = run.stdout + run.stderr
    summary = report[report.rfind("SUMMARY") :] if "SUMMARY" in report else report[-2000:]
    print(summary)
    if run.returncode != 0:
        pytest.fail(f"schemathesis found failures against {location}:\n{report}", pytrace=False)
    return report


def served_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(method, path) of every operation a served TMF620 document declares, paths under its base."""
    server = document.get("servers", [{"url": ""}])[0]["url"].rstrip("/")
    return {
        (method, path.removeprefix(server) or "/")
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def official_served(served: str, workdir: Path) -> Path:
    """The official v4.0.0 swagger reduced to the operations the service serves (same schemas)."""
    official = json.loads((shared_dir() / OFFICIAL).read_text())
    ours = httpx.get(f"{served}{TMF_BASE}openapi.json", timeout=10).json()
    keep = served_operations(ours)
    paths: dict[str, Any] = {}
    for path, operations in official["paths"].items():
        kept = {
            method: op
            for method, op in operations.items()
            if method == "parameters" or (method, path) in keep
        }
        if set(kept) - {"parameters"}:
            paths[path] = kept
    assert paths, "no official operation is served"
    # A merge patch (RFC 7396, the specification's PATCH) removes a member with `null`, which no
    # swagger 2.0 schema can state: null is a value of every `<Resource>_Update` member a resource may
    # lack (not `name`, `lifecycleStatus`, `@type`: a patch cannot remove them; docs/tmf620.md).
    for def_name, definition in official["definitions"].items():
        if def_name.endswith("_Update") and def_name.split("_")[0] in RESOURCE_CLASSES:
            for name, member in definition.get("properties", {}).items():
                if name not in KEPT_MEMBERS:
                    member["x-nullable"] = True
    # A hub callback must be a URL the hub may call (docs/events.md, "Callback safety"); the
    # specification leaves it any string: the served document's rule replaces it.
    callback = ours["components"]["schemas"]["EventSubscriptionInput"]["properties"]["callback"]
    official["definitions"]["EventSubscriptionInput"]["properties"]["callback"] = callback
    # A job's contentType is a format the service reads and writes (docs/events.md: any other is a 400
    # invalid_value:contentType); the specification leaves it any string: the served rule replaces it.
    for job in ("ExportJob_Create", "ImportJob_Create"):
        content_type = ours["components"]["schemas"][job]["properties"]["contentType"]
        official["definitions"][job]["properties"]["contentType"] = content_type
    reduced = {**official, "paths": paths, "host": re.sub(r"^https?://", "", served), "schemes": ["http"]}
    target = workdir / "tmf620-v4.0.0-served.json"
    target.write_text(json.dumps(reduced))
    return target


# A deleted entity's history stays readable (its tombstone version; docs/tmf620.md, "History (beyond
# the spec)"), so a 200 there after a DELETE is no use after free.
HISTORY_AFTER_DELETE = (
    "[[operations]]",
    'include-path-regex = "/history(/|$)"',
    "checks.use_after_free.enabled = false",
)


def test_tmf620_official_v4_specification(served: str, tmp_path: Path) -> None:
    spec = official_served(served, tmp_path)
    schemathesis(str(spec), f"{served}{TMF_BASE.rstrip('/')}", tmp_path, excluded=())


def test_tmf620_served_document(served: str, tmp_path: Path) -> None:
    schemathesis(
        f"{served}{TMF_BASE}openapi.json",
        f"{served}{TMF_BASE.rstrip('/')}",
        tmp_path,
        excluded=(),
        config_lines=HISTORY_AFTER_DELETE,
    )


# The Offer Library and decisioning documents state what the service accepts (patterns, limits, the
# 404 of an id that names nothing): these runs take every default check and Schemathesis' own
# expected statuses, data-acceptance checks and use_after_free included.
def test_offer_library_served_document(served: str, container: str, tmp_path: Path) -> None:
    schemathesis(
        f"{served}/data/core/xcore/openapi.json",
        served,
        tmp_path,
        parameters={"CONTAINER_ID": container},
        accepted=DEFAULT_ACCEPTED,
        excluded=(),
    )


def test_decisioning_served_document(served: str, container: str, tmp_path: Path) -> None:
    schemathesis(
        f"{served}/data/core/ode/openapi.json",
        served,
        tmp_path,
        parameters={"CONTAINER_ID": container},
        accepted=DEFAULT_ACCEPTED,
        excluded=(),
    )
