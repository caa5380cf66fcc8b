"""Durable counter increments and decision log rows: on SQLite, one writer thread, many decisions per commit.

A decision that draws counters down hands its increment set (and its log rows) to `CounterWriter`
and is answered only once the set is on disk. On SQLite one writer thread per process takes every
set queued so far and applies them in one write unit (so one commit and one fsync acknowledge
them all), each set all-or-none (`apply_increments`), together with the queued log rows of
decisions that drew no counter (`DeferredRows.taken`). A caller waits in its own thread (`apply`)
or, on the event loop, for a future (`apply_async`): no thread is held while the fsync runs.
PostgreSQL runs one unit per set in the caller's thread: it already commits concurrent
transactions together, and separate units keep row locks in key order. `CounterCache` holds the
lower bounds of counter values that decisions read instead of the store.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from offer_catalog.decisioning.capping import CounterIncrement
from offer_catalog.decisioning.decision_log import DeferredRows
from offer_catalog.store.base import Store, UnitOfWork
from offer_catalog.store.decision_log import DecisionItem

IDLE_SECONDS = 1.0  # the writer thread ends after this long without work (a new set starts it again)

log = logging.getLogger(__name__)


def _increment(uow: UnitOfWork, inc: CounterIncrement, now: str | None) -> bool:
    if inc.expires is None or now is None:
        return uow.increment_counter(inc.key, inc.limit, inc.amount)
    return uow.increment_counter(inc.key, inc.limit, inc.amount, expires=inc.expires, now=now)


def apply_increments(
    uow: UnitOfWork,
    increments: Sequence[CounterIncrement],
    items: Sequence[DecisionItem] = (),
    now: str | None = None,
) -> dict[str, int] | None:
    """Apply all increments (each as `value + amount <= limit`, in key order) or none.

    On a refusal the ones already applied are taken back in the same unit and the current values of
    all the counters are returned; None when all were applied, and then the decision's log `items`
    are written too. `now` (`capping.instant_text`): expired per-profile counters restart from 0.
    """
    refused = _apply(uow, increments, now)
    if refused is None:
        uow.insert_decision_items(items)
    return refused


def _apply(uow: UnitOfWork, increments: Sequence[CounterIncrement], now: str | None) -> dict[str, int] | None:
    ordered = sorted(increments, key=lambda inc: inc.key)
    for done, inc in enumerate(ordered):
        if not _increment(uow, inc, now):
            for applied in ordered[:done]:
                uow.increment_counter(applied.key, None, -applied.amount)
            return uow.read_counters([i.key for i in ordered], now)
    return None


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


@dataclass(frozen=True, slots=True)
class CounterWrite:
    """One decision's increment set for `CounterWriter`, all-or-none (`apply_increments`).

    Its log `items` are written when every increment applies; `now` (`capping.instant_text`): expired
    per-profile counters restart from 0; `deferred`: queued log rows to write in the same unit.
    """

    increments: Sequence[CounterIncrement]
    items: Sequence[DecisionItem] = ()
    now: str | None = None
    deferred: DeferredRows | None = None


class _Slot:
    __slots__ = ("error", "notify", "refused", "write")

    def __init__(self, write: CounterWrite, notify: Callable[[], None]) -> None:
        self.write = write
        self.notify = notify
        self.refused: dict[str, int] | None = None
        self.error: BaseException | None = None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # the awaiting request may have been cancelled meanwhile
        future.set_result(None)


class CounterWriter:
    """Applies the increment sets of decisions; on SQLite every set queued shares one transaction."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[tuple[Store, _Slot]] = []
        self._thread: threading.Thread | None = None

    def apply(self, store: Store, write: CounterWrite) -> dict[str, int] | None:
        """None when every increment was applied (and `items` logged); else the counters' current values."""
        done = threading.Event()
        slot = _Slot(write, done.set)
        if store.dialect != "sqlite":
            self._write(store, [slot])  # in this thread, a unit of its own
        else:
            self._submit(store, slot)
            done.wait()
        return _outcome(slot)

    async def apply_async(self, store: Store, write: CounterWrite) -> dict[str, int] | None:
        """`apply` for a caller on the event loop (SQLite): awaits the commit without holding a thread."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def notify() -> None:
            loop.call_soon_threadsafe(_resolve, future)

        slot = _Slot(write, notify)
        self._submit(store, slot)
        await future
        return _outcome(slot)

    def _submit(self, store: Store, slot: _Slot) -> None:
        with self._cond:
            self._queue.append((store, slot))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="decision-counters", daemon=True)
                self._thread.start()
            else:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._queue:
                    self._cond.wait(timeout=IDLE_SECONDS)
                    if not self._queue:
                        self._thread = None
                        return
                batch, self._queue = self._queue, []
            stores: dict[int, Store] = {id(store): store for store, _ in batch}
            for key, store in stores.items():
                self._write(store, [slot for s, slot in batch if id(s) == key])

    def _write(self, store: Store, batch: list[_Slot]) -> None:
        error: BaseException | None = None
        queues = {id(s.write.deferred): s.write.deferred for s in batch if s.write.deferred is not None}
        try:
            with ExitStack() as stack:
                rows = [row for q in queues.values() for row in stack.enter_context(q.taken())]
                try:
                    with store.unit_of_work(write=True) as uow:
                        logged: list[DecisionItem] = []
                        for slot in batch:
                            slot.refused = _apply(uow, slot.write.increments, slot.write.now)
                            if slot.refused is None:
                                logged += slot.write.items
                        # one statement for the batch's rows (accepted decisions' and queued ones)
                        uow.insert_decision_items(logged + rows)
                except BaseException:
                    if rows:
                        log.exception("%d decision log rows could not be written", len(rows))
                    raise
        except BaseException as exc:  # every set of the batch shares the unit's fate
            error = exc
        for slot in batch:
            slot.error = error
            slot.notify()


def _outcome(slot: _Slot) -> dict[str, int] | None:
    if slot.error is not None:
        raise slot.error
    return slot.refused
