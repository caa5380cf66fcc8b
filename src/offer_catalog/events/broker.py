"""The message-broker sink: the same envelopes published to NATS JetStream, acknowledged before they count.

When `hub_broker_url` is set, the service keeps one built-in subscription (id `broker`) whose
deliveries are published to `<hub_broker_subject>.<eventType>` instead of POSTed; a delivery is
marked delivered only once JetStream acknowledges it, so the usual retries, ordering and dead
letters apply, and a broker restart loses nothing. `Nats-Msg-Id` is the eventId (broker-side
duplicate suppression).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import nats
from nats.js.errors import NotFoundError

from offer_catalog.documents.model import Delivery, Subscription, utc_now
from offer_catalog.store.base import UnitOfWork
from offer_catalog.tmf620.resources import STANDARD_BASE

BROKER_ID = "broker"


def stream_name(subject: str) -> str:
    """The JetStream stream that holds a subject prefix's events."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", subject).upper()


def ensure_broker_subscription(uow: UnitOfWork, *, name_style: str) -> Subscription:
    """The built-in broker subscription, made once (the URL is read from the settings when sending)."""
    tables = uow.delivery_tables()
    current = tables.subscription(BROKER_ID)
    if current is not None:
        return current
    sub = Subscription(BROKER_ID, "broker:", None, None, STANDARD_BASE, name_style, utc_now())
    tables.add_subscription(sub)
    return sub


async def _quiet(exc: Exception) -> None:
    """Connection errors surface as failed attempts (with their message); nothing to print."""


class NatsSink:
    """A lazily opened JetStream connection that publishes deliveries and waits for their acks."""

    def __init__(self, url: str, subject: str, timeout: float):
        self.url = url
        self.subject = subject
        self.timeout = timeout
        self._conn: Any = None
        self._js: Any = None

    async def _jetstream(self) -> Any:
        if self._conn is None or self._conn.is_closed:
            self._conn = await asyncio.wait_for(
                nats.connect(
                    self.url,
                    connect_timeout=self.timeout,
                    max_reconnect_attempts=0,
                    allow_reconnect=False,
                    error_cb=_quiet,
                ),
                self.timeout,
            )
            self._js = self._conn.jetstream(timeout=self.timeout)
            name = stream_name(self.subject)
            try:
                await self._js.stream_info(name)
            except NotFoundError:
                await self._js.add_stream(name=name, subjects=[f"{self.subject}.>"])
        return self._js

    async def publish(self, delivery: Delivery) -> str | None:
        """Publish one delivery; None once JetStream acknowledged it, else what went wrong."""
        try:
            js = await self._jetstream()
            await js.publish(
                f"{self.subject}.{delivery.event_type}",
                delivery.payload.encode(),
                headers={"Nats-Msg-Id": delivery.event_id},
            )
        except Exception as exc:  # any broker failure is a failed attempt, retried later
            await self.close()
            return f"broker: {type(exc).__name__}: {exc}"[:500]
        return None

    async def close(self) -> None:
        """Close the connection (reopened on the next publish)."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed:
            try:
                await conn.close()
            except Exception:  # closing a broken connection may fail; it is gone either way
                return
