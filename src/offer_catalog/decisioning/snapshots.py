"""A per-process cache of compiled catalog snapshots, one per container, kept current from the outbox.

Freshness: every write to a container's instances bumps the scope's change number in the same
transaction (`last_event_seq`, one indexed read; see the store), which is the container's version.
Each decision reads it; a snapshot reflecting instances read *after* that number was seen is
current. A change made through any worker process is therefore visible to the next decision in
every process.

Catching up: a stale snapshot is brought forward incrementally. The cache reads the container's
outbox events after the last one it applied (`scope_events_after`), fetches the current version
of each changed instance, and hands them to the snapshot's `LiveCatalog`, which recompiles only
what depends on them. Outbox numbers are handed out at insert while transactions commit in any
order (PostgreSQL), so an event numbered below the cursor may become visible after the cursor
passed it: the cache also keeps how many of the container's events are numbered up to its cursor
and counts them again at each update (`scope_event_count`); a different count means such a late
commit, and the full rebuild runs instead. So do more than `max_changes` events at once, events
gone from the outbox, and any failure while applying. Each worker process catches up on its own,
from the store.

Rebuilds and updates take a per-container lock, so concurrent requests on a stale container
update once and the others wait for that update.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from offer_catalog.decisioning.live import Change, LiveCatalog
from offer_catalog.decisioning.model import Snapshot
from offer_catalog.decisioning.sizing import approximate_size
from offer_catalog.documents import service
from offer_catalog.documents.model import Document
from offer_catalog.documents.query import Query
from offer_catalog.metrics import observe_snapshot_build
from offer_catalog.offer_library.catalog import KINDS
from offer_catalog.store.base import Store, UnitOfWork

# Every instance of a container, as changes keyed by stored (kind, id).
Loader = Callable[[UnitOfWork, str], list[Change]]
MAX_CHANGES = 500  # outbox events applied incrementally at once; more: a full rebuild


def instance(doc: Document) -> dict[str, Any] | None:
    """A stored document as the snapshot compiles it (None once deleted)."""
    if doc.deleted:
        return None
    return {"schema": doc.kind, "@id": doc.body.get("@id"), "repo:etag": doc.version, "instance": doc.body}


def load_changes(uow: UnitOfWork, container_id: str) -> list[Change]:
    """Every live instance of a container, keyed by stored kind and id."""
    page = service.list_documents(uow, scope=container_id, query=Query(kinds=KINDS, with_total=False))
    return [(doc.kind, doc.id, instance(doc)) for doc in page.items]


@dataclass(frozen=True, slots=True, eq=False)
class CachedSnapshot:
    """A compiled snapshot, the container version (`seq`) it reflects, and how it was built."""

    container_id: str
    seq: int
    snapshot: Snapshot
    instances: int
    built_at: str
    build_seconds: float
    cursor: int = 0  # the last outbox event of the container reflected
    below: int = 0  # how many of the container's events are numbered up to `cursor`
    live: LiveCatalog | None = None  # the compiled objects, updated in place by the next entry
    updates: int = 0  # incremental updates since the full build
    _size: list[int] = field(default_factory=list)

    def approximate_size(self) -> int:
        """Bytes reachable from the snapshot (measured once, on first call: it walks the graph)."""
        if not self._size:
            self._size.append(approximate_size(self.snapshot))
        return self._size[0]

    def summary(self) -> dict[str, Any]:
        """Counts, version and build figures, for the diagnostics endpoint."""
        snap = self.snapshot
        return {
            "containerId": self.container_id,
            "eventSeq": self.seq,
            "builtAt": self.built_at,
            "buildSeconds": round(self.build_seconds, 4),
            "incrementalUpdates": self.updates,
            "instances": self.instances,
            "offers": len(snap.offers),
            "fallbackOffers": len(snap.fallbacks),
            "placements": len(snap.placements),
            "activities": len(snap.activities),
            "rules": len(snap.rules),
            "rankingFunctions": len(snap.ranking_functions),
            "collections": len(snap.filters),
            "approximateBytes": self.approximate_size(),
        }


class SnapshotCache:
    """Compiled snapshots of recently used containers (least recently used ones are dropped)."""

    def __init__(
        self, *, max_containers: int = 32, load: Loader = load_changes, max_changes: int = MAX_CHANGES
    ) -> None:
        self.max_containers = max_containers
        self.max_changes = max_changes
        self.builds = 0  # full builds
        self.updates = 0  # incremental updates
        self._load = load
        self._entries: OrderedDict[str, CachedSnapshot] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def peek(self, container_id: str) -> CachedSnapshot | None:
        """The cached snapshot of a container, current or not, without touching the store."""
        return self._entries.get(container_id)

    def lookup(self, uow: UnitOfWork, container_id: str) -> tuple[CachedSnapshot | None, int]:
        """(the cached snapshot when it is current, else None; the container version just read)."""
        seq = uow.last_event_seq(container_id)
        entry = self._entries.get(container_id)
        if entry is None or entry.seq < seq:
            return None, seq
        with self._guard:
            if container_id in self._entries:
                self._entries.move_to_end(container_id)
        return entry, seq

    def rebuild(self, store: Store, container_id: str, seen: int) -> CachedSnapshot:
        """A snapshot at least as new as version `seen`: the cached one, or one updated or built now."""
        with self._lock_for(container_id):
            entry = self._entries.get(container_id)
            if entry is not None and entry.seq >= seen:
                return entry
            updated = self._catch_up(store, entry) if entry is not None else None
            entry = updated if updated is not None else self.full_build(store, container_id)
            with self._guard:
                self._entries[container_id] = entry
                self._entries.move_to_end(container_id)
                while len(self._entries) > self.max_containers:
                    dropped, _ = self._entries.popitem(last=False)
                    self._locks.pop(dropped, None)
            return entry

    def full_build(self, store: Store, container_id: str) -> CachedSnapshot:
        """Load and compile every instance of the container (not cached by itself)."""
        with store.unit_of_work() as uow:
            # Read the version and the outbox position before the instances: a write landing in
            # between is applied again by the next update, never missed.
            seq = uow.last_event_seq(container_id)
            cursor, below = uow.scope_event_position(container_id)
            changes = self._load(uow, container_id)
        started = time.perf_counter()
        live = LiveCatalog()
        snapshot = live.apply(changes)
        seconds = time.perf_counter() - started
        observe_snapshot_build(seconds)
        with self._guard:
            self.builds += 1
        return CachedSnapshot(container_id, seq, snapshot, len(changes), _now(), seconds, cursor, below, live)

    def _catch_up(self, store: Store, entry: CachedSnapshot) -> CachedSnapshot | None:
        """The entry brought forward from the outbox; None when a full rebuild is needed instead."""
        live = entry.live
        if live is None:
            return None
        container_id = entry.container_id
        with store.unit_of_work() as uow:
            seq = uow.last_event_seq(container_id)  # first: the events read next are at least this new
            events = uow.scope_events_after(container_id, entry.cursor, self.max_changes + 1)
            if len(events) > self.max_changes or (seq > entry.seq and not events):
                return None  # too many to apply one by one, or events gone (pruned): rebuild
            if uow.scope_event_count(container_id, entry.cursor) != entry.below:
                return None  # a write numbered before the cursor committed after it was read: rebuild
            keys = list(dict.fromkeys((e.kind, e.id) for e in events if e.kind in KINDS))
            docs = [uow.fetch(container_id, kind, ident) for kind, ident in keys]
        started = time.perf_counter()
        changes = [
            (k, i, instance(d) if d is not None else None) for (k, i), d in zip(keys, docs, strict=True)
        ]
        try:  # the catalog is updated in place: the new entry replaces this one either way
            snapshot = live.apply(changes)
        except Exception:  # a failed update must not stop decisions: rebuild from scratch
            return None
        seconds = time.perf_counter() - started
        with self._guard:
            self.updates += 1
        cursor = events[-1].seq if events else entry.cursor
        instances = sum(len(bodies) for bodies in live.bodies.values())
        below = entry.below + len(events)
        return CachedSnapshot(
            container_id, seq, snapshot, instances, _now(), seconds, cursor, below, live, entry.updates + 1
        )

    def get(
        self, store: Store, container_id: str, *, check: Callable[[UnitOfWork], object] | None = None
    ) -> CachedSnapshot:
        """The current snapshot of a container; `check(uow)` runs first in the same read unit."""
        with store.unit_of_work() as uow:
            if check is not None:
                check(uow)
            entry, seq = self.lookup(uow, container_id)
        return entry if entry is not None else self.rebuild(store, container_id, seq)

    def _lock_for(self, container_id: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(container_id)
            if lock is None:
                lock = self._locks[container_id] = threading.Lock()
            return lock


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
