"""An import (the stores' bulk path, several groups) leaves the same documents, rows and query answers
as writing the same documents one by one; a group refused whole leaves the store as it was."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec
import orjson
import psycopg
import pytest

from offer_catalog.app import MEMBER_INDEXES, PATH_INDEXES
from offer_catalog.documents.model import CREATED, UPDATED, Document
from offer_catalog.documents.query import AllOf, Cond, Op, Query, SortKey, body, meta
from offer_catalog.events import transfer
from offer_catalog.store import Store
from offer_catalog.store.postgres import PostgresStore
from offer_catalog.store.sqlite import SqliteStore

KIND = "productOffering"
BULK, ONE_BY_ONE = "org-bulk", "org-one"
STATES = ("In study", "Active", "Launched", "Retired")


def offering(i: int) -> dict[str, Any]:
    """Offering i: declared members, nested and array paths, some members missing or not strings."""
    out: dict[str, Any] = {
        "name": f"Offering {i % 9}",
        "lifecycleStatus": STATES[i % 4],
        "@type": "ProductOffering" if i % 3 else "BundledOffering",
        "category": [{"id": f"cat-{i % 5}"}, {"id": "cat-all"}],
        "productSpecification": {"id": f"ps-{i % 4}", "name": "spec"},
        "channel": [{"id": "web"}] if i % 2 else [],
        "description": "x" * (i % 7),
    }
    if i % 6:
        out["lastUpdate"] = f"2025-0{1 + i % 9}-{10 + i % 17}T00:00:00Z"
    if i % 11 == 0:
        out["name"] = {"not": "a string"}
    if i % 13 == 0:
        out["marketSegment"] = [{"id": f"seg-{i % 2}"}, {"id": f"seg-{i % 2}"}]
    return out


def document(i: int, scope: str) -> Document:
    stamp = f"2026-01-01T00:00:{i % 60:02d}.000000Z"
    return Document(scope, KIND, f"po-{i:03d}", 1 + i % 3, offering(i), stamp, "u", "c", stamp, "u", None)


def line(doc: Document) -> bytes:
    fields = {"api": "tmf620", "scope": "tmf620", "kind": doc.kind, "id": doc.id, "version": doc.version}
    fields |= {"created_at": doc.created_at, "created_by": doc.created_by}
    fields |= {"created_by_client": doc.created_by_client, "modified_at": doc.modified_at}
    fields |= {"modified_by": doc.modified_by, "modified_by_client": doc.modified_by_client, "body": doc.body}
    return orjson.dumps(fields)


QUERIES = {
    "all": Query(kinds=(KIND,)),
    "status": Query(kinds=(KIND,), where=Cond(body("lifecycleStatus", scalar=True), Op.EQ, "Active")),
    "status in": Query(
        kinds=(KIND,), where=Cond(body("lifecycleStatus", scalar=True), Op.IN, ("Launched", "Retired"))
    ),
    "name": Query(kinds=(KIND,), where=Cond(body("name", scalar=True), Op.EQ, "Offering 4")),
    "type": Query(kinds=(KIND,), where=Cond(body("@type", scalar=True), Op.EQ, "BundledOffering")),
    "last update range": Query(
        kinds=(KIND,),
        where=AllOf(
            (
                Cond(body("lastUpdate", scalar=True), Op.GE, "2025-03-01"),
                Cond(body("lastUpdate", scalar=True), Op.LT, "2025-07-01"),
            )
        ),
    ),
    "category": Query(kinds=(KIND,), where=Cond(body("category", "id"), Op.EQ, "cat-3")),
    "category all": Query(kinds=(KIND,), where=Cond(body("category", "id"), Op.EQ, "cat-all")),
    "specification": Query(kinds=(KIND,), where=Cond(body("productSpecification", "id"), Op.EQ, "ps-2")),
    "segment": Query(kinds=(KIND,), where=Cond(body("marketSegment", "id"), Op.EQ, "seg-1")),
    "channel exists": Query(kinds=(KIND,), where=Cond(body("channel", "id"), Op.EXISTS, None)),
    "sort by lastUpdate": Query(
        kinds=(KIND,), sort=(SortKey(body("lastUpdate"), descending=True),), limit=20
    ),
    "sort by name, page 2": Query(kinds=(KIND,), sort=(SortKey(body("name")),), offset=15, limit=10),
    "deep page": Query(kinds=(KIND,), sort=(SortKey(meta("id")),), offset=40, limit=7),
    "count only": Query(kinds=(KIND,), where=Cond(body("category", "id"), Op.EQ, "cat-1"), limit=0),
}


def answers(store: Store, scope: str) -> dict[str, tuple[list[tuple[Any, ...]], int | None]]:
    """Each query's page (everything but the scope) and total."""
    out = {}
    with store.unit_of_work() as uow:
        for name, query in QUERIES.items():
            page = uow.query(scope, query)
            out[name] = ([(*_fields(d),) for d in page.items], page.total)
    return out


