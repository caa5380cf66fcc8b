"""The store interface every backend implements; services talk to a UnitOfWork only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from importlib import resources
from typing import Protocol

from offer_catalog.documents.model import Document, Event
from offer_catalog.documents.query import Page, Query
from offer_catalog.errors import AlreadyExists, QueryTimeout, SettingsError, VersionConflict
from offer_catalog.store.decision_log import DecisionItem, InteractionEvent, ReportCounts
from offer_catalog.store.delivery_tables import DeliveryTables
from offer_catalog.store.rows import Fetched


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """What one list query may cost: its time budget, and how many filter terms and sort keys."""

    budget_ms: int = 5000
    max_terms: int = 100

    def exceeded(self) -> QueryTimeout:
        """The error of a list query that ran past its time budget."""
        message = f"the query ran longer than its budget of {self.budget_ms} ms"
        return QueryTimeout(message, details={"budget_ms": self.budget_ms})


class UnitOfWork(Protocol):
    """One transaction. A write unit commits once when its block ends without an exception."""

    def fetch(self, scope: str, kind: str | None, id: str, *, for_update: bool = False) -> Document | None:
        """The current row (live or tombstone) or None; kind None matches any kind.

        for_update: hold the row until the unit of work ends, so a write based on it cannot conflict
        (PostgreSQL `FOR UPDATE`; SQLite's write unit already serialises writers).
        """
        ...

    def fetch_lazy(self, scope: str, kind: str | None, id: str) -> Fetched | None:
        """`fetch` (not for update), the body left as stored JSON text until asked for."""
        ...

    def fetch_version(self, scope: str, kind: str, id: str, version: int) -> Document | None:
        """One past or current version."""
        ...

    def fetch_history(self, scope: str, kind: str, id: str) -> list[Document]:
        """Every stored version, oldest first."""
        ...

    def save(self, doc: Document, *, expected_version: int | None, change: str) -> None:
        """Write doc as the current version, add it to history, add an outbox event.

        expected_version None inserts (AlreadyExists if the id is taken); otherwise the write
        happens only if the stored version equals it (VersionConflict if not).
        """
        ...

    def query(self, scope: str, query: Query) -> Page:
        """Documents of the scope that match the query."""
        ...

    def lock(self, scope: str, kind: str, id: str) -> None:
        """Hold an exclusive lock on a document until the unit of work ends (before checking who
        references it). SQLite serialises writers already; PostgreSQL takes a row lock."""
        ...

    def events_after(self, seq: int, limit: int) -> list[Event]:
        """Outbox events with a sequence number above seq, in order."""
        ...

    def scope_events_after(self, scope: str, seq: int, limit: int) -> list[Event]:
        """Outbox events of one scope with a sequence number above seq, in order."""
        ...

    def scope_event_position(self, scope: str) -> tuple[int, int]:
        """(the sequence number of the scope's last outbox event, the scope's number of events)."""
        ...

    def scope_event_count(self, scope: str, upto: int) -> int:
        """How many outbox events of the scope have a sequence number up to `upto`."""
        ...

    def increment_counter(
        self,
        key: str,
        limit: int | None,
        amount: int = 1,
        *,
        expires: str | None = None,
        now: str | None = None,
    ) -> bool:
        """Add amount to a counter unless that would pass limit; True when it was added.

        With `now` (an instant as `capping.instant_text` writes it), a counter whose expiry is before
        `now` counts 0 (it restarts from `amount`) and the counter's expiry becomes `expires` (None:
        never). Without `now` the expiry is left as it is (taking back an increment).
        """
        ...

    def last_event_seq(self, scope: str) -> int:
        """A number that grows with every committed write to a scope (0 before the first).

        A reader that saw value n and later sees n again has missed no committed write.
        """
        ...

    def read_counters(self, keys: Sequence[str], now: str | None = None) -> dict[str, int]:
        """Current values of the counters that exist among keys (with `now`: unexpired ones)."""
        ...

    def insert_decision_items(self, items: Sequence[DecisionItem]) -> None:
        """Append rows to the decision log."""
        ...

    def decision_items(self, proposition_ids: Sequence[str]) -> list[DecisionItem]:
        """The logged rows of these propositions (any scope)."""
        ...

    def insert_interaction_event(self, event: InteractionEvent) -> bool:
        """Store an event unless one with its (scope, event id, offer) is stored; True when new."""
        ...

    def interaction_events(self, scope: str, proposition_id: str) -> list[InteractionEvent]:
        """The stored events of one proposition, oldest first."""
        ...

    def deployment_secret(self, name: str, candidate: str) -> str:
        """The stored secret `name`; `candidate` is stored first when there is none (call in a write unit)."""
        ...

    def report(self, scope: str, start: str, end: str, group_by: str) -> list[ReportCounts]:
        """Decisions, proposals, fallbacks, caps met and events by type, per group, in [start, end)."""
        ...

    def delete_decision_log_before(self, cutoff: str) -> int:
        """Delete log rows decided, and events received, before `cutoff`; the number of rows deleted."""
        ...

    def delivery_tables(self) -> DeliveryTables:
        """Event delivery state (leases, relay position, subscriptions, deliveries) in this unit."""
        ...


class BulkLoader(Protocol):
    """A load of new documents made of several calls (see Store.bulk_loader)."""

    @property
    def workers(self) -> int:
        """How many calls are worth making at once, from as many threads (each its own transaction)."""
        ...

    def load(self, docs: Iterable[Document], *, batch: int) -> int:
        """As Store.bulk_load, for one part of the load."""
        ...


class Store(Protocol):
    """A database: opens units of work and manages its schema."""

    dialect: str

    def unit_of_work(self, *, write: bool = False) -> AbstractContextManager[UnitOfWork]:
        """A transaction; write=True takes the write lock up front (SQLite) and commits at the end."""
        ...

    def migrate(self) -> list[int]:
        """Apply pending schema migrations; return the versions applied."""
        ...

    def pending_migrations(self) -> list[int]:
        """Versions not yet applied."""
        ...

    def bulk_load(self, docs: Iterable[Document], *, change: str = "created", batch: int = 5000) -> int:
        """Insert new documents (as given: version, stamps), their history rows and outbox events,
        by the store's fastest path, `batch` per transaction; AlreadyExists (that batch written
        not at all) when an id is taken. The number of documents written."""
        ...

    def bulk_loader(self, *, change: str = "created") -> AbstractContextManager[BulkLoader]:
        """A load in several calls (an import's batches, each loaded or refused whole), whose end's
        maintenance, where the store has any, runs once when the block is left without an error."""
        ...

    def ensure_member_indexes(self, members: Sequence[str]) -> None:
        """Create (once) an index per top-level member that lists filter on as a scalar string."""
        ...

    def ensure_path_indexes(self, paths: Sequence[tuple[str, ...]]) -> None:
        """Index (once) the values filters on these nested or array paths compare with."""
        ...

    def ping(self) -> None:
        """Raise StoreUnavailable when the database cannot answer."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def check_written(doc: Document, expected_version: int | None, rows: int) -> None:
    """The one version check of every store: an insert or compare-and-set that wrote no row failed."""
    if rows == 1:
        return
    if expected_version is None:
        raise AlreadyExists(f"{doc.kind} {doc.id!r} already exists", details={"id": doc.id})
    raise VersionConflict(
        f"{doc.kind} {doc.id!r} is not at version {expected_version}",
        details={"id": doc.id, "expected_version": expected_version},
    )


def batches(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    """Documents in lists of `size` (the last one shorter)."""
    batch: list[Document] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def migrate_if_new(store: Store) -> None:
    """Apply the migrations to a database that has none; refuse one that is partly migrated."""
    pending = store.pending_migrations()
    if not pending:
        return
    if len(pending) < len(list(migration_scripts(store.dialect))):
        raise SettingsError(f"the database needs migrations {pending}: run `offer-catalog migrate` first")
    store.migrate()


def migration_scripts(dialect: str) -> Iterator[tuple[int, str]]:
    """(version, sql) of every migration shipped for a dialect, in order."""
    folder = resources.files("offer_catalog.store") / "migrations" / dialect
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    for name in names:
        yield int(name.split("_", 1)[0]), (folder / name).read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class LoadEachCall:
    """A bulk loader whose every call is a whole `bulk_load` (a store with nothing to do once at
    the end of a load in several calls)."""

    store: Store
    change: str
    workers: int = 1  # one writer: calls from more threads would wait for each other

    def load(self, docs: Iterable[Document], *, batch: int) -> int:
        """One call's documents, loaded as `bulk_load` loads them."""
        return self.store.bulk_load(docs, change=self.change, batch=batch)
