"""`offer-catalog backup` amid a stream of writes, then `restore`: every write acknowledged before is kept."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from support.server import OFFERINGS, command, keep_writing, running_server

pytestmark = pytest.mark.slow


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), *map(str, args)], capture_output=True, text=True, timeout=120, env=os.environ
    )


def test_backup_while_writing_then_restore(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    copy = tmp_path / "backup.db"
    acknowledged: list[str] = []
    stop = threading.Event()

    with running_server(f"sqlite:///{live}") as (base, _):
        thread = threading.Thread(
            target=keep_writing, args=(base, "b", acknowledged, stop), kwargs={"timeout": 10}
        )
        thread.start()
        try:
            deadline = time.monotonic() + 60
            while len(acknowledged) < 50 and time.monotonic() < deadline:
                time.sleep(0.01)
            before = list(acknowledged)
            made = cli("backup", copy, "--database-url", f"sqlite:///{live}")
            after = len(acknowledged)
        finally:
            stop.set()
            thread.join(timeout=30)
        assert made.returncode == 0, made.stderr
        assert len(before) >= 50 and after > len(before), "the writes did not go on during the backup"

        # A second backup to the same file is refused unless forced.
        again = cli("backup", copy, "--database-url", f"sqlite:///{live}")
        assert again.returncode == 1 and "already_exists" in again.stderr

        # Restoring over the live database is refused without --force, and leaves it as it was.
        live_before = httpx.get(base + OFFERINGS, params={"limit": 1000}).json()
        refused = cli("restore", copy, "--database-url", f"sqlite:///{live}")
        assert refused.returncode == 1 and "--force" in refused.stderr
        assert httpx.get(base + OFFERINGS, params={"limit": 1000}).json() == live_before

    restored = tmp_path / "restored.db"
    done = cli("restore", copy, "--database-url", f"sqlite:///{restored}")
    assert done.returncode == 0, done.stderr
    count = int(done.stdout.split()[1])
    assert len(before) <= count <= after
    with running_server(f"sqlite:///{restored}") as (base, _), httpx.Client(base_url=base) as http:
        missing = [oid for oid in before if http.get(f"{OFFERINGS}/{oid}").status_code != 200]
        listed = http.get(OFFERINGS, params={"limit": 1000, "fields": "id"}).json()
    assert missing == []
    assert len(listed) == count

    # --force puts the backup over an existing database.
    other = tmp_path / "other.db"
    assert cli("migrate", "--database-url", f"sqlite:///{other}").returncode == 0
    forced = cli("restore", copy, "--database-url", f"sqlite:///{other}", "--force")
    assert forced.returncode == 0, forced.stderr
    assert f"restored {count} documents" in forced.stdout


def test_restore_rejects_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    target = tmp_path / "target.db"
    result = cli("restore", junk, "--database-url", f"sqlite:///{target}")
    assert result.returncode == 1 and "validation" in result.stderr
    assert not target.exists()


def test_backup_of_postgres_points_to_pg_dump(tmp_path: Path) -> None:
    result = cli("backup", tmp_path / "x.db", "--database-url", "postgresql://postgres@127.0.0.1:9/x")
    assert result.returncode == 1 and "pg_dump" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_backup_of_a_missing_database_fails(tmp_path: Path) -> None:
    result = cli("backup", tmp_path / "x.db", "--database-url", f"sqlite:///{tmp_path / 'none.db'}")
    assert result.returncode == 1 and not (tmp_path / "x.db").exists()
