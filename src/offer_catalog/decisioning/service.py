"""Deciding against a stored container: cached snapshot, optimistic counter reads, caps applied atomically.

Counters. The engine asks `counters.count(key)` lazily, only for capped offers it is about to
propose. Rather than one database read per key, the view answers from a per-process cache of
*lower bounds*: counters only grow (a period's counter has its own key), so a value seen once, or
seen plus what this process added since, is never above the stored one. The decision is checked
where it matters, in the write: its increments are applied all-or-none in one transaction, each as
`value + amount <= limit`, in key order (PostgreSQL transactions then lock rows in one order and
cannot deadlock). If all are accepted, the decision was valid against the counts at commit time. If
one is refused, the ones applied are taken back, the current values of the request's counters are
read (one `read_counters` call) into the cache and the decision is made again. After `PIN_AFTER`
refused attempts, the counters that refused are treated as exhausted (conservative: a cap is never
exceeded; under extreme contention an offer may fall back a little early); after `MAX_ATTEMPTS` the
request fails with `capping_contention` (HTTP 503, nothing counted). A decision that proposes no
capped offer neither reads nor writes a counter. On SQLite, the increment sets of concurrent
decisions share one transaction (group commit, see `CounterWriter`).

A dry run obeys the caps but writes nothing: the counters it asked for are read (one call) and the
decision is replayed with the same random draws while a value differs from the cached one.

Every decision that is not a dry run is also recorded in the decision log (decision_log.py): its
rows are written in the unit that applies its increments (all-or-none with them); the rows of a
decision that draws no counter are queued and written in batches by a background thread
(`decision_log.DeferredRows`).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from offer_catalog.decisioning.capping import CounterIncrement
from offer_catalog.decisioning.decision_log import DecisionLog, log_items, scope_hash, timestamp
from offer_catalog.decisioning.engine import DecisionResult, decide
from offer_catalog.decisioning.request import DecisionRequest, DecisionRequestError, parse_request
from offer_catalog.decisioning.snapshots import SnapshotCache
from offer_catalog.documents import service as documents
from offer_catalog.documents.query import Cond, Op, Query, body
from offer_catalog.errors import DomainError
from offer_catalog.offer_library.containers import list_containers
from offer_catalog.store.base import Store, UnitOfWork
from offer_catalog.store.decision_log import DecisionItem

MAX_ATTEMPTS = 8
PIN_AFTER = 4
ACTIVITY = "offer-activity"


class CappingContention(DomainError):
    """Concurrent decisions kept taking the same capped counters; nothing was counted, try again."""

    code = "capping_contention"


class CounterCache:
    """Per-process lower bounds of counter values (counters only grow); bounded in size."""

    def __init__(self, max_keys: int = 200_000) -> None:
        self.max_keys = max_keys
        self._values: dict[str, int] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> int:
        """The highest value known for key (0 when unknown)."""
        return self._values.get(key, 0)

    def raise_to(self, values: Mapping[str, int]) -> None:
        """Record values seen or reached; a lower value than the known one is ignored."""
        with self._lock:
            if len(self._values) + len(values) > self.max_keys:
                self._values.clear()  # forgetting a lower bound is always safe
            for key, value in values.items():
                if value > self._values.get(key, 0):
                    self._values[key] = value


@dataclass
class Caches:
    """What a process keeps between decisions: compiled snapshots and counter lower bounds."""

    snapshots: SnapshotCache = field(default_factory=SnapshotCache)
    counters: CounterCache = field(default_factory=CounterCache)
    writer: CounterWriter = field(default_factory=lambda: CounterWriter())
    log: DecisionLog = field(default_factory=DecisionLog)


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's result, the container decided in, and how many attempts capping needed."""

    result: DecisionResult
    container_id: str
    attempts: int


class _View:
    """The counter view of one engine call: cache lower bounds, pinned exhausted keys, keys asked.

    Counters of event-counted caps (`|ev:` keys) grow with events no decision writes, so they are
    read from the store (`fresh`) instead of the lower-bound cache.
    """

    __slots__ = ("_cache", "_fresh", "_pinned", "seen")

    def __init__(
        self, cache: CounterCache, pinned: Mapping[str, int], fresh: Callable[[str], int] | None = None
    ) -> None:
        self._cache = cache
        self._pinned = pinned
        self._fresh = fresh
        self.seen: dict[str, int] = {}

    def count(self, key: str) -> int:
        value = self._pinned.get(key)
        if value is None:
            known = self.seen.get(key)
            if known is not None:
                return known
            value = self._fresh(key) if self._fresh is not None and "|ev:" in key else self._cache.get(key)
        self.seen[key] = value
        return value


