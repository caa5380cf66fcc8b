"""The decision log: what each decision proposed, keyed by proposition id, with a hashed profile key.

A decision (not a dry run) adds one row per option proposed (rank 1..n, with its score), per
fallback given (rank 0) and per offer left out because a cap was reached (rank NULL), for every
(activity, placement) scope of every profile, in the same transaction as its counter increments.
Every row carries the container's change number the snapshot was compiled at and the profile key:
HMAC-SHA256 of `profile:<namespace>:<identity>` (the profile's counter scope, capping.py) under a
per-deployment secret (the `decision_log_secret`
setting, or one generated and stored in the database on first use). Rows older than the retention
period are deleted by a sweep that runs at most once per `SWEEP_SECONDS` in each process.

The rows of a decision that draws no counter need no transaction of their own: they are queued and
written with the next counter commit (`commits.CounterWriter`), or by a background thread every
`FLUSH_SECONDS` (or as soon as `FLUSH_ROWS` are queued), many decisions per transaction, so the
response does not wait for a commit. Events recorded in the same
process flush the queue first; another worker process sees the rows at most about `FLUSH_SECONDS`
later. Rows still queued when the process dies are lost (the decision's counters, if any, are not:
those rows are written with them).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from offer_catalog.decisioning.capping import profile_scope
from offer_catalog.decisioning.engine import DecisionResult
from offer_catalog.decisioning.request import DecisionRequest
from offer_catalog.store.base import Store
from offer_catalog.store.decision_log import DecisionItem

SECRET_NAME: Final = "decision-log-profile-key"
SWEEP_SECONDS: Final = 600.0
FLUSH_SECONDS: Final = 0.05
FLUSH_ROWS: Final = 2000


def timestamp(moment: datetime) -> str:
    """A stored timestamp: RFC 3339 UTC with microseconds and `Z` (sorts as text)."""
    # isoformat is several times cheaper than strftime; its first 26 characters are the same text
    return moment.isoformat(timespec="microseconds")[:26] + "Z"


def scope_hash(key: bytes, scope: str) -> str:
    """Hex HMAC-SHA256 of a profile's counter scope (`profile:<namespace>:<identity>`)."""
    return hmac.new(key, scope.encode(), hashlib.sha256).hexdigest()


def profile_key(key: bytes, namespace: str, identity: str) -> str:
    """The privacy-preserving key of a profile identity (the keyed hash of its counter scope)."""
    return scope_hash(key, profile_scope(namespace, identity))


log = logging.getLogger(__name__)


class DeferredRows:
    """Queued log rows of decisions that drew no counter, written by one background thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._rows: list[DecisionItem] = []
        self._store: Store | None = None
        self._thread: threading.Thread | None = None
        self._writing = threading.Lock()

    def add(self, store: Store, rows: Sequence[DecisionItem]) -> None:
        """Queue rows; the writer thread commits them within about `FLUSH_SECONDS`."""
        with self._cond:
            self._store = store
            self._rows.extend(rows)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
                self._thread.start()
            if len(self._rows) >= FLUSH_ROWS:
                self._cond.notify()

    @contextmanager
    def taken(self) -> Iterator[list[DecisionItem]]:
        """Every queued row, for the caller to write within the block (the counter writer's commit).

        `flush` waits for the block: rows taken are committed (or dropped) when it returns.
        """
        with self._writing:
            with self._cond:
                rows, self._rows = self._rows, []
            yield rows

    def flush(self) -> None:
        """Write every queued row now (in the caller's thread)."""
        with self._writing:
            with self._cond:
                rows, self._rows = self._rows, []
                store = self._store
            if rows and store is not None:
                with store.unit_of_work(write=True) as uow:
                    uow.insert_decision_items(rows)

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._rows:
                    self._cond.wait(timeout=1.0)
                    if not self._rows:
                        self._thread = None
                        return
                else:
                    self._cond.wait(timeout=FLUSH_SECONDS)
            try:
                self.flush()
            except Exception:  # the store is closing or unavailable: the rows are dropped, logged
                log.exception("decision log rows could not be written")


@dataclass
class DecisionLog:
    """Whether decisions are logged, the profile-hash secret, and the retention sweep of one process."""

    enabled: bool = True
    secret: str = ""  # configured secret; empty: generated once and kept in the database
    retention_days: int = 90  # 0 keeps rows forever
    _key: bytes | None = field(default=None, repr=False)
    _last_sweep: float = field(default=float("-inf"), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    deferred: DeferredRows = field(default_factory=DeferredRows, repr=False)

    @property
    def key_ready(self) -> bool:
        """Whether `key` answers without touching the store."""
        return self._key is not None

    def key(self, store: Store) -> bytes:
        """The HMAC key: the configured secret, else the stored one (created on first use)."""
        if self._key is None:
            with self._lock:
                if self._key is None:
                    secret = self.secret
                    if not secret:
                        with store.unit_of_work(write=True) as uow:
                            secret = uow.deployment_secret(SECRET_NAME, secrets.token_hex(32))
                    self._key = secret.encode()
        return self._key

    def sweep_due(self) -> bool:
        """Whether `sweep` would delete now (retention on, the interval passed)."""
        return self.retention_days > 0 and time.monotonic() - self._last_sweep >= SWEEP_SECONDS

    def sweep(self, store: Store, now: datetime, *, force: bool = False) -> int:
        """Delete rows past retention (at most once per `SWEEP_SECONDS` unless forced); rows deleted."""
        if self.retention_days <= 0:
            return 0
        clock = time.monotonic()
        with self._lock:
            if not force and clock - self._last_sweep < SWEEP_SECONDS:
                return 0
            self._last_sweep = clock
        cutoff = timestamp(now - timedelta(days=self.retention_days))
        with store.unit_of_work(write=True) as uow:
            return uow.delete_decision_log_before(cutoff)


def log_items(
    result: DecisionResult,
    request: DecisionRequest,
    *,
    container_id: str,
    change_seq: int,
    decided_at: str,
    key: bytes,
) -> list[DecisionItem]:
    """The log rows of a decision: options, fallbacks and capped-out offers of every scope."""
    items: list[DecisionItem] = []
    for profile, response in zip(request.profiles, result.responses, strict=True):
        pkey = profile_key(key, profile.namespace, profile.identity)
        proposition_id = str(response["xdm:propositionId"])
        scope_key = profile_scope(profile.namespace, profile.identity)
        first_activity: dict[str, str] = {}

        base = (proposition_id, container_id, decided_at, pkey, change_seq)
        for proposition in response["xdm:propositions"]:
            activity = str(proposition["xdm:activity"]["xdm:id"])
            placement = str(proposition["xdm:placement"]["xdm:id"])
            first_activity.setdefault(placement, activity)
            options: list[Mapping[str, Any]] = proposition.get("xdm:options") or []
            for rank, option in enumerate(options, start=1):
                score = option.get("xdm:score")
                items.append(
                    DecisionItem(
                        *base,
                        activity,
                        placement,
                        str(option["xdm:id"]),
                        rank,
                        float(score) if isinstance(score, int | float) else None,
                    )
                )
            if "xdm:fallback" in proposition:
                fallback = str(proposition["xdm:fallback"]["xdm:id"])
                items.append(DecisionItem(*base, activity, placement, fallback, 0, None))
        # A cap met is attributed to the first scope of the response on its placement.
        seen: set[tuple[str, str]] = set()
        for capped_scope, placement, offer in result.capped:
            if capped_scope == scope_key and placement in first_activity and (placement, offer) not in seen:
                seen.add((placement, offer))
                items.append(DecisionItem(*base, first_activity[placement], placement, offer, None, None))
    return items
