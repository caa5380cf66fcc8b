"""A per-process cache of compiled catalog snapshots, one per container, rebuilt when the container changes.

Freshness: every write to a container's instances bumps the scope's change number in the same
transaction (`last_event_seq`, one indexed read; see the store), which is the container's version.
Each decision reads it; a snapshot built from instances read *after* that number was seen is
current. A change made through any worker process is therefore visible to
the next decision in every process. Rebuilds take a per-container lock, so concurrent requests on
a stale container build once and the others wait for that build.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from offer_catalog.decisioning.catalog import build_snapshot
from offer_catalog.decisioning.model import Snapshot
from offer_catalog.decisioning.sizing import approximate_size
from offer_catalog.metrics import observe_snapshot_build
from offer_catalog.offer_library.catalog import load_container_instances
from offer_catalog.store.base import Store, UnitOfWork

Loader = Callable[[UnitOfWork, str], list[dict[str, Any]]]
Builder = Callable[[Iterable[Mapping[str, Any]]], Snapshot]


@dataclass(frozen=True, slots=True, eq=False)
class CachedSnapshot:
    """A compiled snapshot, the container version (`seq`) it reflects, and how it was built."""

    container_id: str
    seq: int
    snapshot: Snapshot
    instances: int
    built_at: str
    build_seconds: float
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
        self,
        *,
        max_containers: int = 32,
        load: Loader = load_container_instances,
        build: Builder = build_snapshot,
    ) -> None:
        self.max_containers = max_containers
        self.builds = 0
        self._load = load
        self._build = build
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
        """A snapshot at least as new as version `seen`: the cached one, or one built now (once)."""
        with self._lock_for(container_id):
            entry = self._entries.get(container_id)
            if entry is not None and entry.seq >= seen:
                return entry
            with store.unit_of_work() as uow:
                # Read the version before the instances: a write landing in between makes the
                # next decision rebuild again, never miss the change.
                seq = uow.last_event_seq(container_id)
                instances = self._load(uow, container_id)
            started = time.perf_counter()
            snapshot = self._build(instances)
            entry = CachedSnapshot(
                container_id=container_id,
                seq=seq,
                snapshot=snapshot,
                instances=len(instances),
                built_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                build_seconds=time.perf_counter() - started,
            )
            observe_snapshot_build(entry.build_seconds)
            with self._guard:
                self.builds += 1
                self._entries[container_id] = entry
                self._entries.move_to_end(container_id)
                while len(self._entries) > self.max_containers:
                    dropped, _ = self._entries.popitem(last=False)
                    self._locks.pop(dropped, None)
            return entry

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
