"""Catalog files in and out: NDJSON export of TMF620 resources or Offer Library containers, and import.

One document per line: api, scope, kind, id, version, audit fields, body. Import creates or updates by
id and reproduces the current version number (history before it is not carried); each document is
applied whole or not at all, and every line that cannot be applied is reported with a code.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson

from offer_catalog.documents.model import CREATED, UPDATED, Document
from offer_catalog.documents.query import Condition, Query
from offer_catalog.errors import DomainError, NotFound
from offer_catalog.events.tmf620 import is_tmf620_scope
from offer_catalog.offer_library.containers import CONTAINER, list_containers
from offer_catalog.offer_library.tenancy import tenant_scope
from offer_catalog.resources.offer_library import BY_NAME
from offer_catalog.store.base import BulkLoader, Store, UnitOfWork
from offer_catalog.tmf620.resources import RESOURCES, SCOPE

TMF620, OFFER_LIBRARY = "tmf620", "offer-library"
APIS = (TMF620, OFFER_LIBRARY)
AUDIT = ("created_at", "created_by", "created_by_client", "modified_at", "modified_by", "modified_by_client")
_AUDIT_OPTIONAL = tuple((name, not name.endswith("_at")) for name in AUDIT)  # stamps are required
PAGE = 1000
BATCH = 500
"""Lines planned and written in one unit of work when the bulk path refuses them (an id taken)."""
GROUP = 10
"""Batches offered to the store's bulk path at once: one transaction (one commit, one fsync) each."""
CREATE, UPDATE, UNCHANGED, CONFLICT = "created", "updated", "unchanged", "conflict"


def _line(api: str, doc: Document) -> dict[str, Any]:
    out: dict[str, Any] = {"api": api, "scope": doc.scope, "kind": doc.kind, "id": doc.id}
    out["version"] = doc.version
    for name in AUDIT:
        out[name] = getattr(doc, name)
    out["body"] = doc.body
    return out


def _scan(store: Store, scope: str, kind: str, where: Condition | None = None) -> Iterator[Document]:
    after: tuple[Any, ...] | None = None
    while True:
        with store.unit_of_work() as uow:
            query = Query(kinds=(kind,), where=where, limit=PAGE, after=after, with_total=False)
            items = uow.query(scope, query).items
        yield from items
        if len(items) < PAGE:
            return
        after = (items[-1].id,)


def export_plan(
    store: Store, *, api: str, org: str = "", sandbox: str = "", container: str | None = None
) -> list[tuple[str, str]]:
    """The (scope, kind) pairs an export reads, in order; NotFound for an unknown container."""
    if api == TMF620:
        return [(SCOPE, resource.kind) for resource in RESOURCES.values()]
    scope = tenant_scope(org, sandbox)
    with store.unit_of_work() as uow:
        containers = [c.id for c in list_containers(uow, org=org, sandbox=sandbox)]
    if container is not None:
        if container not in containers:
            raise NotFound(f"container {container!r} not found", details={"containerId": container})
        containers = [container]
    plan: list[tuple[str, str]] = []
    for id in containers:
        plan.append((scope, f"{CONTAINER}:{id}"))
        plan.extend((id, kind) for kind in BY_NAME)
    return plan


def count(store: Store, plan: list[tuple[str, str]]) -> int:
    """How many live documents an export plan covers (for a progress total)."""
    total = 0
    with store.unit_of_work() as uow:
        for scope, kind in plan:
            if kind.startswith(f"{CONTAINER}:"):
                total += 1
                continue
            total += int(uow.query(scope, Query(kinds=(kind,), limit=0, with_total=True)).total or 0)
    return total


def export_lines(
    store: Store,
    *,
    api: str,
    plan: list[tuple[str, str]],
    where: Mapping[str, Condition | None] | None = None,
) -> Iterator[bytes]:
    """The NDJSON lines (each ending in a newline) of every live document in the plan.

    where: a condition per kind (an export job's TMF630 query); documents that fail it are left out.
    """
    for scope, kind in plan:
        if kind.startswith(f"{CONTAINER}:"):
            with store.unit_of_work() as uow:
                doc = uow.fetch(scope, CONTAINER, kind.split(":", 1)[1])
            docs: Iterable[Document] = [] if doc is None or doc.deleted else [doc]
        else:
            docs = _scan(store, scope, kind, None if where is None else where.get(kind))
        for doc in docs:
            yield orjson.dumps(_line(api, doc)) + b"\n"


