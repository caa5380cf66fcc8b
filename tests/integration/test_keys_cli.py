"""`offer-catalog keys` and the secure-by-default `serve`, as an operator runs them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from support.server import command, running_server

OFFERINGS = "/tmf-api/productCatalogManagement/v4/productOffering"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), *args], capture_output=True, text=True, timeout=60, env=dict(os.environ)
    )


def test_create_list_revoke(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    url = f"sqlite:///{db}"
    created = run(
        "keys",
        "create",
        "--name",
        "ci",
        "--scopes",
        "catalog:read,decisions",
        "--org",
        "ACME",
        "--database-url",
        url,
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("oc_") and len(secret) > 50
    stored = " ".join(str(row) for row in sqlite3.connect(db).execute("SELECT body FROM documents"))
    assert secret not in stored and secret.split("_")[1] in run("keys", "list", "--database-url", url).stdout
    listed = run("keys", "list", "--database-url", url).stdout.strip().split("\t")
    assert listed[1:5] == ["ci", "catalog:read,decisions", "ACME", "*"] and listed[-1] == "-"
    revoked = run("keys", "revoke", listed[0], "--database-url", url)
    assert revoked.returncode == 0, revoked.stderr
    assert run("keys", "list", "--database-url", url).stdout.strip().split("\t")[-1] != "-"
    assert secret not in run("keys", "list", "--database-url", url).stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--scopes", "catalog:read,root", "--org", "ACME"), "invalid_value:scopes"),
        (("--scopes", "catalog:read", "--org", " "), "invalid_value:org"),
    ],
)
def test_create_refuses_bad_input(tmp_path: Path, args: tuple[str, ...], code: str) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    result = run("keys", "create", "--name", "x", *args, "--database-url", url)
    assert result.returncode == 1 and code in result.stderr
    assert run("keys", "list", "--database-url", url).stdout == ""


def test_revoking_an_unknown_key_fails(tmp_path: Path) -> None:
    result = run("keys", "revoke", "0123456789abcdef", "--database-url", f"sqlite:///{tmp_path / 'c.db'}")
    assert result.returncode == 1 and "not_found" in result.stderr


@pytest.mark.slow
def test_a_key_works_until_revoked_on_a_running_server(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    created = run(
        "keys", "create", "--name", "ci", "--scopes", "catalog:read", "--org", "ACME", "--database-url", url
    )
    secret = created.stdout.strip().splitlines()[-1]
    key_id = secret.split("_")[1]
    with running_server(url) as (base, _):
        assert httpx.get(base + "/health").status_code == 200
        missing = httpx.get(base + OFFERINGS)
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
        assert httpx.get(base + OFFERINGS, headers={"x-api-key": secret}).status_code == 200
        assert httpx.get(base + OFFERINGS, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        denied = httpx.post(base + OFFERINGS, headers={"x-api-key": secret}, json={"name": "x"})
        assert denied.status_code == 403
        assert run("keys", "revoke", key_id, "--database-url", url).returncode == 0
        deadline = time.monotonic() + 30
        status = 200
        while status == 200 and time.monotonic() < deadline:
            status = httpx.get(base + OFFERINGS, headers={"x-api-key": secret}).status_code
            time.sleep(0.2)
        assert status == 401


def test_serve_refuses_a_public_address_without_authentication(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    result = run("serve", "--host", "0.0.0.0", "--port", "1", "--database-url", url)
    assert result.returncode == 1
    assert "unprotected_address" in result.stderr and "--insecure" in result.stderr
