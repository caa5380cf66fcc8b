"""Helpers for the safety suites: a byte-level snapshot of everything a store holds."""

from __future__ import annotations

from typing import Any

import orjson

from offer_catalog.documents.query import Query
from offer_catalog.store import Store


def snapshot(store: Store, scopes: list[str]) -> list[tuple[Any, ...]]:
    """Every current row (tombstones too) of the scopes, with its body as bytes, and the outbox."""
    rows: list[tuple[Any, ...]] = []
    with store.unit_of_work() as uow:
        for scope in scopes:
            page = uow.query(scope, Query(include_deleted=True, with_total=False))
            rows.extend(
                (d.scope, d.kind, d.id, d.version, d.deleted, d.modified_at, orjson.dumps(d.body))
                for d in page.items
            )
        rows.extend(("event", e.seq, e.scope, e.id, e.version) for e in uow.events_after(0, 1_000_000))
    return rows


def error_code(response: Any) -> str:
    """The machine-readable code of an error response of either dialect."""
    body = response.json()
    code = body.get("code")
    assert isinstance(code, str) and code, body
    return code
