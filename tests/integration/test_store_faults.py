"""Disk faults under a running service: a full or read-only disk and a removed or replaced database file
are answered 503 `store_unavailable` with /ready 503, never acknowledged and lost; a full disk recovers."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store, open_store
from offer_catalog.tmf620.resources import SCOPE
from support.safety import error_code, snapshot

OFFERINGS = "/tmf-api/productCatalogManagement/v4/productOffering"
pytestmark = pytest.mark.slow


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = f"{' '.join(command)} is not permitted here: {result.stderr.strip()}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of the test's own."""
    mount = tmp_path / "disk"
    mount.mkdir()
    _run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount))
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def ext4(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB ext4 file system on a loop device, remounted read-only on its first error."""
    image, mount = tmp_path / "disk.img", tmp_path / "ext4"
    mount.mkdir()
    with image.open("wb") as file:
        file.truncate(8 << 20)
    _run("mkfs.ext4", "-q", "-F", str(image))
    _run("mount", "-o", "loop,errors=remount-ro", str(image), str(mount))
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _serve(path: Path) -> tuple[Store, TestClient]:
    store = open_store(f"sqlite:///{path}")
    settings = load_settings({"database_url": "sqlite:///unused.db"}, environ={})
    return store, TestClient(create_app(settings, store=store), raise_server_exceptions=False)


def _post(client: TestClient, name: str) -> int:
    return int(client.post(OFFERINGS, json={"name": name}).status_code)


def _refused(client: TestClient, name: str) -> None:
    response = client.post(OFFERINGS, json={"name": name})
    assert response.status_code == 503, response.text
    assert error_code(response) == "store_unavailable"
    assert client.get("/ready").status_code == 503
    assert client.get("/health").status_code == 200


def test_a_full_disk_is_503_until_space_returns(tmpfs: Path) -> None:
    store, app = _serve(tmpfs / "catalog.db")
    with app as client:
        assert all(_post(client, f"offer {i}") == 201 for i in range(3))
        before = snapshot(store, [SCOPE])
        filler = tmpfs / "filler"
        with filler.open("wb") as file:
            try:
                while True:
                    file.write(b"\0" * 65536)
                    file.flush()
            except OSError:
                pass
        _refused(client, "x" * 600_000)  # larger than any space SQLite holds already
        assert snapshot(store, [SCOPE]) == before
        filler.unlink()
        assert client.get("/ready").status_code == 200
        assert _post(client, "after recovery") == 201
        names = {item["name"] for item in client.get(OFFERINGS).json()}
        assert names == {"offer 0", "offer 1", "offer 2", "after recovery"}
    store.close()


def test_a_read_only_disk_is_503(ext4: Path) -> None:
    store, app = _serve(ext4 / "catalog.db")
    with app as client:
        assert _post(client, "before") == 201
        before = snapshot(store, [SCOPE])
        device = Path(os.path.realpath(_source(ext4))).name
        # ext4 remounts itself read-only on an error, even with files open for writing.
        Path(f"/sys/fs/ext4/{device}/trigger_fs_error").write_text("1")
        _refused(client, "while read-only")
        assert snapshot(store, [SCOPE]) == before
    store.close()


def _source(mount: Path) -> str:
    return subprocess.run(
        ["findmnt", "-n", "-o", "SOURCE", str(mount)], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_database_file_removed_or_replaced_is_detected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    path = tmp_path / "catalog.db"
    store, app = _serve(path)
    with app as client:
        assert _post(client, "kept") == 201
        if how == "removed":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            shutil.copyfile(path, tmp_path / "copy.db")
            os.replace(tmp_path / "copy.db", path)
        _refused(client, "would be lost")
        loud = [line for line in capsys.readouterr().err.splitlines() if '"level":"critical"' in line]
        assert loud and how in loud[0], loud
    store.close()
    if how == "replaced":
        reopened, app = _serve(path)
        with app as client:
            assert "would be lost" not in {item["name"] for item in client.get(OFFERINGS).json()}
        reopened.close()