def _read_one(store: Store, key: str) -> int:
    with store.unit_of_work() as uow:
        return uow.read_counters([key]).get(key, 0)


def apply_increments(
    uow: UnitOfWork, increments: Sequence[CounterIncrement], items: Sequence[DecisionItem] = ()
) -> dict[str, int] | None:
    """Apply all increments (each as `value + amount <= limit`, in key order) or none.

    On a refusal the ones already applied are taken back in the same unit and the current values of
    all the counters are returned; None when all were applied, and then the decision's log `items`
    are written too.
    """
    ordered = sorted(increments, key=lambda inc: inc.key)
    for done, inc in enumerate(ordered):
        if not uow.increment_counter(inc.key, inc.limit, inc.amount):
            for applied in ordered[:done]:
                uow.increment_counter(applied.key, None, -applied.amount)
            return uow.read_counters([i.key for i in ordered])
    uow.insert_decision_items(items)
    return None


class _Slot:
    __slots__ = ("done", "error", "increments", "items", "refused")

    def __init__(self, increments: Sequence[CounterIncrement], items: Sequence[DecisionItem]) -> None:
        self.increments = increments
        self.items = items
        self.refused: dict[str, int] | None = None
        self.error: BaseException | None = None
        self.done = False


class CounterWriter:
    """Applies the increment sets of decisions; on SQLite concurrent sets share one transaction.

    SQLite commits one writer at a time, each with its own fsync: the thread that finds no write in
    progress applies every set queued so far in one unit (group commit), each set all-or-none,
    while the others wait for their result. PostgreSQL runs one unit per set: it already
    commits concurrent transactions together, and separate units keep row locks in key order.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[_Slot] = []
        self._busy = False

    def apply(
        self, store: Store, increments: Sequence[CounterIncrement], items: Sequence[DecisionItem] = ()
    ) -> dict[str, int] | None:
        """None when every increment was applied (and `items` logged); else the counters' current values."""
        if store.dialect != "sqlite" and increments:
            with store.unit_of_work(write=True) as uow:
                return apply_increments(uow, increments, items)
        slot = _Slot(increments, items)
        batch: list[_Slot] = []
        with self._cond:
            self._queue.append(slot)
            while self._busy and not slot.done:
                self._cond.wait()
            if not slot.done:
                self._busy = True
                batch, self._queue = self._queue, []
        if batch:
            self._write(store, batch)
        if slot.error is not None:
            raise slot.error
        return slot.refused

    def _write(self, store: Store, batch: list[_Slot]) -> None:
        error: BaseException | None = None
        try:
            with store.unit_of_work(write=True) as uow:
                for queued in batch:
                    queued.refused = apply_increments(uow, queued.increments, queued.items)
        except BaseException as exc:  # every set of the batch shares the unit's fate
            error = exc
        with self._cond:
            for queued in batch:
                queued.error, queued.done = error, True
            self._busy = False
            self._cond.notify_all()


