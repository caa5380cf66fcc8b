"""Deciding against a stored container: cached snapshot, optimistic counter reads, caps applied atomically.

Counters. The engine asks `counters.count(key)` lazily, only for capped offers it is about to
propose. Rather than one database read per key, the view answers from a per-process cache of
*lower bounds*: counters only grow (a period's counter has its own key), so a value seen once, or
seen plus what this process added since, is never above the stored one. Per-profile counters are
the exception: they expire (they read 0 after the offer's end date, `capping` module notes), so they
are read from the store, as are event-counted ones. The decision is checked
where it matters, in the write: its increments are applied all-or-none in one transaction, each as
`value + amount <= limit`, in key order (PostgreSQL transactions then lock rows in one order and
cannot deadlock). If all are accepted, the decision was valid against the counts at commit time. If
one is refused, the ones applied are taken back, the current values of the request's counters are
read (one `read_counters` call) into the cache and the decision is made again. After `PIN_AFTER`
refused attempts, the counters that refused are treated as exhausted (conservative: a cap is never
exceeded; under extreme contention an offer may fall back a little early); after `MAX_ATTEMPTS` the
request fails with `capping_contention` (HTTP 503, nothing counted). A decision that proposes no
capped offer neither reads nor writes a counter. On SQLite, the increment sets of concurrent
decisions share one transaction (group commit, see `commits.CounterWriter`).

The decision is one generator (`_steps`) that yields what may block: a snapshot rebuild, the
durable write, the retention sweep. `decide_for` runs those in the calling thread;
`decide_on_loop` (HTTP, SQLite) awaits them off the event loop and runs the rest inline.

A dry run obeys the caps but writes nothing: the counters it asked for are read (one call) and the
decision is replayed with the same random draws while a value differs from the cached one.

Every decision that is not a dry run is also recorded in the decision log (decision_log.py): its
rows are written in the unit that applies its increments (all-or-none with them); the rows of a
decision that draws no counter are queued (`decision_log.DeferredRows`) and written with the next
counter commit, or in batches by a background thread.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from anyio import to_thread

from offer_catalog.decisioning.capping import instant_text
from offer_catalog.decisioning.commits import CounterCache as CounterCache
from offer_catalog.decisioning.commits import CounterWrite
from offer_catalog.decisioning.commits import CounterWriter as CounterWriter
from offer_catalog.decisioning.commits import apply_increments as apply_increments
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

    Counters of event-counted caps (`|ev:` keys) grow with events no decision writes, and
    per-profile counters (`|profile:` scopes) expire, so both are read from the store (`fresh`)
    instead of the lower-bound cache.
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
            value = self._fresh(key) if self._fresh is not None and _live(key) else self._cache.get(key)
        self.seen[key] = value
        return value


def _live(key: str) -> bool:
    """A counter the lower-bound cache cannot answer: event-counted, or per-profile (it expires)."""
    return "|ev:" in key or "|profile:" in key


def _read_one(store: Store, key: str, now: str | None = None) -> int:
    with store.unit_of_work() as uow:
        return uow.read_counters([key], now).get(key, 0)


@dataclass(frozen=True, slots=True)
class _Rebuild:
    """A step the driver runs off the event loop: bring the container's snapshot up to `seen`."""

    container_id: str
    seen: int

    def run(self, store: Store, caches: Caches) -> Any:
        return caches.snapshots.rebuild(store, self.container_id, self.seen)


@dataclass(frozen=True, slots=True)
class _Sweep:
    """A step run off the event loop: delete decision log rows past retention."""

    now: datetime

    def run(self, store: Store, caches: Caches) -> Any:
        return caches.log.sweep(store, self.now)


# The third step, one the driver waits for: the counter writer applies a decision's increments and
# log rows durably (`CounterWrite`).
Step = _Rebuild | _Sweep | CounterWrite
Steps = Generator[Step, Any, Decision]