def _fields(doc: Document) -> tuple[Any, ...]:
    return (doc.kind, doc.id, doc.version, doc.deleted, doc.body, doc.created_at, doc.created_by,
            doc.created_by_client, doc.modified_at, doc.modified_by, doc.modified_by_client)  # fmt: skip


# Rows a scope owns, by table (the scope column left out): documents, history, outbox, side tables.
SQLITE_TABLES = {
    "documents": "SELECT kind, id, version, deleted, created_at, created_by, created_by_client, modified_at, "
    "modified_by, modified_by_client, body FROM documents WHERE scope = ?",
    "history": "SELECT kind, id, version, modified_at FROM document_versions WHERE scope = ?",
    "events": "SELECT kind, id, version, change, occurred_at FROM events WHERE scope = ? ORDER BY seq",
    "paths": "SELECT kind, path, value, id FROM document_paths WHERE scope = ?",
    "member counts": "SELECT kind, member, value, n FROM member_counts WHERE scope = ? AND n <> 0",
    "fences": "SELECT kind, member, fence, n FROM key_fences WHERE scope = ? AND n <> 0",
}
POSTGRES_TABLES = {
    "documents": "SELECT kind, id, version, deleted, created_at, created_by, created_by_client, modified_at, "
    "modified_by, modified_by_client, body::text, at_id FROM documents WHERE scope = %s",
    "history": "SELECT kind, id, version, modified_at FROM document_versions WHERE scope = %s",
    # In the order of the groups' commits: an import's groups load side by side on PostgreSQL.
    "events": "SELECT kind, id, version, change, occurred_at FROM events WHERE scope = %s",
    # Counts kept for every write (document counts and buckets), not the counts a load's end adds
    # for values it wrote many times (a cache the first list would otherwise fill).
    "counts": "SELECT kind, key, value, sum(n) FROM document_counts WHERE scope = %s "
    "AND (key IN ('', '#') OR key LIKE '<%%') GROUP BY 1, 2, 3 HAVING sum(n) <> 0",
}


