"""Batch decisioning: NDJSON profiles in, one NDJSON decision response per line out.

Capping follows Adobe's batch decisioning: the counters are frozen for the job. Each counter a
decision asks for is read from the store once, on first use, and every decision of the job sees
that value; the job never writes a counter (a batch run neither consumes caps nor is limited by
what it proposes itself). Batch decisions are not written to the decision log.

Each output line is the decision response of the input line's profile (`xdm:propositionId`,
`xdm:propositions`, ...), or `{"line": n, "error": {"code", "message"}}` when that profile cannot
be decided (invalid JSON, missing identity); a request-wide problem (unknown activity, placement)
stops the job before its first line.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import IO, Any

import orjson

from offer_catalog.decisioning.capping import instant_text
from offer_catalog.decisioning.decision_log import scope_hash
from offer_catalog.decisioning.engine import decide, validate
from offer_catalog.decisioning.request import DecisionRequestError, parse_profile, parse_request
from offer_catalog.decisioning.service import Caches
from offer_catalog.store.base import Store, UnitOfWork


class FrozenCounters:
    """A counter view read from the store once per key, then fixed for the whole job."""

    def __init__(self, store: Store, now: str | None = None) -> None:
        self._store = store
        self._now = now  # `capping.instant_text`: expired per-profile counters read 0
        self._values: dict[str, int] = {}

    def count(self, key: str) -> int:
        """The value the key had when the job first asked for it."""
        value = self._values.get(key)
        if value is None:
            with self._store.unit_of_work() as uow:
                value = self._values[key] = uow.read_counters([key], self._now).get(key, 0)
        return value


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Lines decided, lines answered with an error, and whether the job stopped early."""

    decided: int
    failed: int
    stopped: bool


def decide_batch(
    store: Store,
    *,
    container_id: str,
    scopes: Sequence[tuple[str, str, int]],
    lines: Iterable[bytes],
    out: IO[bytes],
    now: datetime,
    caches: Caches,
    rng: random.Random | None = None,
    check: Callable[[UnitOfWork], object] | None = None,
    progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    first_line: int = 1,
) -> BatchResult:
    """Decide every profile line for the (activity, placement, item count) scopes; write NDJSON lines.

    `first_line` numbers the first of `lines` (a resumed job continues the numbering).
    """
    rng = rng or random.Random()
    requests = [{"xdm:activityId": a, "xdm:placementId": p, "xdm:itemCount": n} for a, p, n in scopes]
    template: dict[str, Any] = {
        "xdm:propositionRequests": requests,
        "xdm:responseFormat": {"xdm:includeContent": True},
    }
    snapshot = caches.snapshots.get(store, container_id, check=check).snapshot
    placeholder = {"xdm:identityMap": {"batch": [{"xdm:id": "check"}]}}
    base = parse_request({**template, "xdm:profiles": [placeholder]})  # parsed once; each line's profile
    validate(snapshot, base)
    counters = FrozenCounters(store, instant_text(now))
    key = caches.log.key(store)
    hashes: dict[str, str] = {}

    def profile_key(scope: str) -> str:
        found = hashes.get(scope)
        if found is None:
            found = hashes[scope] = scope_hash(key, scope)
        return found

    decided = failed = 0
    for number, raw in enumerate(lines, start=first_line):
        if should_stop is not None and should_stop():
            return BatchResult(decided, failed, True)
        if not raw.strip():
            continue
        try:
            request = replace(base, profiles=(parse_profile(orjson.loads(raw)),))
            result = decide(snapshot, request, now=now, counters=counters, rng=rng, profile_key=profile_key)
            out.write(orjson.dumps(result.response) + b"\n")
            decided += 1
        except orjson.JSONDecodeError as exc:
            out.write(
                orjson.dumps({"line": number, "error": {"code": "invalid_json", "message": str(exc)}}) + b"\n"
            )
            failed += 1
        except DecisionRequestError as exc:
            out.write(
                orjson.dumps({"line": number, "error": {"code": exc.code, "message": exc.message}}) + b"\n"
            )
            failed += 1
        if progress is not None:
            progress(number)
    return BatchResult(decided, failed, False)