def _advance(steps: Steps, answer: Any) -> Step | Decision:
    """The decision's next step, given the answer to its last one; the decision once it is made."""
    try:
        return steps.send(answer)
    except StopIteration as stop:
        decision: Decision = stop.value
        return decision


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
    steps = _steps(store, container_id, request, now, rng, caches, check)
    step = _advance(steps, None)
    while not isinstance(step, Decision):
        if isinstance(step, CounterWrite):
            answer = caches.writer.apply(store, step)
        else:
            answer = step.run(store, caches)
        step = _advance(steps, answer)
    return step


async def decide_on_loop(
    store: Store,
    *,
    container_id: str,
    request: DecisionRequest,
    caches: Caches,
    check: Callable[[UnitOfWork], object] | None = None,
) -> Decision:
    """`decide_now` run on the event loop (SQLite): reads inline, the rebuild and the commit awaited.

    The engine and the store's point reads take microseconds; a snapshot rebuild runs in a worker
    thread and the durable write in the counter writer's, so neither holds up the loop.
    """
    steps = _steps(store, container_id, request, datetime.now(UTC), _fresh_rng(), caches, check)
    step = _advance(steps, None)
    while not isinstance(step, Decision):
        if isinstance(step, CounterWrite):
            answer = await caches.writer.apply_async(store, step)
        else:
            answer = await to_thread.run_sync(step.run, store, caches)
        step = _advance(steps, answer)
    return step


def _steps(
    store: Store,
    container_id: str,
    request: DecisionRequest,
    now: datetime,
    rng: random.Random,
    caches: Caches,
    check: Callable[[UnitOfWork], object] | None,
) -> Steps:
    """The decision as a generator: it yields what must not run on the event loop, gets the answers."""
    pinned: dict[str, int] = {}
    instant = instant_text(now)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with store.unit_of_work() as uow:
            if check is not None and attempt == 1:
                check(uow)
            entry, seq = caches.snapshots.lookup(uow, container_id)
        if entry is None:
            entry = yield _Rebuild(container_id, seq)
        if request.dry_run:
            result = _dry_run(store, entry.snapshot, request, now, rng, caches)
            return Decision(result, container_id, attempt)
        view = _View(caches.counters, pinned, lambda key: _read_one(store, key, instant))
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
        if items and caches.log.sweep_due():
            yield _Sweep(now)
        if not result.increments:
            if items:
                caches.log.deferred.add(store, items)
            return Decision(result, container_id, attempt)
        refused = yield CounterWrite(result.increments, items, instant, caches.log.deferred)
        if refused is None:
            caches.counters.raise_to(
                {i.key: view.seen.get(i.key, 0) + i.amount for i in result.increments if not _live(i.key)}
            )
            return Decision(result, container_id, attempt)
        caches.counters.raise_to({key: value for key, value in refused.items() if not _live(key)})
        if attempt >= PIN_AFTER:
            for inc in result.increments:
                if refused.get(inc.key, 0) + inc.amount > inc.limit:
                    pinned[inc.key] = inc.limit
    raise CappingContention(
        f"capped counters kept changing under concurrent decisions ({MAX_ATTEMPTS} attempts)",
        details={"containerId": container_id, "attempts": MAX_ATTEMPTS},
    )


_SEEDS = random.Random()


def _fresh_rng() -> random.Random:
    """A generator of its own for one decision, seeded from the process's (cheaper than from the OS)."""
    return random.Random(_SEEDS.getrandbits(64))


def decide_now(
    store: Store,
    *,
    container_id: str,
    request_body: Mapping[str, Any] | DecisionRequest,
    caches: Caches,
    check: Callable[[UnitOfWork], object] | None = None,
) -> Decision:
    """`decide_for` a live call: the current time and a fresh random draw (the CLI and the API)."""
    return decide_for(
        store,
        container_id=container_id,
        request_body=request_body,
        now=datetime.now(UTC),
        rng=random.Random(),
        caches=caches,
        check=check,
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
    instant = instant_text(now)
    for _ in range(MAX_ATTEMPTS):
        view = _View(caches.counters, {}, lambda key: _read_one(store, key, instant))
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
            current = uow.read_counters(list(view.seen), instant)
        caches.counters.raise_to({key: value for key, value in current.items() if not _live(key)})
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
