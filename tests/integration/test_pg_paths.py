"""PostgreSQL equality filters on any path: served by the GIN jsonb_path_ops index, exact matches."""

from __future__ import annotations

from typing import Any

import pytest

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor
from offer_catalog.documents.query import Cond, Op, Query, body
from offer_catalog.store import Store

pytestmark = pytest.mark.postgres

TRICKY = 'quote " backslash \\ newline \n tab \t unicode é \U0001f600 dollar $v at @ ? (x)'
VALUES: list[Any] = [TRICKY, "plain", 7, 2**60 + 1, 2.5, -3, True, False]


@pytest.fixture
def filled(postgres_store: Store) -> Store:
    with postgres_store.unit_of_work(write=True) as uow:
        for i, value in enumerate(VALUES):
            doc = {"top": value, "nested": {"deep": value}, "prices": [{"id": "x"}, {"id": value}]}
            service.create(uow, scope="p", kind="offer", id=f"d{i}", body=doc, actor=Actor("t"))
        service.create(uow, scope="p", kind="offer", id="other", body={"top": "7"}, actor=Actor("t"))
    return postgres_store


def ids(store: Store, path: tuple[str, ...], value: Any) -> list[str]:
    with store.unit_of_work() as uow:
        page = uow.query("p", Query(kinds=("offer",), where=Cond(body(*path), Op.EQ, value)))
    return sorted(d.id for d in page.items)


@pytest.mark.parametrize("path", [("top",), ("nested", "deep"), ("prices", "id")])
def test_equality_on_any_path_matches_exactly_the_documents_holding_the_value(
    filled: Store, path: tuple[str, ...]
) -> None:
    for i, value in enumerate(VALUES):
        assert ids(filled, path, value) == [f"d{i}"], value
    assert ids(filled, path, "absent") == []
    assert ids(filled, path, 7.0) == ["d2"]  # JSON numbers compare by value, never with strings
    assert ids(filled, ("top",), "7") == ["other"]


def test_equality_on_a_nested_array_member_uses_the_gin_index(filled: Store) -> None:
    with filled.unit_of_work() as uow:
        conn: Any = getattr(uow, "conn")  # noqa: B009 (the PostgreSQL unit's connection)
        compiler = uow._compiler()  # type: ignore[attr-defined]
        predicate = compiler.condition(Cond(body("prices", "id"), Op.EQ, "plain"))
        with conn.transaction():
            # On a table this small a scan is cheaper: the planner is told not to, to see the index fits.
            conn.execute("SET LOCAL enable_seqscan = off")
            sql = f"EXPLAIN SELECT id FROM documents WHERE {predicate}"
            plan = conn.execute(sql, compiler.params).fetchall()
    assert "documents_body_paths" in " ".join(row[0] for row in plan)


def test_a_page_of_path_matches_is_in_id_order_with_offset_and_cursor(postgres_store: Store) -> None:
    with postgres_store.unit_of_work(write=True) as uow:
        for i in range(30):
            doc = {"prices": [{"id": "shared" if i % 3 else "other"}]}
            service.create(
                uow, scope="p", kind="offer", id=f"k{(i * 7) % 30:02d}", body=doc, actor=Actor("t")
            )
    where = Cond(body("prices", "id"), Op.EQ, "shared")
    with postgres_store.unit_of_work() as uow:
        every = [d.id for d in uow.query("p", Query(kinds=("offer",), where=where)).items]
        first = uow.query("p", Query(kinds=("offer",), where=where, limit=5, with_total=True))
        second = uow.query("p", Query(kinds=("offer",), where=where, limit=5, offset=5))
        after = uow.query("p", Query(kinds=("offer",), where=where, limit=5, after=(first.items[-1].id,)))
    assert len(every) == 20
    assert every == sorted(every)
    assert [d.id for d in first.items] == every[:5]
    assert first.total == 20
    assert [d.id for d in second.items] == every[5:10]
    assert [d.id for d in after.items] == every[5:10]
