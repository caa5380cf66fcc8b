"""The outbox relay: committed outbox events become deliveries for the subscriptions they match.

One relay per database: the lease `events` (renewed by its holder, taken over when it expires) says which
process relays and delivers. The relay's position moves in the transaction that queues the deliveries,
so an event is queued exactly once even across crashes and takeovers.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import orjson

from offer_catalog.documents.model import Subscription
from offer_catalog.events.filters import Filter, matches, subscription_filter
from offer_catalog.events.tmf620 import Notification, envelope, event_type, notifications
from offer_catalog.metrics import observe_outbox_lag
from offer_catalog.store.base import Store
from offer_catalog.store.delivery_tables import NewDelivery

LEASE = "events"
POSITION = "tmf620"


def take_lease(store: Store, *, holder: str, ttl: float) -> bool:
    """Acquire or renew the relay lease; False while another process holds it."""
    with store.unit_of_work(write=True) as uow:
        return uow.delivery_tables().take_lease(LEASE, holder, ttl)


def drop_lease(store: Store, *, holder: str) -> None:
    """Release the lease (on shutdown) so another process takes over at once."""
    with store.unit_of_work(write=True) as uow:
        uow.delivery_tables().drop_lease(LEASE, holder)


def _rows(subs: list[tuple[Subscription, Filter]], note: Notification, now: float) -> list[NewDelivery]:
    rows: list[NewDelivery] = []
    standard: dict[str, dict[str, Any]] = {}
    rendered: dict[tuple[str, str], str] = {}
    for sub, flt in subs:
        if sub.scope != note.doc.scope or sub.created_at > note.occurred_at:
            continue  # another organisation's write, or written before the subscription existed
        if flt:
            # A filter reads the envelope of the subscription's release (v4 and v5 name members apart).
            if sub.base_path not in standard:
                standard[sub.base_path] = envelope(note, base_path=sub.base_path, name_style="standard")
            if not matches(flt, standard[sub.base_path]):
                continue
        key = (sub.base_path, sub.name_style)
        if key not in rendered:
            body = envelope(note, base_path=sub.base_path, name_style=sub.name_style)
            rendered[key] = orjson.dumps(body).decode()
        rows.append(
            (
                sub.id,
                note.event_id,
                event_type(note, sub.base_path),
                rendered[key],
                now,
                note.occurred_at,
                note.doc.version,
            )
        )
    return rows


def has_backlog(store: Store) -> bool:
    """True when committed outbox events wait past the relay's cursor (a read: no write lock taken)."""
    with store.unit_of_work() as uow:
        tables = uow.delivery_tables()
        return bool(tables.relay_events(tables.relay_position(POSITION), 1))


def relay_once(store: Store, *, holder: str, ttl: float, limit: int = 200) -> int | None:
    """Relay one batch; the number of outbox events handled, or None when another process holds the lease."""
    with store.unit_of_work(write=True) as uow:
        tables = uow.delivery_tables()
        if not tables.take_lease(LEASE, holder, ttl):
            return None
        batch = tables.relay_events(tables.relay_position(POSITION), limit)
        if not batch:
            return 0
        subs = [(sub, subscription_filter(sub.query)) for sub in tables.subscriptions()]
        rows: list[NewDelivery] = []
        if subs:
            now = time.time()
            for _, event in batch:
                for note in notifications(uow, event):
                    rows.extend(_rows(subs, note, now))
        tables.add_deliveries(rows)
        tables.set_relay_position(POSITION, batch[-1][0])
    relayed = time.time()
    for _, event in batch:
        observe_outbox_lag(relayed - datetime.fromisoformat(event.occurred_at).timestamp())
    return len(batch)
