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


def deep_json(depth: int) -> str:
    """A JSON object nested `depth` levels deep."""
    return '{"a":' * depth + "1" + "}" * depth


# Filter values that no store can hold: the code each is refused with, on every API.
BAD_VALUES = [
    ("18446744073709551616", "number_out_of_range"),
    ("-9223372036854775809", "number_out_of_range"),
    ("1e400", "number_out_of_range"),
    ('"a\\u0000b"', "invalid_character"),
    ('{"a\\u0000": 1}', "invalid_character"),
    (deep_json(300), "json_too_deep"),
]
