"""Bulk load on SQLite: new documents inserted with their counts computed in the loader.

The count and fence triggers run once per row and member, parsing the body each time; for a load
the loader drops their insert triggers inside its own transaction, inserts the rows, adds the
counts it computed from the bodies it already holds (the same rows the triggers would have
written), and creates the triggers again before the transaction ends. Other connections never see
the file without them: SQLite has one writer, and schema changes are part of the transaction.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from offer_catalog.documents.model import Document
from offer_catalog.store.rows import at_id_of, document_params, dump_body
from offer_catalog.store.sqlite_fences import FenceTally, add_fence_rows
from offer_catalog.store.sqlite_paths import INSERT_DOC, INSERT_EVENT, Path, count_paths

_INSERT_PATH = "INSERT OR IGNORE INTO document_paths (scope, kind, path, value, id) VALUES (?, ?, ?, ?, ?)"
# The insert triggers the loader stands in for: counts per value, and counts per bucket.
_BYPASSED = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'documents' "
    "AND (name GLOB 'documents_count_*_i' OR name GLOB 'documents_fence_*_i')"
)
_COUNT = (
    "INSERT INTO member_counts (scope, kind, member, value, n) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (scope, kind, member, value) DO UPDATE SET n = n + excluded.n"
)


class BulkInsert:
    """Inserts batches of new documents, their path values, outbox events and counts, in the
    caller's transaction (history holds past versions only: none yet). Use as a context manager:
    the counting insert triggers are dropped on entry and created again on a clean exit (on an
    error, the caller's rollback brings them back)."""

    def __init__(self, conn: sqlite3.Connection, paths: Collection[Path], change: str):
        self.conn = conn
        self.paths = [(".".join(p), p) for p in sorted(paths)]
        self.change = change
        self.triggers: list[tuple[str, str]] = []
        self.members: list[tuple[str, str]] = []  # (family, member) of each dropped trigger

    def __enter__(self) -> BulkInsert:
        self.triggers = self.conn.execute(_BYPASSED).fetchall()
        for name, _ in self.triggers:
            self.conn.execute(f'DROP TRIGGER "{name}"')
            family, target = name.removesuffix("_i").split("_", 2)[1:]
            self.members.append((family, "" if target == "live" else bytes.fromhex(target).decode()))
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is None:
            for _, sql in self.triggers:
                self.conn.execute(sql)

    def prepare(self, docs: Sequence[Document]) -> Prepared:
        """Everything a batch writes, computed without the connection (any thread)."""
        live = [d for d in docs if not d.deleted]
        change = self.change
        prepared = Prepared(
            docs=[(*document_params(d, dump_body(d.body)), at_id_of(d.body)) for d in docs],
            # In key order: the index pages fill one after the other instead of at random.
            paths=sorted(self._path_rows(live)) if self.paths else [],
            events=[(d.scope, d.kind, d.id, d.version, change, d.modified_at) for d in docs],
            first=docs[0].id if docs else "",
        )
        groups: dict[tuple[str, str], list[Document]] = defaultdict(list)
        for doc in live:
            groups[(doc.scope, doc.kind)].append(doc)
        for (scope, kind), batch in groups.items():
            values: dict[str, list[Any]] = {}
            for family, member in self.members:
                if member == "":
                    if family == "count":
                        prepared.counts[(scope, kind, "", "")] += len(batch)
                    else:
                        prepared.keys.append((scope, kind, "", [doc.id for doc in batch]))
                    continue
                if member not in values:
                    values[member] = [d.body.get(member) if type(d.body) is dict else None for d in batch]
                found = values[member]
                if family == "count":
                    prepared.counts.update((scope, kind, member, v) for v in found if type(v) is str)
                    continue
                prepared.keys.append((scope, kind, member, [v for v in found if type(v) is str]))
                # An object or an array extracts as JSON text: SQLite's own rendering places it.
                nested = [d.id for d, v in zip(batch, found, strict=True) if isinstance(v, dict | list)]
                if nested:
                    prepared.nested.append((scope, kind, member, nested))
        return prepared

    def write(self, prepared: Prepared) -> None:
        """Insert a prepared batch; sqlite3.IntegrityError when an id is taken."""
        conn = self.conn
        conn.executemany(INSERT_DOC, prepared.docs)
        conn.executemany(_INSERT_PATH, prepared.paths)
        count_paths(conn, Counter(row[:4] for row in prepared.paths), probe=2)
        conn.executemany(INSERT_EVENT, prepared.events)
        # What the dropped insert triggers would have written for the batch's live documents.
        conn.executemany(_COUNT, [(*key, n) for key, n in prepared.counts.items()])
        tally = FenceTally(conn)
        for scope, kind, member, keys in prepared.keys:
            tally.add(scope, kind, member, keys)
        tally.write()
        for scope, kind, member, ids in prepared.nested:
            add_fence_rows(conn, scope, kind, member, ids)

    def _path_rows(self, live: list[Document]) -> list[tuple[str, str, str, str, str]]:
        rows: list[tuple[str, str, str, str, str]] = []
        for doc in live:
            body = doc.body
            if type(body) is not dict:
                continue
            scope, kind, id = doc.scope, doc.kind, doc.id
            for name, path in self.paths:
                if path[0] not in body:
                    continue
                found = pair_values(body[path[0]], path[1]) if len(path) == 2 else path_values(body, path)
                if found:
                    rows.extend([(scope, kind, name, value, id) for value in found])
        return rows


@dataclass
class Prepared:
    """A batch's rows: documents, path values, outbox events, counts per value and keys per bucket."""

    docs: list[tuple[Any, ...]]
    paths: list[tuple[str, str, str, str, str]]
    events: list[tuple[Any, ...]]
    first: str  # the batch's first id (named when an id is taken)
    counts: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    keys: list[tuple[str, str, str, list[str]]] = field(default_factory=list)
    nested: list[tuple[str, str, str, list[str]]] = field(default_factory=list)


def pair_values(value: Any, last: str) -> set[str]:
    """path_values of a path of two steps, given the value at the first (the common case: a
    reference's id, alone or in an array)."""
    found: set[str] = set()
    for item in value if type(value) is list else (value,):
        if type(item) is dict and last in item:
            leaf = item[last]
            if type(leaf) is str:
                found.add(leaf)
            elif type(leaf) is list:
                found.update(e for e in leaf if type(e) is str)
    return found


def path_values(body: Any, path: Path) -> set[str]:
    """documents.query.path_strings, level by level instead of recursively (the loader's hot loop):
    the string values a filter on `path` compares with."""
    level = [body]
    for step in path[:-1]:
        below = []
        for value in level:
            if type(value) is dict and step in value:
                inner = value[step]
                if type(inner) is list:
                    below.extend(inner)
                else:
                    below.append(inner)
        level = below
    last = path[-1]
    found: set[str] = set()
    for value in level:
        if type(value) is dict and last in value:
            leaf = value[last]
            if type(leaf) is list:
                found.update(e for e in leaf if type(e) is str)
            elif type(leaf) is str:
                found.add(leaf)
    return found
