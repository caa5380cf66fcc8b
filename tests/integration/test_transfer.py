"""`offer-catalog export` / `import` as subprocesses: round trips into an empty database on both stores."""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
from starlette.testclient import TestClient

from offer_catalog.documents.model import Document
from offer_catalog.documents.query import Query
from offer_catalog.offer_library.tenancy import tenant_scope
from offer_catalog.store import Store, open_store
from offer_catalog.store.postgres import PostgresStore
from offer_catalog.store.sqlite import SqliteStore
from offer_catalog.tmf620.resources import STANDARD_BASE
from support.offer_library import (
    ORG,
    SANDBOX,
    Xcore,
    make_container,
    offer_body,
    placement_body,
    rule_body,
    tag_body,
)
from support.server import command


def url_of(store: Store) -> str:
    """The database URL the CLI opens for a test store."""
    if isinstance(store, SqliteStore):
        return f"sqlite:///{store.path}"
    assert isinstance(store, PostgresStore)
    return store.url


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed command."""
    return subprocess.run([*command(), *args], capture_output=True, text=True, timeout=120)


def everything(store: Store, scopes: list[str]) -> dict[tuple[str, str, str], Document]:
    """Every live document of some scopes, by key."""
    out = {}
    with store.unit_of_work() as uow:
        for scope in scopes:
            for doc in uow.query(scope, Query(with_total=False)).items:
                out[(doc.scope, doc.kind, doc.id)] = doc
    return out


def fill(client: TestClient, store: Store) -> list[str]:
    """TMF620 resources of every kind (one edited, one deleted) and an Offer Library container."""
    for path in ("catalog", "category", "productSpecification", "productOfferingPrice", "productOffering"):
        for n in range(3):
            created = client.post(f"{STANDARD_BASE}{path}", json={"id": f"{path}-{n}", "name": f"n{n}"})
            assert created.status_code == 201, created.text
    assert (
        client.patch(f"{STANDARD_BASE}productOffering/productOffering-1", json={"name": "v2"}).status_code
        == 200
    )
    assert client.delete(f"{STANDARD_BASE}catalog/catalog-2").status_code == 204
    container = make_container(store)
    xc = Xcore(client, container)
    placement = xc.make("offer-placement", placement_body())["@id"]
    tag = xc.make("tag", tag_body())["@id"]
    rule = xc.make("eligibility-rule", rule_body())["@id"]
    xc.make("personalized-offer", offer_body(placement, tag, rule))
    return ["tmf620", container]


def test_export_then_import_into_an_empty_database_reproduces_every_document(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    scopes = fill(client, store)
    container = scopes[1]
    before = everything(store, scopes)
    tmf_file, ol_file = tmp_path / "tmf.ndjson", tmp_path / "ol.ndjson"
    exported = cli("export", "--api", "tmf620", "--out", str(tmf_file), "--database-url", url_of(store))
    assert exported.returncode == 0, exported.stderr
    assert "exported 14 documents" in exported.stdout
    args = ("--org", ORG, "--sandbox", SANDBOX, "--container", container)
    exported = cli(
        "export", "--api", "offer-library", *args, "--out", str(ol_file), "--database-url", url_of(store)
    )
    assert exported.returncode == 0, exported.stderr
    lines = [orjson.loads(line) for line in ol_file.read_bytes().splitlines()]
    assert lines[0]["kind"] == "container" and len(lines) == 5
    assert {line["body"]["@id"] for line in lines[1:]} == {
        d.body["@id"] for d in before.values() if d.scope == container
    }

    target = f"sqlite:///{tmp_path / 'empty.db'}"
    for file in (tmf_file, ol_file):
        imported = cli("import", str(file), "--database-url", target)
        assert imported.returncode == 0, imported.stdout + imported.stderr
    copy = open_store(target)
    try:
        scopes_after = [*scopes, tenant_scope(ORG, SANDBOX)]
        after = everything(copy, scopes_after)
    finally:
        copy.close()
    expected = everything(store, scopes_after)
    assert set(after) == set(expected) and len(after) == 19
    for key, doc in expected.items():
        assert after[key] == doc, key
    assert after[("tmf620", "productOffering", "productOffering-1")].version == 2


def test_import_is_idempotent_reports_conflicts_and_dry_runs(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    for n in range(3):
        client.post(f"{STANDARD_BASE}productOffering", json={"id": f"po-{n}", "name": "x"})
    file = tmp_path / "tmf.ndjson"
    assert (
        cli("export", "--api", "tmf620", "--out", str(file), "--database-url", url_of(store)).returncode == 0
    )
    again = cli("import", str(file), "--database-url", url_of(store))
    assert again.returncode == 0 and "created 0, updated 0, unchanged 3, conflicts 0" in again.stdout
    # The database moves on for one offering; an older copy of another is newer in the file.
    client.patch(f"{STANDARD_BASE}productOffering/po-0", json={"name": "newer"})
    client.patch(f"{STANDARD_BASE}productOffering/po-1", json={"name": "edited"})
    lines = [orjson.loads(line) for line in file.read_bytes().splitlines()]
    lines[1] = {**lines[1], "version": 3, "body": {**lines[1]["body"], "name": "from file"}}
    lines.append({"api": "tmf620", "scope": "tmf620", "kind": "nope", "id": "x", "version": 1, "body": {}})
    file.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines) + b"{not json\n")
    with store.unit_of_work() as uow:
        untouched = uow.fetch("tmf620", "productOffering", "po-0")
    dry = cli("import", str(file), "--dry-run", "--database-url", url_of(store))
    assert dry.returncode == 1
    assert "would be created 0, would be updated 1, unchanged 1, conflicts 3" in dry.stdout
    assert "line 1: version_conflict" in dry.stdout
    assert "line 4: invalid_line:kind" in dry.stdout and "line 5: invalid_json" in dry.stdout
    with store.unit_of_work() as uow:
        assert uow.fetch("tmf620", "productOffering", "po-1").body["name"] == "edited"
    real = cli("import", str(file), "--database-url", url_of(store))
    assert real.returncode == 1 and "updated 1, unchanged 1, conflicts 3" in real.stdout
    with store.unit_of_work() as uow:
        assert uow.fetch("tmf620", "productOffering", "po-0") == untouched
        updated = uow.fetch("tmf620", "productOffering", "po-1")
    assert updated is not None and updated.version == 3 and updated.body["name"] == "from file"


def test_export_refuses_bad_arguments(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "x.ndjson")
    assert cli("export", "--api", "tmf999", "--out", out, "--database-url", url_of(store)).returncode == 2
    assert (
        cli("export", "--api", "offer-library", "--out", out, "--database-url", url_of(store)).returncode == 2
    )
    unknown = cli(
        "export",
        "--api",
        "offer-library",
        "--org",
        ORG,
        "--sandbox",
        SANDBOX,
        "--container",
        "nope",
        "--out",
        out,
        "--database-url",
        url_of(store),
    )
    assert unknown.returncode == 1 and "not_found" in unknown.stderr
    assert cli("import", str(tmp_path / "missing.ndjson"), "--database-url", url_of(store)).returncode == 2