@dataclass
class Report:
    """What an import did (or would do, on a dry run), with the lines it could not apply."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        """Add one applied line's outcome."""
        if outcome == CREATE:
            self.created += 1
        elif outcome == UPDATE:
            self.updated += 1
        else:
            self.unchanged += 1


class LineError(DomainError):
    """A line of an import file cannot be applied."""

    code = "invalid_line"


def _str(data: dict[str, Any], name: str, optional: bool = False) -> Any:
    value = data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise LineError(f"{name} must be a non-empty string", code=f"invalid_line:{name}")
    return value


def parse_line(raw: bytes) -> Document:
    """One exported line as a Document; LineError naming the first bad member."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise LineError("the line is not JSON", code="invalid_json") from None
    if not isinstance(data, dict):
        raise LineError("the line must be a JSON object")
    api, scope, kind = _str(data, "api"), _str(data, "scope"), _str(data, "kind")
    if api == TMF620:
        if not is_tmf620_scope(scope) or kind not in RESOURCES:
            raise LineError(f"not a TMF620 resource: {scope}/{kind}", code="invalid_line:kind")
    elif api == OFFER_LIBRARY:
        if kind != CONTAINER and kind not in BY_NAME:
            raise LineError(f"not an Offer Library kind: {kind}", code="invalid_line:kind")
    else:
        raise LineError(f"api must be one of {', '.join(APIS)}", code="invalid_line:api")
    version = data.get("version")
    if type(version) is not int or version < 1:
        raise LineError("version must be a positive integer", code="invalid_line:version")
    if not isinstance(data.get("body"), dict):
        raise LineError("body must be a JSON object", code="invalid_line:body")
    audit: list[Any] = []
    for name, optional in _AUDIT_OPTIONAL:
        value = data.get(name)
        if (type(value) is not str or not value) and not (value is None and optional):
            _str(data, name, optional)  # raises, naming the member
        audit.append(value)
    created_at, created_by, created_by_client, modified_at, modified_by, modified_by_client = audit
    return Document(
        scope, kind, _str(data, "id"), version, data["body"],
        created_at, created_by, created_by_client, modified_at, modified_by, modified_by_client,
    )  # fmt: skip


def plan_line(uow: UnitOfWork, doc: Document) -> tuple[str, Document | None]:
    """What importing a document does: create, update (from the returned current row), or nothing."""
    current = uow.fetch(doc.scope, doc.kind, doc.id)
    if current is None:
        return CREATE, None
    if current.version == doc.version and not current.deleted and current.body == doc.body:
        return UNCHANGED, current
    if current.version < doc.version:
        return UPDATE, current
    raise LineError(
        f"{doc.kind} {doc.id!r} is at version {current.version} in the database, the file has {doc.version}",
        code="version_conflict",
        details={"id": doc.id, "current_version": current.version},
    )


def _apply(uow: UnitOfWork, doc: Document, dry_run: bool) -> str:
    outcome, current = plan_line(uow, doc)
    if not dry_run and outcome != UNCHANGED:
        expected = None if current is None else current.version
        change = CREATED if current is None or current.deleted else UPDATED
        uow.save(doc, expected_version=expected, change=change)
    return outcome


def _bulk_created(loader: BulkLoader | None, batch: list[tuple[int, Document]]) -> bool:
    """Create a batch of new documents through the store's bulk path (COPY on PostgreSQL).

    False (nothing of the batch written) when there is no loader (a dry run) or an id of the batch is taken.
    """
    if loader is None:
        return False
    try:
        loader.load([doc for _, doc in batch], batch=len(batch))
    except DomainError:
        return False
    return True


def _apply_batch(
    store: Store, loader: BulkLoader | None, batch: list[tuple[int, Document]], dry_run: bool, report: Report
) -> None:
    if _bulk_created(loader, batch):
        for _ in batch:
            report.count(CREATE)
        return
    try:
        with store.unit_of_work(write=not dry_run) as uow:
            outcomes = [_apply(uow, doc, dry_run) for _, doc in batch]
    except DomainError:
        # Someone wrote one of these meanwhile, or a line conflicts: apply them one by one instead.
        for number, doc in batch:
            try:
                with store.unit_of_work(write=not dry_run) as uow:
                    report.count(_apply(uow, doc, dry_run))
            except DomainError as exc:
                report.problems.append((number, exc.code, exc.message))
        return
    for outcome in outcomes:
        report.count(outcome)


def _apply_group(
    store: Store, loader: BulkLoader | None, group: list[list[tuple[int, Document]]], dry_run: bool
) -> Report:
    """A group of batches: created in one bulk call, or (an id of it taken) batch by batch."""
    report = Report()
    whole = [line for batch in group for line in batch]
    if len(group) > 1 and _bulk_created(loader, whole):
        report.created += len(whole)
        return report
    for batch in group:
        _apply_batch(store, loader, batch, dry_run, report)
    return report


def _merge(report: Report, part: Report) -> None:
    report.created += part.created
    report.updated += part.updated
    report.unchanged += part.unchanged
    report.problems.extend(part.problems)


def _into(doc: Document, scope: str | None) -> Document:
    # An import into one organisation (an import job): TMF620 lines only, moved into its scope.
    if scope is None:
        return doc
    if not is_tmf620_scope(doc.scope) or doc.kind not in RESOURCES:
        raise LineError("an import job takes TMF620 resources only", code="invalid_line:api")
    return msgspec.structs.replace(doc, scope=scope)


def import_lines(
    store: Store,
    lines: Iterable[bytes],
    *,
    dry_run: bool = False,
    advance: Callable[[int], None] | None = None,
    scope: str | None = None,
) -> Report:
    """Apply exported lines (create or update by id) in batches; report per line; dry_run changes nothing.

    scope: put every line (TMF620 resources only) into this document scope instead of the line's own.
    """
    report = Report()
    batch: list[tuple[int, Document]] = []
    group: list[list[tuple[int, Document]]] = []
    # One load for the whole file: what the store does at a load's end (PostgreSQL: statistics, the
    # counts of path values written many times) runs once, over every batch created in bulk.
    with nullcontext(None) if dry_run else store.bulk_loader(change=CREATED) as loader:
        # Groups go to the store from as many threads as its loader takes calls at once (PostgreSQL:
        # one pooled connection each), while this thread reads and checks the next lines.
        workers = 1 if loader is None else max(1, loader.workers)
        with ThreadPoolExecutor(workers, thread_name_prefix="import") as runner:
            running: deque[tuple[Future[Report], set[tuple[str, str, str]]]] = deque()

            def submit(group: list[list[tuple[int, Document]]]) -> None:
                if workers == 1:  # one writer (SQLite): no thread to hand the group to
                    _merge(report, _apply_group(store, loader, group, dry_run))
                    return
                keys = {(doc.scope, doc.kind, doc.id) for batch in group for _, doc in batch}
                # A document named again by a later line is written after the earlier line, as in order.
                if any(not keys.isdisjoint(held) for _, held in running):
                    drain(0)
                drain(workers - 1)
                running.append((runner.submit(_apply_group, store, loader, group, dry_run), keys))

            def drain(left: int) -> None:
                while len(running) > left:
                    _merge(report, running.popleft()[0].result())

            try:
                for number, raw in enumerate(lines, start=1):
                    if advance is not None:
                        advance(len(raw))
                    if not raw.strip():
                        continue
                    try:
                        batch.append((number, _into(parse_line(raw), scope)))
                    except DomainError as exc:
                        report.problems.append((number, exc.code, exc.message))
                    if len(batch) >= BATCH:
                        group.append(batch)
                        batch = []
                        if len(group) >= GROUP:
                            submit(group)
                            group = []
                if batch:
                    group.append(batch)
                if group:
                    submit(group)
                drain(0)
            finally:
                for future, _ in running:
                    future.cancel()
    report.problems.sort()
    return report
