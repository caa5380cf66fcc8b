"""PostgreSQL bulk load through COPY: documents reproduced exactly, with history, events and change number."""

from __future__ import annotations

from typing import Any

import pytest

from offer_catalog.documents.model import Document
from offer_catalog.errors import AlreadyExists
from offer_catalog.store import Store

pytestmark = pytest.mark.postgres


def doc(i: int, scope: str = "s", **extra: Any) -> Document:
    body = {
        "name": f"Offre n°{i} — \u00e9t\u00e9 \U0001f600",
        "text": 'tab\there, newline\nhere, backslash \\ and quote " and NUL-free \u2028',
        "nested": {"list": [1, 2.5, None, True, {"k": [f"v{i}"]}], "empty": {}},
        "big": 2**53 + i,
    }
    if i % 3 == 0:
        body["@id"] = f"xcore:offer:{i}"
    return Document(
        scope=scope,
        kind="offer",
        id=f"id-{i}",
        version=1 + i % 4,
        body=body,
        created_at=f"2026-01-01T00:00:{i % 60:02d}.000Z",
        created_by=None if i % 2 else "alice",
        created_by_client="cli" if i % 5 else None,
        modified_at=f"2026-02-01T00:00:{i % 60:02d}.000Z",
        modified_by="bob",
        modified_by_client=None,
        deleted=i % 7 == 6,
        **extra,
    )


def test_bulk_load_reproduces_documents_history_events_and_change_number(postgres_store: Store) -> None:
    docs = [doc(i) for i in range(250)] + [doc(i, scope="t") for i in range(5)]
    written = postgres_store.bulk_load(docs, batch=100)  # type: ignore[attr-defined]
    assert written == 255
    with postgres_store.unit_of_work() as uow:
        for d in docs:
            assert uow.fetch(d.scope, d.kind, d.id) == d
            assert uow.fetch_history(d.scope, d.kind, d.id) == [d]
        events = uow.events_after(0, 1000)
        # One event per document; within a batch in the order given (batches may load side by side).
        assert sorted((e.scope, e.id, e.version, e.change) for e in events) == sorted(
            (d.scope, d.id, d.version, "created") for d in docs
        )
        position = {(e.scope, e.id): e.seq for e in events}
        for start in range(0, len(docs), 100):
            seqs = [position[(d.scope, d.id)] for d in docs[start : start + 100]]
            assert seqs == sorted(seqs)
        assert uow.last_event_seq("s") == 250
        assert uow.last_event_seq("t") == 5
        # The JSON-LD id is indexed as for any write: references resolve to bulk-loaded documents.
        assert uow.conn.execute(  # type: ignore[attr-defined]
            "SELECT count(*) FROM documents WHERE at_id IS NOT NULL"
        ).fetchone() == (84 + 2,)


def test_a_batch_with_a_taken_id_writes_nothing(postgres_store: Store) -> None:
    postgres_store.bulk_load([doc(1)], batch=10)  # type: ignore[attr-defined]
    with pytest.raises(AlreadyExists):
        postgres_store.bulk_load([doc(2), doc(3), doc(1)], batch=10)  # type: ignore[attr-defined]
    with postgres_store.unit_of_work() as uow:
        assert uow.fetch("s", "offer", "id-2") is None
        assert len(uow.events_after(0, 100)) == 1
        assert uow.last_event_seq("s") == 1
    # The session's connection is usable again and a later batch loads.
    assert postgres_store.bulk_load([doc(2), doc(3)], batch=10) == 2  # type: ignore[attr-defined]
