"""A save keeps every column of the documents row right, whether the write changes the body only or
also the liveness or the body's "@id" (SQLite updates only the columns a usual write changes)."""

from __future__ import annotations

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor
from offer_catalog.documents.query import Cond, Op, Query, meta
from offer_catalog.store import Store

ACTOR = Actor("u", client="c")


def _by_at_id(store: Store, at_id: str, *, deleted: bool = False) -> list[tuple[str, int]]:
    query = Query(kinds=("offer",), where=Cond(meta("at_id"), Op.EQ, at_id), include_deleted=deleted)
    with store.unit_of_work() as uow:
        return [(d.id, d.version) for d in service.list_documents(uow, scope="s", query=query).items]


def test_updates_keep_liveness_creation_and_at_id_in_step_with_the_body(store: Store) -> None:
    with store.unit_of_work(write=True) as uow:
        created = service.create(uow, scope="s", kind="offer", id="o", body={"@id": "a", "n": 0}, actor=ACTOR)
        service.create(uow, scope="s", kind="offer", id="p", body={"@id": "a"}, actor=ACTOR)
    steps = [
        {"@id": "a", "n": 1},  # the body alone changes
        {"@id": "b", "n": 2},  # a new @id
        {"n": 3},  # no @id any more
        {"@id": "a", "n": 4},  # @id back
    ]
    for step in steps:
        with store.unit_of_work(write=True) as uow:
            doc = service.patch(uow, scope="s", kind="offer", id="o", change=lambda b, s=step: s, actor=ACTOR)
        holders = {at_id: _by_at_id(store, at_id) for at_id in ("a", "b")}
        assert (("o", doc.version) in holders["a"]) is (step.get("@id") == "a")
        assert (("o", doc.version) in holders["b"]) is (step.get("@id") == "b")
        assert ("p", 1) in holders["a"]
    with store.unit_of_work(write=True) as uow:
        gone = service.delete(uow, scope="s", kind="offer", id="o", actor=ACTOR)
    assert _by_at_id(store, "a") == [("p", 1)]
    assert ("o", gone.version) in _by_at_id(store, "a", deleted=True)
    with store.unit_of_work() as uow:
        versions = service.history(uow, scope="s", kind="offer", id="o")
        live = service.list_documents(uow, scope="s", query=Query(kinds=("offer",)))
    assert [v.body for v in versions] == [{"@id": "a", "n": 0}, *steps, steps[-1]]
    assert [v.deleted for v in versions] == [False] * (len(steps) + 1) + [True]
    assert {(v.created_at, v.created_by, v.created_by_client) for v in versions} == {
        (created.created_at, "u", "c")
    }
    assert [d.id for d in live.items] == ["p"]
