"""SQLite counts kept by update triggers: an update that leaves a counted member alike skips them, so
the counts per value (member_counts) and per bucket (key_fences) must stay exact whatever changes."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor
from offer_catalog.store import open_store, sqlite_fences
from offer_catalog.store.sqlite import SqliteStore
from offer_catalog.store.sqlite_counts import member_count_triggers
from offer_catalog.store.sqlite_fences import fence_triggers, member_changed, trigger_name

ACTOR = Actor("u")
MEMBERS = ("name", "stamp")

# Values a counted member goes through: alike, changed, retyped with the same SQL value or the same
# JSON text ("1" and 1, "{\"a\": 1}" and {"a": 1}), missing, null.
VALUES: list[Any] = ["a", "a", "b", "1", 1, '{"a":1}', {"a": 1}, ["x"], None, "", "b", True, 2.5, "b"]


def _store(path: Path) -> SqliteStore:
    store = open_store(f"sqlite:///{path}")
    assert isinstance(store, SqliteStore)
    store.migrate()
    store.ensure_member_indexes(list(MEMBERS))
    return store


def _recounted(conn: sqlite3.Connection) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]]]:
    """(counts per value, counts per bucket) of the live documents, counted one by one."""
    values: Counter[tuple[Any, ...]] = Counter()
    fences = conn.execute("SELECT scope, kind, member, fence FROM key_fences ORDER BY 1, 2, 3, 4").fetchall()
    buckets: Counter[tuple[Any, ...]] = Counter()
    for scope, kind, id, text in conn.execute(
        "SELECT scope, kind, id, body FROM documents WHERE deleted = 0"
    ):
        values[(scope, kind, "", "")] += 1
        keys = {"": id}
        for member in MEMBERS:
            kind_of, value = conn.execute(
                "SELECT json_type(?1, ?2), json_extract(?1, ?2)", (text, f'$."{member}"')
            ).fetchone()
            if kind_of == "text":
                values[(scope, kind, member, value)] += 1
            if isinstance(value, str):  # buckets hold the index's text keys (an object's JSON text too)
                keys[member] = value
        for member, key in keys.items():
            starts = [f for s, k, m, f in fences if (s, k, m) == (scope, kind, member) and f <= key]
            buckets[(scope, kind, member, max(starts, default=""))] += 1
    return values, buckets


def _check_counts(store: SqliteStore) -> None:
    with sqlite3.connect(store.path) as conn:
        values, buckets = _recounted(conn)
        kept = Counter({tuple(r[:4]): r[4] for r in conn.execute("SELECT * FROM member_counts") if r[4]})
        fenced = Counter({tuple(r[:4]): r[4] for r in conn.execute("SELECT * FROM key_fences") if r[4]})
    assert kept == values
    assert fenced == buckets


def test_counts_stay_exact_through_updates_that_keep_change_or_retype_a_member(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_fences, "FENCE_SIZE", 2)
    store = _store(tmp_path / "u.db")
    with store.unit_of_work(write=True) as uow:
        for i in range(6):
            service.create(uow, scope="s", kind="offer", id=f"o{i}", body={"name": "a", "x": 0}, actor=ACTOR)
        sqlite_fences.split_fences(uow.conn)  # type: ignore[attr-defined]
    _check_counts(store)
    for step in range(len(VALUES)):
        with store.unit_of_work(write=True) as uow:
            for i in range(6):
                # Document i lags i steps behind: documents hold different values at each step.
                new = VALUES[max(0, step - i)]
                change = {"x": step} if i % 2 else {"x": step, "stamp": new}
                service.patch(
                    uow,
                    scope="s",
                    kind="offer",
                    id=f"o{i}",
                    change=lambda b, new=new, change=change: {**b, "name": new, **change},
                    actor=ACTOR,
                )
        _check_counts(store)
    with store.unit_of_work(write=True) as uow:
        service.delete(uow, scope="s", kind="offer", id="o1", actor=ACTOR)
        service.patch(uow, scope="s", kind="offer", id="o2", change=lambda b: {**b, "x": -1}, actor=ACTOR)
    _check_counts(store)
    # A tombstone brought back to life with its body alike, and one whose body changes as well.
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE documents SET deleted = 0 WHERE id = 'o1'")
        conn.execute("UPDATE documents SET deleted = 1 WHERE id = 'o3'")
        conn.execute(
            "UPDATE documents SET deleted = 1 - deleted, body = ? WHERE id IN ('o3', 'o4')",
            (orjson.dumps({"name": "z", "stamp": "2025"}).decode(),),
        )
    _check_counts(store)
    store.close()


def _update_triggers(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name GLOB 'documents_*_u'"
        ).fetchall()
    return dict(rows)


def test_update_triggers_of_an_older_release_are_replaced_and_counts_kept(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = _store(path)
    with store.unit_of_work(write=True) as uow:
        for i in range(4):
            service.create(uow, scope="s", kind="offer", id=f"o{i}", body={"name": f"n{i % 2}"}, actor=ACTOR)
    store.close()
    current = _update_triggers(path)
    # The update triggers as an older release wrote them: run on every update.
    with sqlite3.connect(path) as conn:
        for member in MEMBERS:
            for statements in (member_count_triggers(member), fence_triggers(member)):
                update = next(s for s in statements if " AFTER UPDATE " in s)
                name = update.split()[2]
                conn.execute(f'DROP TRIGGER "{name}"')
                conn.execute(update.replace(f"WHEN {member_changed(member)} ", ""))
    assert all("WHEN" not in sql for name, sql in _update_triggers(path).items() if "_live_" not in name)

    store = _store(path)
    assert _update_triggers(path) == current
    with store.unit_of_work(write=True) as uow:
        service.patch(uow, scope="s", kind="offer", id="o0", change=lambda b: {"name": "n1"}, actor=ACTOR)
        service.patch(
            uow, scope="s", kind="offer", id="o1", change=lambda b: {"name": "n1", "y": 1}, actor=ACTOR
        )
    _check_counts(store)
    store.close()
    # Declaring the members again changes nothing.
    store = _store(path)
    assert _update_triggers(path) == current
    assert f"{trigger_name('name')}_u" in current
    store.close()
