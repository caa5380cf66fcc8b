"""SQLite bulk load: one transaction (a load killed half way leaves the file as it was)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor, Document
from offer_catalog.documents.query import Cond, Op, Query, body, path_strings
from offer_catalog.store import open_store
from offer_catalog.store.sqlite_bulk import pair_values, path_values

LOADER = textwrap.dedent(
    """
    import sys, time
    from offer_catalog.documents.model import Document
    from offer_catalog.store import open_store

    def docs(first, count, then=None):
        for i in range(first, first + count):
            yield Document("b", "offer", f"o{i:05d}", 1, {"name": f"n{i % 7}", "tag": [{"id": f"t{i % 3}"}]},
                           "2026-01-01T00:00:00.000000Z", "w", None, "2026-01-01T00:00:00.000000Z", "w", None)
        if then:
            print(then, flush=True)
            time.sleep(60)

    store = open_store(sys.argv[1])
    store.migrate()
    store.ensure_member_indexes(["name"])
    store.ensure_path_indexes([("tag", "id")])
    store.bulk_load(docs(0, 50), batch=20)
    print("loaded", flush=True)
    store.bulk_load(docs(50, 3000, then="half way"), batch=100)
    """
)


def _count_rows(path: Path) -> dict[str, object]:
    with sqlite3.connect(path) as conn:
        return {
            "documents": conn.execute("SELECT count(*) FROM documents").fetchone()[0],
            "events": conn.execute("SELECT count(*) FROM events").fetchone()[0],
            "paths": conn.execute("SELECT count(*) FROM document_paths").fetchone()[0],
            "triggers": conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[
                0
            ],
        }


@pytest.mark.slow
def test_a_load_killed_half_way_leaves_the_previous_state(tmp_path: Path) -> None:
    path = tmp_path / "bulk.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", LOADER, f"sqlite:///{path}"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "loaded"
    loaded = _count_rows(path)
    assert proc.stdout.readline().strip() == "half way"  # 3,000 rows written, not committed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert _count_rows(path) == loaded
    assert loaded["documents"] == loaded["events"] == 50
    store = open_store(f"sqlite:///{path}")
    store.ensure_member_indexes(["name"])
    with store.unit_of_work(write=True) as uow:  # the triggers are there: a write is counted
        service.create(uow, scope="b", kind="offer", id="late", body={"name": "n1"}, actor=Actor("w"))
    with store.unit_of_work() as uow:
        everything = service.list_documents(uow, scope="b", query=Query(kinds=("offer",)))
        named = service.list_documents(
            uow, scope="b", query=Query(kinds=("offer",), where=Cond(body("name", scalar=True), Op.EQ, "n1"))
        )
        tagged = service.list_documents(
            uow, scope="b", query=Query(kinds=("offer",), where=Cond(body("tag", "id"), Op.EQ, "t2"))
        )
    store.close()
    assert everything.total == 51
    assert named.total == len(named.items) == 1 + sum(1 for i in range(50) if i % 7 == 1)
    assert tagged.total == len(tagged.items) == sum(1 for i in range(50) if i % 3 == 2)


def test_a_taken_id_refuses_the_whole_load(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    store.migrate()

    def doc(i: int) -> Document:
        return Document("b", "offer", f"o{i}", 1, {"name": "x"}, "t", "w", None, "t", "w", None)

    store.bulk_load([doc(3)])
    with pytest.raises(Exception, match="already exists"):
        store.bulk_load([doc(i) for i in range(10)], batch=4)
    with store.unit_of_work() as uow:
        assert [d.id for d in service.list_documents(uow, scope="b", query=Query()).items] == ["o3"]
        assert len(uow.events_after(0, 100)) == 1
    store.close()


@pytest.mark.parametrize(
    "value",
    [
        {"a": [{"b": "x"}, {"b": ["y", 1, "x"]}, {"b": {"c": "z"}}, ["nested"], "s", {"c": "no"}]},
        {"a": {"b": "one"}},
        {"a": {"b": [{"c": "deep"}, "two"]}},
        {"a": [[{"b": "in a list of lists"}]]},
        {"a": [{"b": [{"c": "d1"}, {"c": ["d2", "d3"]}]}, {"b": {"c": "d4"}}]},
        {"b": "elsewhere"},
        [{"a": {"b": "top is a list"}}],
        "text",
        {"a": None},
    ],
)
@pytest.mark.parametrize("path", [("a",), ("a", "b"), ("a", "b", "c")])
def test_path_values_are_what_a_filter_compares(value: object, path: tuple[str, ...]) -> None:
    assert path_values(value, path) == path_strings(value, path)
    if len(path) == 2 and isinstance(value, dict) and path[0] in value:  # the loader's shortcut
        assert pair_values(value[path[0]], path[1]) == path_strings(value, path)