def rows(store: Store, scope: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the scope in the tables above, sorted (events in outbox order)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    if isinstance(store, SqliteStore):
        with sqlite3.connect(store.path) as conn:
            for name, sql in SQLITE_TABLES.items():
                found = conn.execute(sql, (scope,)).fetchall()
                out[name] = found if "ORDER BY" in sql else sorted(found, key=repr)
        return out
    assert isinstance(store, PostgresStore)
    with psycopg.connect(store.url) as conn:
        for name, sql in POSTGRES_TABLES.items():
            found = conn.execute(sql, (scope,)).fetchall()
            out[name] = found if "ORDER BY" in sql else sorted(found, key=repr)
    return out


@pytest.fixture
def prepared(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The store with the service's indexes; imports in groups of 3 batches of 4 lines."""
    store.ensure_member_indexes(MEMBER_INDEXES)
    store.ensure_path_indexes(PATH_INDEXES)
    monkeypatch.setattr(transfer, "BATCH", 4)
    monkeypatch.setattr(transfer, "GROUP", 3)
    return store


def test_an_import_leaves_what_writes_one_by_one_leave(prepared: Store) -> None:
    store, count = prepared, 61
    for i in range(count):
        with store.unit_of_work(write=True) as uow:
            uow.save(document(i, ONE_BY_ONE), expected_version=None, change=CREATED)
    report = transfer.import_lines(store, [line(document(i, "tmf620")) for i in range(count)], scope=BULK)
    assert (report.created, report.updated, report.unchanged, report.problems) == (count, 0, 0, [])
    expected, imported = answers(store, ONE_BY_ONE), answers(store, BULK)
    assert expected["all"][1] == count and expected["category all"][1] == count
    assert expected["status"][1] and expected["category"][1] and expected["segment"][1]
    for name in QUERIES:
        assert imported[name] == expected[name], name
    expected_rows, imported_rows = rows(store, ONE_BY_ONE), rows(store, BULK)
    assert len(expected_rows["documents"]) == len(expected_rows["events"]) == count
    for name, found in expected_rows.items():
        assert imported_rows[name] == found, name


def test_a_group_with_a_taken_id_is_applied_line_by_line_as_writes_in_order_would(prepared: Store) -> None:
    store = prepared
    lines = [document(i, "tmf620") for i in range(30)]
    old = lines[17]
    lines[17] = Document("tmf620", KIND, old.id, old.version + 1, {"name": "newer"}, *_audit(old))
    for scope in (BULK, ONE_BY_ONE):  # the file's document 17 is there already, one version older
        with store.unit_of_work(write=True) as uow:
            uow.save(msgspec.structs.replace(old, scope=scope), expected_version=None, change=CREATED)
    for doc in lines:
        with store.unit_of_work(write=True) as uow:
            current = uow.fetch(ONE_BY_ONE, KIND, doc.id)
            expected = None if current is None else current.version
            change = CREATED if current is None else UPDATED
            uow.save(msgspec.structs.replace(doc, scope=ONE_BY_ONE), expected_version=expected, change=change)
    report = transfer.import_lines(store, [line(doc) for doc in lines], scope=BULK)
    assert (report.created, report.updated, report.unchanged, report.problems) == (29, 1, 0, [])
    assert answers(store, BULK) == answers(store, ONE_BY_ONE)
    expected_rows, imported_rows = rows(store, ONE_BY_ONE), rows(store, BULK)
    assert len(expected_rows["history"]) == 1 and len(expected_rows["events"]) == 31
    for name, found in expected_rows.items():
        assert imported_rows[name] == found, name


def _audit(doc: Document) -> tuple[Any, ...]:
    return (doc.created_at, doc.created_by, doc.created_by_client, doc.modified_at, doc.modified_by, None)


def test_a_refused_bulk_group_leaves_the_store_unchanged(prepared: Store) -> None:
    store = prepared
    taken = document(5, BULK)
    with store.unit_of_work(write=True) as uow:
        uow.save(taken, expected_version=None, change=CREATED)
    before = rows(store, BULK)
    with store.bulk_loader() as loader:
        docs = [document(i, BULK) for i in range(12)]
        with pytest.raises(Exception, match="already exists"):
            loader.load(docs, batch=len(docs))
    assert rows(store, BULK) == before
    assert answers(store, BULK)["all"][1] == 1


def test_a_document_named_again_by_a_later_group_is_written_after_the_earlier_line(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Groups of one batch of 2 lines: on PostgreSQL they load side by side unless one waits.
    monkeypatch.setattr(transfer, "BATCH", 2)
    monkeypatch.setattr(transfer, "GROUP", 1)
    first, other = document(1, "tmf620"), document(2, "tmf620")
    second = msgspec.structs.replace(first, version=first.version + 1, body={"name": "second"})
    docs = [first, other, second, document(3, "tmf620"), document(4, "tmf620"), document(5, "tmf620")]
    report = transfer.import_lines(store, [line(doc) for doc in docs], scope=BULK)
    assert (report.created, report.updated, report.unchanged, report.problems) == (5, 1, 0, [])
    with store.unit_of_work() as uow:
        current = uow.fetch(BULK, KIND, first.id)
    assert current is not None and (current.version, current.body) == (second.version, {"name": "second"})
    assert [row[2] for row in rows(store, BULK)["history"]] == [first.version]
