"""List queries on both stores against a brute-force reference, on generated data."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor, Document
from offer_catalog.documents.query import AllOf, AnyOf, Cond, Op, Query, SortKey, body, meta
from offer_catalog.errors import InvalidQuery
from offer_catalog.store import Store
from support import reference_query

WORDS = st.sampled_from(["apple", "banana", "cherry", "date", "elder", "fig"])
MAYBE = st.none()


def _doc_bodies() -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        "name": WORDS,
        "n": st.integers(-5, 5),
        "price": st.floats(-10, 10, allow_nan=False).map(lambda f: round(f, 2)),
        "flag": st.booleans(),
        "tags": st.lists(WORDS, max_size=3),
        "nested": st.fixed_dictionaries(
            {},
            optional={
                "x": st.integers(0, 3),
                "items": st.lists(
                    st.fixed_dictionaries({"id": st.sampled_from(["1", "2", "3"]), "v": st.integers(0, 3)}),
                    max_size=3,
                ),
            },
        ),
        "note": st.none(),
    }
    return st.fixed_dictionaries({}, optional=fields)


PATHS: dict[tuple[str, ...], st.SearchStrategy[Any]] = {
    ("name",): WORDS,
    ("n",): st.integers(-5, 5),
    ("price",): st.floats(-10, 10, allow_nan=False).map(lambda f: round(f, 2)),
    ("flag",): st.booleans(),
    ("tags",): WORDS,
    ("nested", "x"): st.integers(0, 3),
    ("nested", "items", "id"): st.sampled_from(["1", "2", "3"]),
    ("nested", "items", "v"): st.integers(0, 3),
}


@st.composite
def conditions(draw: st.DrawFn, depth: int = 0) -> Any:
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        items = tuple(draw(st.lists(conditions(depth + 1), min_size=1, max_size=3)))
        return draw(st.sampled_from([AllOf, AnyOf]))(items)
    path = draw(st.sampled_from(sorted(PATHS)))
    op = draw(st.sampled_from(list(Op)))
    if op in (Op.EXISTS, Op.NOT_EXISTS):
        return Cond(body(*path), op)
    if op is Op.IN:
        return Cond(body(*path), op, draw(st.lists(PATHS[path], min_size=1, max_size=3)))
    if op is Op.REGEX:
        return Cond(
            body(*path), op, draw(st.sampled_from(["^a", "an", "E", "^(fig|date)$"])), draw(st.booleans())
        )
    value = draw(PATHS[path])
    ignore_case = op is Op.EQ and isinstance(value, str) and draw(st.booleans())
    # "name" is always a string when present: the scalar promise holds, so the direct path is exact.
    scalar = path == ("name",) and draw(st.booleans())
    return Cond(body(*path, scalar=scalar), op, value.upper() if ignore_case else value, ignore_case)


SORTABLE = [body("name"), body("n"), body("nested", "x"), meta("version")]


@st.composite
def queries(draw: st.DrawFn) -> Query:
    where = draw(st.none() | conditions())
    keys = draw(st.lists(st.sampled_from(SORTABLE), max_size=2, unique=True))
    sort = tuple(SortKey(k, draw(st.booleans())) for k in keys)
    return Query(
        where=where,
        sort=sort,
        offset=draw(st.integers(0, 5)),
        limit=draw(st.none() | st.integers(1, 10)),
        kinds=draw(st.sampled_from([(), ("offer",), ("offer", "price")])),
    )


def load(store: Store, bodies: list[dict[str, Any]]) -> tuple[str, list[Document]]:
    scope = uuid.uuid4().hex
    docs = []
    with store.unit_of_work(write=True) as uow:
        for i, b in enumerate(bodies):
            kind = "price" if i % 4 == 3 else "offer"
            docs.append(
                service.create(
                    uow, scope=scope, kind=kind, body=b, actor=Actor("u"), id=f"{i:03d}{uuid.uuid4().hex[:6]}"
                )
            )
        if docs:
            gone = service.delete(uow, scope=scope, kind=docs[0].kind, id=docs[0].id, actor=Actor("u"))
            docs[0] = gone
    return scope, docs


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=st.lists(_doc_bodies(), min_size=5, max_size=30), query=queries())
def test_query_matches_reference(store: Store, bodies: list[dict[str, Any]], query: Query) -> None:
    store.ensure_member_indexes(["name"])
    scope, docs = load(store, bodies)
    with store.unit_of_work() as uow:
        page = service.list_documents(uow, scope=scope, query=query)
    expected, total = reference_query.run(docs, query)
    assert [d.id for d in page.items] == [d.id for d in expected]
    assert page.total == total


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=st.lists(_doc_bodies(), max_size=25), query=queries(), size=st.integers(1, 4))
def test_keyset_pages_walk_the_whole_result(
    store: Store, bodies: list[dict[str, Any]], query: Query, size: int
) -> None:
    scope, docs = load(store, bodies)
    base = Query(where=query.where, sort=query.sort, limit=size)
    seen: list[str] = []
    after = None
    with store.unit_of_work() as uow:
        for _ in range(40):
            page = service.list_documents(
                uow, scope=scope, query=Query(where=base.where, sort=base.sort, limit=size, after=after)
            )
            seen.extend(d.id for d in page.items)
            if len(page.items) < size:
                break
            last = page.items[-1]
            after = (
                *(reference_query.sort_key_value(last, k.field) for k in base.sort),
                last.id,
            )
    expected, _ = reference_query.run(docs, Query(where=base.where, sort=base.sort))
    assert seen == [d.id for d in expected]


def test_include_deleted_and_invalid_queries(store: Store) -> None:
    scope, _ = load(store, [{"name": "apple"}, {"name": "fig"}])
    with store.unit_of_work() as uow:
        everything = service.list_documents(uow, scope=scope, query=Query(include_deleted=True))
        assert len(everything.items) == 2
        with pytest.raises(InvalidQuery):
            service.list_documents(uow, scope=scope, query=Query(where=Cond(body("name"), Op.REGEX, "(")))
        with pytest.raises(InvalidQuery):
            service.list_documents(uow, scope=scope, query=Query(where=Cond(body("name"), Op.IN, [])))
        with pytest.raises(InvalidQuery):
            service.list_documents(uow, scope=scope, query=Query(where=Cond(body('na"me'), Op.EQ, "x")))
        with pytest.raises(InvalidQuery):  # more values than the sort keys and the id
            service.list_documents(
                uow, scope=scope, query=Query(sort=(SortKey(body("n")),), after=("x", "y", "z"))
            )
        # Fewer values than the sort keys and the id: strictly after those values.
        prefix = Query(sort=(SortKey(body("name")),), after=("apple",))
        assert [d.body["name"] for d in service.list_documents(uow, scope=scope, query=prefix).items] == [
            "fig"
        ]
        without_total = service.list_documents(uow, scope=scope, query=Query(with_total=False))
        assert without_total.total is None


def test_meta_field_filters(store: Store) -> None:
    scope, docs = load(store, [{"name": "apple"}, {"name": "fig"}, {"name": "date"}])
    with store.unit_of_work() as uow:
        by_id = service.list_documents(
            uow, scope=scope, query=Query(where=Cond(meta("id"), Op.EQ, docs[1].id))
        )
        since = service.list_documents(
            uow, scope=scope, query=Query(where=Cond(meta("modified_at"), Op.GE, docs[2].modified_at))
        )
        regex = service.list_documents(
            uow, scope=scope, query=Query(where=Cond(meta("id"), Op.REGEX, "^00[12]"))
        )
        case = service.list_documents(
            uow, scope=scope, query=Query(where=Cond(meta("created_by"), Op.EQ, "U", ignore_case=True))
        )
        has = service.list_documents(uow, scope=scope, query=Query(where=Cond(meta("created_by"), Op.EXISTS)))
    assert [d.id for d in by_id.items] == [docs[1].id]
    assert [d.id for d in since.items] == [docs[2].id]
    assert [d.id for d in regex.items] == [docs[1].id, docs[2].id]
    assert case.total == 2 and has.total == 2


def test_at_id_is_an_indexed_meta_field(store: Store) -> None:
    scope, docs = load(store, [{"@id": "xcore:a:1"}, {"@id": "xcore:a:2"}, {"@id": 3}, {}])
    with store.unit_of_work(write=True) as uow:
        service.patch(
            uow,
            scope=scope,
            kind=docs[1].kind,
            id=docs[1].id,
            change=lambda b: {"@id": "xcore:a:9"},
            actor=Actor("u"),
        )
    with store.unit_of_work() as uow:
        found = service.list_documents(
            uow, scope=scope, query=Query(where=Cond(meta("at_id"), Op.IN, ["xcore:a:9", "xcore:a:2", "3"]))
        )
        present = service.list_documents(uow, scope=scope, query=Query(where=Cond(meta("at_id"), Op.EXISTS)))
    assert [d.id for d in found.items] == [docs[1].id]
    assert [d.id for d in present.items] == [docs[1].id]


# Indexed nested and array paths (SQLite: the document_paths table) must answer exactly as the scan.
INDEXED_PATHS = [("tags",), ("nested", "items", "id"), ("name",), ("nested", "x")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=st.lists(_doc_bodies(), min_size=5, max_size=30), query=queries())
def test_indexed_paths_answer_as_the_scan(store: Store, bodies: list[dict[str, Any]], query: Query) -> None:
    store.ensure_member_indexes(["name"])
    store.ensure_path_indexes(INDEXED_PATHS)
    scope, docs = load(store, bodies)
    with store.unit_of_work(write=True) as uow:
        # A changed document's old values leave the index: it matches by its new values only.
        changed = next((d for d in docs if not d.deleted), None)
        if changed is not None:
            new = service.patch(
                uow,
                scope=scope,
                kind=changed.kind,
                id=changed.id,
                change=lambda b: {**b, "tags": ["fig"], "nested": {"items": [{"id": "3", "v": 1}]}},
                actor=Actor("u"),
            )
            docs = [new if d.id == changed.id else d for d in docs]
    with store.unit_of_work() as uow:
        page = service.list_documents(uow, scope=scope, query=query)
    expected, total = reference_query.run(docs, query)
    assert [d.id for d in page.items] == [d.id for d in expected]
    assert page.total == total


def test_a_deep_page_is_the_page_of_the_full_order(store: Store) -> None:
    store.ensure_member_indexes(["name"])
    scope = f"deep-{uuid.uuid4().hex[:8]}"
    with store.unit_of_work(write=True) as uow:
        for i in range(1300):
            service.create(
                uow,
                scope=scope,
                kind="offer",
                id=f"d{i:05d}",
                body={"name": f"n{i % 97:03d}"},
                actor=Actor("u"),
            )
        service.delete(uow, scope=scope, kind="offer", id="d00003", actor=Actor("u"))
    for sort in ((), (SortKey(body("name"), True),)):
        with store.unit_of_work() as uow:
            everything = service.list_documents(uow, scope=scope, query=Query(kinds=("offer",), sort=sort))
            deep = service.list_documents(
                uow, scope=scope, query=Query(kinds=("offer",), sort=sort, offset=1150, limit=40)
            )
        assert len(everything.items) == 1299
        assert [d.id for d in deep.items] == [d.id for d in everything.items[1150:1190]]
        assert deep.total == 1299


def test_indexed_paths_find_every_element(store: Store) -> None:
    store.ensure_path_indexes(INDEXED_PATHS)
    bodies: list[dict[str, Any]] = [
        {"tags": ["apple", "fig"], "nested": {"items": [{"id": "1"}, {"id": "2"}]}},
        {"tags": "fig", "nested": {"items": {"id": "2"}}},
        {"tags": ["apple"], "nested": [{"items": [{"id": "3"}, {"id": "2", "v": 1}]}]},
        {"tags": {"fig": "fig"}, "nested": {"items": [{"id": 2}]}},
    ]
    scope, docs = load(store, bodies)
    for path, value in ((("tags",), "fig"), (("nested", "items", "id"), "2")):
        query = Query(kinds=("offer",), where=Cond(body(*path), Op.EQ, value))
        with store.unit_of_work() as uow:
            page = service.list_documents(uow, scope=scope, query=query)
        expected, total = reference_query.run(docs, query)
        assert [d.id for d in page.items] == [d.id for d in expected]
        assert page.total == total >= 1


def test_totals_follow_changes_and_deletions(store: Store) -> None:
    store.ensure_member_indexes(["name"])
    scope, docs = load(store, [{"name": w} for w in ["apple", "apple", "fig", "apple", "fig", "date"]])
    with store.unit_of_work(write=True) as uow:
        live = [d for d in docs if not d.deleted and d.kind == "offer"]
        changed = service.patch(
            uow, scope=scope, kind="offer", id=live[0].id, change=lambda b: {"name": "fig"}, actor=Actor("u")
        )
        gone = service.delete(uow, scope=scope, kind="offer", id=live[1].id, actor=Actor("u"))
        revived = service.create(
            uow, scope=scope, kind="offer", id=live[1].id, body={"name": "date"}, actor=Actor("u")
        )
        dropped = service.delete(uow, scope=scope, kind="offer", id=live[2].id, actor=Actor("u"))
    latest = {d.id: d for d in [*docs, changed, gone, revived, dropped]}
    for where in (
        None,
        Cond(body("name", scalar=True), Op.EQ, "apple"),
        Cond(body("name", scalar=True), Op.EQ, "fig"),
        AnyOf(
            (Cond(body("name", scalar=True), Op.EQ, "date"), Cond(body("name", scalar=True), Op.EQ, "fig"))
        ),
    ):
        query = Query(kinds=("offer",), where=where, limit=0)
        with store.unit_of_work() as uow:
            page = service.list_documents(uow, scope=scope, query=query)
        assert page.total == reference_query.run(list(latest.values()), query)[1]
