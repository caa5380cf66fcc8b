"""Compact history on a real SQLite file: past versions as deltas, keyframes, migration 0012."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import msgspec
import orjson
import pytest

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor, Document
from offer_catalog.store import open_store
from offer_catalog.store import sqlite as sqlite_module
from offer_catalog.store.rows import document_params
from offer_catalog.store.sqlite import SqliteStore
from offer_catalog.store.sqlite_history import KEYFRAME

ACTOR = Actor("historian")


def _body(n: int) -> dict[str, object]:
    # About 700 bytes that compress poorly alone and stay the same from one version to the next.
    return {"name": f"offer {n}", "text": "".join(f"{k * 7919 % 10007:05d}" for k in range(140)), "n": n}


def _write_versions(store: SqliteStore, count: int) -> list[Document]:
    """Version 1, then count - 1 small changes, a delete and a revival among them; every version."""
    with store.unit_of_work(write=True) as uow:
        docs = [service.create(uow, scope="h", kind="offer", id="d", body=_body(1), actor=ACTOR)]
    for n in range(2, count + 1):
        with store.unit_of_work(write=True) as uow:
            if n == 10:
                docs.append(service.delete(uow, scope="h", kind="offer", id="d", actor=ACTOR))
            elif n == 11:
                docs.append(service.create(uow, scope="h", kind="offer", id="d", body=_body(n), actor=ACTOR))
            else:
                change = lambda b, n=n: {**b, "n": n, "name": f"offer {n}"}  # noqa: E731
                docs.append(service.patch(uow, scope="h", kind="offer", id="d", change=change, actor=ACTOR))
    return docs


def _stored(path: str) -> list[tuple[int, object]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT version, body FROM document_versions ORDER BY version").fetchall()


def test_every_version_reads_back_and_past_versions_are_deltas(sqlite_store: SqliteStore) -> None:
    docs = _write_versions(sqlite_store, 2 * KEYFRAME + 5)
    assert [d.version for d in docs] == list(range(1, 2 * KEYFRAME + 6))
    with sqlite_store.unit_of_work() as uow:
        assert uow.fetch_history("h", "offer", "d") == docs
        for doc in docs:
            assert uow.fetch_version("h", "offer", "d", doc.version) == doc
        assert uow.fetch_version("h", "offer", "d", len(docs) + 1) is None
        assert uow.fetch_version("h", "offer", "d", 0) is None
    stored = _stored(sqlite_store.path)
    assert [v for v, _ in stored] == [d.version for d in docs[:-1]]  # past versions only
    alone = len(zlib.compress(orjson.dumps(_body(1)), 1))
    for version, packed in stored:
        assert type(packed) is bytes
        needs_dictionary = packed[1] & 0x20 != 0
        assert needs_dictionary == (version % KEYFRAME != 0)
        if needs_dictionary and version not in (9, 10):  # a small change next to a tombstone is not small
            assert len(packed) < alone / 4


def test_a_version_is_never_decoded_against_another_body(sqlite_store: SqliteStore) -> None:
    _write_versions(sqlite_store, 3)
    with sqlite3.connect(sqlite_store.path) as conn:  # the current body changed behind history's back
        conn.execute("UPDATE documents SET body = '{\"other\":1}' WHERE id = 'd'")
    with sqlite_store.unit_of_work() as uow, pytest.raises(zlib.error):
        uow.fetch_version("h", "offer", "d", 2)


def test_migration_0012_packs_history_written_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "old.db")
    store = open_store(f"sqlite:///{path}")
    every = sqlite_module.migration_scripts
    with monkeypatch.context() as before:  # a file of the schema before 0012
        before.setattr(sqlite_module, "migration_scripts", lambda d: [m for m in every(d) if m[0] < 12])
        store.migrate()
    docs = _write_versions(store, 4)
    # As a file written before 0012: every version as JSON text, the current one included.
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM document_versions")
        conn.executemany(
            "INSERT INTO document_versions (scope, kind, id, version, deleted, created_at, created_by, "
            "created_by_client, modified_at, modified_by, modified_by_client, body) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [document_params(d, orjson.dumps(d.body).decode()) for d in docs],
        )
    store.close()
    store = open_store(f"sqlite:///{path}")
    with store.unit_of_work() as uow:
        assert uow.fetch_history("h", "offer", "d") == docs  # readable before the migration too
    with monkeypatch.context() as upto:  # 0012 alone (the migrations after it are tested on their own)
        upto.setattr(sqlite_module, "migration_scripts", lambda d: [m for m in every(d) if m[0] <= 12])
        assert store.migrate() == [12]
    stored = _stored(path)
    assert [v for v, _ in stored] == [1, 2, 3]
    assert all(type(b) is bytes and b[1] & 0x20 == 0 for _, b in stored)  # packed alone
    with sqlite3.connect(path) as conn:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'document_versions'").fetchone()[0]
    assert "WITHOUT ROWID" in sql
    with store.unit_of_work(write=True) as uow:
        change = lambda b: {**b, "n": 5}  # noqa: E731
        docs.append(service.patch(uow, scope="h", kind="offer", id="d", change=change, actor=ACTOR))
    with store.unit_of_work() as uow:
        assert uow.fetch_history("h", "offer", "d") == docs
        assert [uow.fetch_version("h", "offer", "d", d.version) for d in docs] == docs
    store.close()


def test_versions_skipped_by_an_import_still_read_back(sqlite_store: SqliteStore) -> None:
    # An import may write a document at a version several past its current one: a past version's
    # delta base is then further than the keyframe distance.
    with sqlite_store.unit_of_work(write=True) as uow:
        docs = [service.create(uow, scope="h", kind="offer", id="d", body=_body(1), actor=ACTOR)]
    for version in (2, 3 + 2 * KEYFRAME + 1):
        later = msgspec.structs.replace(docs[-1], version=version, body=_body(version))
        with sqlite_store.unit_of_work(write=True) as uow:
            uow.save(later, expected_version=docs[-1].version, change="updated")
        docs.append(later)
    assert [v for v, _ in _stored(sqlite_store.path)] == [1, 2]
    with sqlite_store.unit_of_work() as uow:
        assert uow.fetch_history("h", "offer", "d") == docs
        assert [uow.fetch_version("h", "offer", "d", d.version) for d in docs] == docs
        assert uow.fetch_version("h", "offer", "d", 3) is None
