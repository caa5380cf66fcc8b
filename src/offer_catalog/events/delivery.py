"""Webhook delivery: at-least-once POSTs with retries, backoff and jitter, dead letters, HMAC signatures.

Per subscription, deliveries go out in the order they were queued: a failing one holds the ones behind
it until it succeeds or becomes a dead letter. Each attempt re-checks the callback's resolved address
(DNS rebinding) and connects to the address it checked.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from offer_catalog.documents.model import Delivery, Subscription
from offer_catalog.errors import ValidationFailed
from offer_catalog.events.broker import BROKER_ID, NatsSink
from offer_catalog.events.targets import check_addresses, parse_callback, pinned_url, resolve
from offer_catalog.store.base import Store

SIGNATURE_HEADER = "X-Offer-Catalog-Signature"
TIMESTAMP_HEADER = "X-Offer-Catalog-Timestamp"
EVENT_ID_HEADER = "X-Offer-Catalog-Event-Id"
RESOURCE_VERSION_HEADER = "X-Offer-Catalog-Resource-Version"
BATCH = 50
Sink = NatsSink


@dataclass(frozen=True, slots=True)
class Policy:
    """Retry and safety settings of the deliverer (seconds)."""

    max_attempts: int
    backoff: float
    backoff_max: float
    timeout: float
    allow_private: bool


def backoff_delay(policy: Policy, attempts: int) -> float:
    """Seconds before the next attempt: exponential, capped, with full jitter in its upper half."""
    ceiling = min(policy.backoff_max, policy.backoff * 2.0 ** max(attempts - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 with the subscription's secret over `<timestamp>.<raw body>`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def headers_for(sub: Subscription, delivery: Delivery, body: bytes) -> dict[str, str]:
    """The request headers of one delivery (signature headers when the subscription has a secret)."""
    headers = {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: delivery.event_id,
        "X-Offer-Catalog-Event-Type": delivery.event_type,
    }
    if delivery.resource_version is not None:
        headers[RESOURCE_VERSION_HEADER] = str(delivery.resource_version)
    if sub.secret:
        timestamp = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = signature(sub.secret, timestamp, body)
    return headers


async def send(
    client: httpx.AsyncClient, sub: Subscription, delivery: Delivery, policy: Policy, sink: Sink | None = None
) -> str | None:
    """POST one delivery (or publish it to the broker sink); None on success, else what went wrong."""
    if sub.id == BROKER_ID:
        return "broker: no broker configured" if sink is None else await sink.publish(delivery)
    body = delivery.payload.encode()
    headers = headers_for(sub, delivery, body)
    try:
        target = parse_callback(sub.callback)
        url = sub.callback
        extensions: dict[str, str] = {}
        if not policy.allow_private:
            addresses = await asyncio.to_thread(resolve, target.host, target.port)
            url = pinned_url(target, check_addresses(target, addresses, allow_private=False))
            headers["Host"] = target.url.netloc
            extensions["sni_hostname"] = target.host
        response = await client.post(
            url, content=body, headers=headers, timeout=policy.timeout, extensions=extensions
        )
    except ValidationFailed as exc:
        return f"{exc.code}: {exc.message}"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


def _claim(store: Store, sub_id: str, policy: Policy) -> tuple[Subscription | None, list[Delivery], float]:
    # A claim lasts two timeouts: a sender that died frees its batch quickly, and a live sender stops
    # sending (and releases the rest) before its claim could run out mid-request.
    now = time.time()
    until = now + 2 * policy.timeout + 5
    with store.unit_of_work(write=True) as uow:
        tables = uow.delivery_tables()
        sub = tables.subscription(sub_id)
        if sub is None:
            return None, [], until
        return sub, tables.claim(sub_id, now, until, BATCH), until


def _record(store: Store, done: list[int], failed: Delivery | None, error: str, policy: Policy) -> None:
    with store.unit_of_work(write=True) as uow:
        tables = uow.delivery_tables()
        tables.finish(done)
        if failed is not None:
            attempts = failed.attempts + 1
            dead = attempts >= policy.max_attempts
            at = time.time() + (0 if dead else backoff_delay(policy, attempts))
            tables.retry_later(failed.id, attempts, at, error, dead)


async def deliver_subscription(
    store: Store, client: httpx.AsyncClient, sub_id: str, policy: Policy, sink: Sink | None = None
) -> int:
    """Send a subscription's due deliveries in order until one fails; how many were delivered."""
    sub, claimed, until = await asyncio.to_thread(_claim, store, sub_id, policy)
    if sub is None or not claimed:
        return 0
    done: list[int] = []
    failed: Delivery | None = None
    error = ""
    for delivery in claimed:
        if time.time() + policy.timeout + 1 > until:
            break
        problem = await send(client, sub, delivery, policy, sink)
        if problem is not None:
            failed, error = delivery, problem
            break
        done.append(delivery.id)
    # Claims not reached after a failure are released: they go out, in order, after the failed one.
    await asyncio.to_thread(_record, store, done, failed, error, policy)
    handled = len(done) + (failed is not None)
    if handled < len(claimed):
        await asyncio.to_thread(_release, store, [d.id for d in claimed[handled:]])
    return len(done)


def _release(store: Store, ids: list[int]) -> None:
    with store.unit_of_work(write=True) as uow:
        uow.delivery_tables().release(ids)


def _due(store: Store, limit: int) -> list[str]:
    with store.unit_of_work() as uow:
        return uow.delivery_tables().due_subscriptions(time.time(), limit)


async def deliver_once(
    store: Store,
    client: Callable[[], httpx.AsyncClient],
    policy: Policy,
    *,
    sink: Sink | None = None,
    limit: int = 32,
) -> int:
    """One round: every subscription with a due delivery sends its queue concurrently; how many went out."""
    due = await asyncio.to_thread(_due, store, limit)
    if not due:
        return 0
    http = client()
    counts = await asyncio.gather(*(deliver_subscription(store, http, sub, policy, sink) for sub in due))
    return sum(counts)
