"""Hub subscriptions: register, read, list and remove listeners; read and replay their dead letters."""

from __future__ import annotations

import time
import uuid

from offer_catalog.documents.model import Delivery, Subscription, utc_now
from offer_catalog.errors import NotFound, ValidationFailed
from offer_catalog.events.targets import check_callback
from offer_catalog.store.base import UnitOfWork
from offer_catalog.store.delivery_tables import DEAD, DELIVERED, PENDING
from offer_catalog.tmf620.resources import ALL_BASE_PATHS, SCOPE, STANDARD_BASE

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
    scope: str = SCOPE,
) -> Subscription:
    """Register a listener: callback checked (form and resolved addresses), query stored as given."""
    checked = check_callback(callback, allow_private=allow_private)
    if query is not None and not isinstance(query, str):
        raise ValidationFailed("query must be a string", code="invalid_type:query")
    if secret is not None and (not isinstance(secret, str) or not 16 <= len(secret) <= 256):
        raise ValidationFailed("secret must be a string of 16-256 characters", code="invalid_value:secret")
    if base_path not in ALL_BASE_PATHS:
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
        scope=scope,
    )
    uow.delivery_tables().add_subscription(sub)
    return sub


def get_subscription(uow: UnitOfWork, *, id: str, scope: str | None = None) -> Subscription:
    """One subscription; NotFound when unknown (or made in another scope than a given one)."""
    sub = uow.delivery_tables().subscription(id)
    if sub is None or (scope is not None and sub.scope != scope):
        raise NotFound(f"subscription {id!r} not found", details={"id": id})
    return sub


def list_subscriptions(uow: UnitOfWork, *, scope: str | None = None) -> list[Subscription]:
    """Every subscription (of one scope, when given), oldest first."""
    subs = uow.delivery_tables().subscriptions()
    return subs if scope is None else [sub for sub in subs if sub.scope == scope]


def delete_subscription(uow: UnitOfWork, *, id: str, scope: str | None = None) -> None:
    """Remove a subscription and its queued deliveries; NotFound when unknown."""
    get_subscription(uow, id=id, scope=scope)
    if not uow.delivery_tables().remove_subscription(id):
        raise NotFound(f"subscription {id!r} not found", details={"id": id})


def deliveries(
    uow: UnitOfWork, *, id: str, status: str, limit: int = 1000, scope: str | None = None
) -> list[Delivery]:
    """A subscription's deliveries in one status (pending, delivered, dead), oldest first."""
    get_subscription(uow, id=id, scope=scope)
    if status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}", code="invalid_value:status")
    return uow.delivery_tables().deliveries(id, status, limit)


def dead_letters(uow: UnitOfWork, *, id: str, limit: int = 1000, scope: str | None = None) -> list[Delivery]:
    """The deliveries that ran out of attempts, oldest first."""
    return deliveries(uow, id=id, status=DEAD, limit=limit, scope=scope)


def replay_dead_letters(uow: UnitOfWork, *, id: str, scope: str | None = None) -> int:
    """Queue a subscription's dead letters again with fresh attempts; how many were queued."""
    get_subscription(uow, id=id, scope=scope)
    return uow.delivery_tables().replay_dead(id, time.time())