def decide_for(
    store: Store,
    *,
    container_id: str,
    request_body: Mapping[str, Any] | DecisionRequest,
    now: datetime,
    rng: random.Random,
    caches: Caches,
    check: Callable[[UnitOfWork], object] | None = None,
) -> Decision:
    """Decide a request against a container and draw the counters down (unless dry run).

    `check(uow)` runs in the first read unit (the caller's tenancy check). Raises
    `DecisionRequestError` for a bad request, `CappingContention` when capping never settles.
    """
    request = request_body if isinstance(request_body, DecisionRequest) else parse_request(request_body)
    pinned: dict[str, int] = {}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        entry = caches.snapshots.get(store, container_id, check=check if attempt == 1 else None)
        if request.dry_run:
            result = _dry_run(store, entry.snapshot, request, now, rng, caches)
            return Decision(result, container_id, attempt)
        view = _View(caches.counters, pinned, lambda key: _read_one(store, key))
        result = decide(
            entry.snapshot,
            request,
            now=now,
            counters=view,
            rng=rng,
            profile_key=lambda scope: scope_hash(caches.log.key(store), scope),
        )
        items: list[DecisionItem] = []
        if caches.log.enabled:
            key = caches.log.key(store)
            items = log_items(
                result,
                request,
                container_id=container_id,
                change_seq=entry.seq,
                decided_at=timestamp(now),
                key=key,
            )
        if not result.increments:
            if items:
                caches.log.deferred.add(store, items)
                caches.log.sweep(store, now)
            return Decision(result, container_id, attempt)
        refused = caches.writer.apply(store, result.increments, items)
        if refused is None:
            caches.counters.raise_to({i.key: view.seen.get(i.key, 0) + i.amount for i in result.increments})
            if items:
                caches.log.sweep(store, now)
            return Decision(result, container_id, attempt)
        caches.counters.raise_to(refused)
        if attempt >= PIN_AFTER:
            for inc in result.increments:
                if refused.get(inc.key, 0) + inc.amount > inc.limit:
                    pinned[inc.key] = inc.limit
    raise CappingContention(
        f"capped counters kept changing under concurrent decisions ({MAX_ATTEMPTS} attempts)",
        details={"containerId": container_id, "attempts": MAX_ATTEMPTS},
    )


def _dry_run(
    store: Store,
    snapshot: Any,
    request: DecisionRequest,
    now: datetime,
    rng: random.Random,
    caches: Caches,
) -> DecisionResult:
    """Decide without writing; replay with the same draws until the counters asked match the store."""
    state = rng.getstate()
    result: DecisionResult | None = None
    for _ in range(MAX_ATTEMPTS):
        view = _View(caches.counters, {})
        result = decide(
            snapshot,
            request,
            now=now,
            counters=view,
            rng=rng,
            profile_key=lambda scope: scope_hash(caches.log.key(store), scope),
        )
        if not view.seen:
            return result
        with store.unit_of_work() as uow:
            current = uow.read_counters(list(view.seen))
        caches.counters.raise_to(current)
        if all(current.get(key, 0) <= value for key, value in view.seen.items()):
            return result
        rng.setstate(state)
    assert result is not None
    return result


def response_body(result: DecisionResult) -> dict[str, Any]:
    """The body the API answers: one profile's response, or `{"xdm:responses": [...]}` for several."""
    if len(result.responses) == 1:
        return result.response
    return {"xdm:responses": list(result.responses)}


def find_container(uow: UnitOfWork, *, org: str, sandbox: str, request: DecisionRequest) -> str:
    """The one container of the tenant that holds every activity the request names.

    `unknown_activity` (422) when an activity is in none of them, `ambiguous_activity` (422) when
    an activity is in several, `activities_in_several_containers` (422) when they are spread out.
    """
    pointers: dict[str, str] = {}
    for index, scope in enumerate(request.scopes):
        pointers.setdefault(scope.activity_id, f"/xdm:propositionRequests/{index}/xdm:activityId")
    query = Query(kinds=(ACTIVITY,), where=Cond(body("@id"), Op.IN, list(pointers)), with_total=False)
    holders: dict[str, list[str]] = {}
    for container in list_containers(uow, org=org, sandbox=sandbox):
        for doc in documents.list_documents(uow, scope=container.id, query=query).items:
            holders.setdefault(str(doc.body.get("@id")), []).append(container.id)
    for activity, pointer in pointers.items():
        found = holders.get(activity, [])
        if not found:
            raise DecisionRequestError(
                "unknown_activity", f"no container of the caller holds activity {activity!r}", pointer=pointer
            )
        if len(found) > 1:
            raise DecisionRequestError(
                "ambiguous_activity", f"activity {activity!r} is in {len(found)} containers", pointer=pointer
            )
    containers = {holders[activity][0] for activity in pointers}
    if len(containers) > 1:
        raise DecisionRequestError(
            "activities_in_several_containers",
            "the requested activities are not all in one container: use /data/core/ode/{containerId}",
            pointer="/xdm:propositionRequests",
        )
    return containers.pop()
