"""The background task the app runs: relay and deliver events while this process holds the lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpx

from offer_catalog.events.broker import NatsSink, ensure_broker_subscription
from offer_catalog.events.delivery import Policy, deliver_once
from offer_catalog.events.jobs import Stopped, run_job, unfinished
from offer_catalog.events.relay import drop_lease, has_backlog, relay_once, take_lease
from offer_catalog.settings import Settings
from offer_catalog.store.base import Store

log = logging.getLogger("offer_catalog.events")


def policy_of(settings: Settings) -> Policy:
    """The delivery policy the settings describe."""
    return Policy(
        max_attempts=settings.hub_max_attempts,
        backoff=settings.hub_backoff_ms / 1000,
        backoff_max=settings.hub_backoff_max_ms / 1000,
        timeout=settings.hub_timeout_ms / 1000,
        allow_private=settings.hub_allow_private_targets,
    )


class JobRunner:
    """Runs unfinished import/export jobs, one at a time in a thread, while this process holds the lease."""

    def __init__(self, store: Store, directory: str, every: float = 1.0) -> None:
        self.store, self.every = store, every
        self.directory = Path(directory) if directory else None
        self.stop = threading.Event()
        self.task: asyncio.Future[None] | None = None
        self.checked = 0.0

    def poll(self) -> None:
        """Start working through the jobs unless a run is going on (looked at once a second at most)."""
        now = time.monotonic()
        if self.directory is None or (self.task is not None and not self.task.done()):
            return
        if now - self.checked < self.every:
            return
        self.checked = now
        self.task = asyncio.ensure_future(asyncio.to_thread(self._work, self.directory))

    def _work(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for job in unfinished(self.store):
            if self.stop.is_set():
                return
            try:
                run_job(self.store, job, directory, self.stop)
            except Stopped:
                return
            except Exception:  # a store outage: the job stays unfinished and runs again
                log.exception("job failed to run", extra={"job": job.id})
                return

    async def close(self) -> None:
        """Stop between lines: a running job stays `running` and the next holder runs it again."""
        self.stop.set()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await self.task


def new_holder() -> str:
    """A lease holder name unique to this process and run."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def run_events(
    store: Store, settings: Settings, stop: asyncio.Event, *, holder: str | None = None
) -> None:
    """Relay and deliver until stop is set; only the lease holder works, the others wait to take over."""
    holder = holder or new_holder()
    policy = policy_of(settings)
    ttl, poll = settings.hub_lease_ms / 1000, settings.hub_poll_ms / 1000
    sink = None
    if settings.hub_broker_url:
        sink = NatsSink(settings.hub_broker_url, settings.hub_broker_subject, policy.timeout)
        await asyncio.to_thread(_ensure_broker, store, settings)
    clients: list[httpx.AsyncClient] = []

    def client() -> httpx.AsyncClient:
        # Made on the first delivery: building one (TLS context) costs a noticeable fraction of a second.
        if not clients:
            clients.append(httpx.AsyncClient(follow_redirects=False, trust_env=False))
        return clients[0]

    jobs = JobRunner(store, settings.export_dir)
    busy = held = False
    renewed = float("-inf")  # when this process last took or renewed the lease (time.monotonic)
    try:
        while True:
            # Idle rounds (and the first one) wait a poll interval: an app that lives shorter never
            # touches the database for events.
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll)
            if stop.is_set():
                break
            busy = False
            try:
                relayed, renewed = await _relay(store, holder, ttl, renewed)
                if relayed is not None:
                    held = True
                    jobs.poll()
                    sent = await _delivering(
                        deliver_once(store, client, policy, sink=sink), store, holder, ttl
                    )
                    busy = bool(relayed or sent)
            except Exception:  # a store outage must not end the task: log and try again
                log.exception("event relay failed")
    finally:
        await jobs.close()
        if held:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(drop_lease, store, holder=holder)
        for made in clients:
            await made.aclose()
        if sink is not None:
            await sink.close()


async def _relay(store: Store, holder: str, ttl: float, renewed: float) -> tuple[int | None, float]:
    """Relay a batch: (what relay_once answers, when the lease was last renewed by this process).

    The relay is a write transaction (it renews the lease). While this process holds a lease renewed
    less than a third of it ago, an idle round only reads whether anything waits: SQLite then takes no
    write lock (and no fsync) every poll interval, which would slow the API's writes down.
    """
    started = time.monotonic()
    if started - renewed < ttl / 3 and not await asyncio.to_thread(has_backlog, store):
        return 0, renewed
    relayed = await asyncio.to_thread(relay_once, store, holder=holder, ttl=ttl)
    return relayed, started if relayed is not None else renewed


async def _delivering(work: Coroutine[Any, Any, int], store: Store, holder: str, ttl: float) -> int:
    # A delivery round can outlast the lease (slow receivers): renew it meanwhile, every third of it.
    done = asyncio.Event()

    async def renew() -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), ttl / 3)
            if done.is_set() or not await asyncio.to_thread(take_lease, store, holder=holder, ttl=ttl):
                return

    renewer = asyncio.create_task(renew())
    try:
        return await work
    finally:
        done.set()
        await renewer


def _ensure_broker(store: Store, settings: Settings) -> None:
    with store.unit_of_work(write=True) as uow:
        ensure_broker_subscription(uow, name_style=settings.tmf_names)
