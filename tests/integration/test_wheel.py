"""The built wheel, installed into a fresh virtual environment outside the source tree, runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from support.server import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def sh(*args: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a command; fail the test with its output when it does not succeed."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with only the wheel (and its declared dependencies) installed; returns its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    # Build from a copy holding only what the sdist would: nothing beside it can leak into the wheel.
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", work / "dist", source, cwd=work)
    wheels = list((work / "dist").glob("offer_catalog-*.whl"))
    assert len(wheels) == 1
    sh(sys.executable, "-m", "venv", work / "venv", cwd=work)
    bin_dir = work / "venv" / "bin"
    sh(bin_dir / "pip", "install", "--quiet", "--disable-pip-version-check", wheels[0], cwd=work)
    return bin_dir


def test_the_installed_package_is_the_wheel_not_the_source(installed: Path) -> None:
    where = sh(
        installed / "python", "-c", "import offer_catalog; print(offer_catalog.__file__)", cwd=installed
    )
    assert str(installed.parent) in where.stdout and str(ROOT) not in where.stdout


def test_the_pql_grammar_ships(installed: Path) -> None:
    code = "from offer_catalog.decisioning.pql import compile_rule; print(compile_rule('1 + 2 = 3').text)"
    assert sh(installed / "python", "-c", code, cwd=installed).stdout.strip() == "1 + 2 = 3"


def test_version(installed: Path) -> None:
    result = sh(installed / "offer-catalog", "--version", cwd=installed)
    assert result.stdout.strip().startswith("offer-catalog ")
    assert result.stdout.split()[1][0].isdigit()


def test_migrate_and_serve_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    migrated = sh(installed / "offer-catalog", "migrate", "--database-url", url, cwd=tmp_path)
    assert "applied migrations: 1" in migrated.stdout
    port = free_port()
    proc = subprocess.Popen(
        [installed / "offer-catalog", "serve", "--port", str(port), "--database-url", url],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        ready = httpx.get(base + "/ready", timeout=5)
        assert ready.status_code == 200 and ready.json() == {"status": "ready", "store": "sqlite"}
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stderr:
            proc.stderr.close()
