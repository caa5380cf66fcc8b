"""SQLite backups: consistent copies of a live database with SQLite's online backup API, and restores."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from offer_catalog.errors import AlreadyExists, SettingsError, ValidationFailed


def sqlite_path(database_url: str) -> Path:
    """The file a sqlite:/// URL names; PostgreSQL is backed up with pg_dump (docs/operations.md)."""
    if not database_url.startswith("sqlite:///"):
        raise SettingsError(
            "backup and restore work on the SQLite store; back up PostgreSQL with pg_dump and put it "
            "back with pg_restore (see docs/operations.md)",
            details={"setting": "database_url"},
        )
    return Path(database_url.removeprefix("sqlite:///"))


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    # pages=-1 copies the whole database in one step under one read transaction: the copy is the
    # database as of one commit, while writers of the live database go on (WAL mode).
    source.backup(target, pages=-1)


def backup(database: Path, target: Path, *, force: bool = False) -> int:
    """Copy a (possibly running) database to target; return the number of stored documents copied."""
    if not database.is_file():
        raise ValidationFailed(f"no database at {database}", details={"path": str(database)})
    if target.exists() and not force:
        raise AlreadyExists(f"{target} exists: pass --force to replace it", details={"path": str(target)})
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            _copy(source, copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            count = _count(copy)
        finally:
            copy.close()
    finally:
        source.close()
    os.replace(partial, target)
    return count


def restore(backup_file: Path, database: Path, *, force: bool = False) -> int:
    """Put a backup in place of database (an existing one only with force); return its document count."""
    if not backup_file.is_file():
        raise ValidationFailed(f"no backup at {backup_file}", details={"path": str(backup_file)})
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        count = _check_backup(source, backup_file)
        if database.exists() and database.stat().st_size > 0 and not force:
            raise AlreadyExists(
                f"{database} exists and may be in use: pass --force to overwrite it with the backup",
                details={"path": str(database)},
            )
        database.parent.mkdir(parents=True, exist_ok=True)
        # Through the backup API, not a file copy: a server still running on the database sees the
        # restored content at its next transaction instead of reading a file swapped underneath it.
        target = sqlite3.connect(database, timeout=30)
        try:
            _copy(source, target)
        finally:
            target.close()
    finally:
        source.close()
    return count


def _check_backup(conn: sqlite3.Connection, path: Path) -> int:
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()
        conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
    except sqlite3.DatabaseError as exc:
        raise ValidationFailed(
            f"{path} is not an offer-catalog backup ({exc})", details={"path": str(path)}
        ) from None
    if ok is None or ok[0] != "ok":
        raise ValidationFailed(f"{path} is damaged: {ok}", details={"path": str(path)})
    return _count(conn)


def _count(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM documents").fetchone()
    return int(row[0])
