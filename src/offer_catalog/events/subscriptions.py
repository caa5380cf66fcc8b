"""Hub subscriptions: register, read, list and remove listeners; read and replay their dead letters."""

from __future__ import annotations

import time
import uuid

from offer_catalog.documents.model import Delivery, Subscription, utc_now
from offer_catalog.errors import NotFound, ValidationFailed
from offer_catalog.events.filters import parse_filter
from offer_catalog.events.targets import check_callback
from offer_catalog.store.base import UnitOfWork
from offer_catalog.store.delivery_tables import DEAD, DELIVERED, PENDING
from offer_catalog.tmf620.resources import BASE_PATHS, STANDARD_BASE

NAME_STYLES = ("standard", "oracle")
STATUSES = (PENDING, DELIVERED, DEAD)


def create_subscription(
    uow: UnitOfWork,
    *,
    callback: object,
    query: object = None,
    secret: object = None,
    base_path: str = STANDARD_BASE,
    name_style: str = "standard",
    allow_private: bool = False,
) -> Subscription:
    """Register a listener: callback checked (form and resolved addresses), query parsed, stored."""
    checked = check_callback(callback, allow_private=allow_private)
    if query is not None and not isinstance(query, str):
        raise ValidationFailed("query must be a string", code="invalid_type:query")
    parse_filter(query)
    if secret is not None and (not isinstance(secret, str) or not 16 <= len(secret) <= 256):
        raise ValidationFailed("secret must be a string of 16-256 characters", code="invalid_value:secret")
    if base_path not in BASE_PATHS:
        raise ValidationFailed(f"unknown base path {base_path!r}", code="invalid_value:base_path")
    if name_style not in NAME_STYLES:
        raise ValidationFailed(f"unknown name style {name_style!r}", code="invalid_value:name_style")
    sub = Subscription(
        id=str(uuid.uuid4()),
        callback=checked,
        query=query or None,
        secret=secret,
        base_path=base_path,
        name_style=name_style,
        created_at=utc_now(),
    )
    uow.delivery_tables().add_subscription(sub)
    return sub


def get_subscription(uow: UnitOfWork, *, id: str) -> Subscription:
    """One subscription; NotFound when unknown."""
    sub = uow.delivery_tables().subscription(id)
    if sub is None:
        raise NotFound(f"subscription {id!r} not found", details={"id": id})
    return sub


def list_subscriptions(uow: UnitOfWork) -> list[Subscription]:
    """Every subscription, oldest first."""
    return uow.delivery_tables().subscriptions()


def delete_subscription(uow: UnitOfWork, *, id: str) -> None:
    """Remove a subscription and its queued deliveries; NotFound when unknown."""
    if not uow.delivery_tables().remove_subscription(id):
        raise NotFound(f"subscription {id!r} not found", details={"id": id})


def deliveries(uow: UnitOfWork, *, id: str, status: str, limit: int = 1000) -> list[Delivery]:
    """A subscription's deliveries in one status (pending, delivered, dead), oldest first."""
    get_subscription(uow, id=id)
    if status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}", code="invalid_value:status")
    return uow.delivery_tables().deliveries(id, status, limit)


def dead_letters(uow: UnitOfWork, *, id: str, limit: int = 1000) -> list[Delivery]:
    """The deliveries that ran out of attempts, oldest first."""
    return deliveries(uow, id=id, status=DEAD, limit=limit)


def replay_dead_letters(uow: UnitOfWork, *, id: str) -> int:
    """Queue a subscription's dead letters again with fresh attempts; how many were queued."""
    get_subscription(uow, id=id)
    return uow.delivery_tables().replay_dead(id, time.time())
