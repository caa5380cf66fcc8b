"""Filters on declared nested / array paths after writes that touch an indexed member or leave it
alike (SQLite keeps the rows of a path whose member a write leaves alike and rewrites the others)."""

from __future__ import annotations

import sqlite3
from typing import Any

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor
from offer_catalog.documents.query import Cond, Op, Query, body, path_strings
from offer_catalog.store import Store
from offer_catalog.store.sqlite import SqliteStore

ACTOR = Actor("t")
PATHS = [("price", "id"), ("category", "id"), ("info", "code")]
VALUES = ["a", "b", "c", "d"]

START: dict[str, Any] = {
    "price": [{"id": "a"}, {"id": "b"}],
    "category": [{"id": "a"}],
    "info": {"code": "c"},
    "note": "x",
}
# Each write gives the whole body of document o1 (o0 and o2 stay as they were).
STEPS: list[dict[str, Any]] = [
    {**START, "note": "y"},  # no indexed member touched
    {**START, "price": [{"id": "a"}, {"id": "c"}]},  # one path's member changed
    {**START, "price": [{"id": "a"}, {"id": "c"}], "category": [{"id": "a"}, {"id": "d"}]},
    {"price": {"id": "b"}, "category": [{"id": "a"}, {"id": "d"}], "info": "c"},  # an object, a string
    {"category": [{"id": "a"}, {"id": "d"}], "note": 1},  # members removed
    {"category": [{"id": True}, {"id": 1}], "price": [{"id": 1}], "info": {"code": True}},  # not strings
    {"category": [{"id": 1}, {"id": True}], "price": [{"id": True}], "info": {"code": 1}},  # alike for ==
    dict(START),
]


def _matches(store: Store, path: tuple[str, ...], value: str) -> list[str]:
    with store.unit_of_work() as uow:
        page = uow.query("s", Query(kinds=("offer",), where=Cond(body(*path), Op.EQ, value)))
    return sorted(d.id for d in page.items)


def _check(store: Store, bodies: dict[str, Any]) -> None:
    for path in PATHS:
        for value in VALUES:
            expected = sorted(
                id for id, b in bodies.items() if b is not None and value in path_strings(b, path)
            )
            assert _matches(store, path, value) == expected, (path, value)
    if isinstance(store, SqliteStore):
        with sqlite3.connect(store.path) as conn:
            rows = set(conn.execute("SELECT path, value, id FROM document_paths WHERE scope = 's'"))
        assert rows == {
            (".".join(p), v, id)
            for id, b in bodies.items()
            if b is not None
            for p in PATHS
            for v in path_strings(b, p)
        }


def test_path_filters_follow_writes_that_touch_or_leave_indexed_members(store: Store) -> None:
    store.ensure_path_indexes(PATHS)
    bodies: dict[str, Any] = {f"o{i}": dict(START) for i in range(3)}
    with store.unit_of_work(write=True) as uow:
        for id, b in bodies.items():
            service.create(uow, scope="s", kind="offer", id=id, body=b, actor=ACTOR)
    _check(store, bodies)
    for step in STEPS:
        with store.unit_of_work(write=True) as uow:
            service.replace_body(uow, body=step, scope="s", kind="offer", id="o1", actor=ACTOR)
        bodies["o1"] = step
        _check(store, bodies)
    with store.unit_of_work(write=True) as uow:
        service.delete(uow, scope="s", kind="offer", id="o2", actor=ACTOR)
        service.patch(uow, scope="s", kind="offer", id="o0", change=lambda b: {**b, "note": "z"}, actor=ACTOR)
    bodies["o2"] = None
    _check(store, bodies)
