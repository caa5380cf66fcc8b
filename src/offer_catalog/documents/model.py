"""The stored document, its audit actor and the outbox event, as plain immutable data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

CREATED = "created"
UPDATED = "updated"
DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who writes: the user (token subject) and the client (API key) it writes through."""

    user: str | None = None
    client: str | None = None


SYSTEM = Actor(user="system", client="offer-catalog")


class Document(msgspec.Struct, frozen=True):
    """One version of a document; `version` is the etag (1 on create, +1 on every write).

    `body` is shared, never copied: treat it as immutable (the patch engine returns new
    documents that share untouched subtrees with the old ones).
    """

    scope: str
    kind: str
    id: str
    version: int
    body: Any
    created_at: str
    created_by: str | None
    created_by_client: str | None
    modified_at: str
    modified_by: str | None
    modified_by_client: str | None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Event:
    """An outbox row: written in the same transaction as the change it records."""

    seq: int
    scope: str
    kind: str
    id: str
    version: int
    change: str
    occurred_at: str


def utc_now() -> str:
    """The current UTC time as RFC 3339 with microseconds and a Z suffix (sortable as text)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(value: str) -> datetime:
    """Parse a stored timestamp back into an aware datetime."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A TMF620 hub registration: where to POST events, which ones, and how to render them."""

    id: str
    callback: str
    query: str | None
    secret: str | None
    base_path: str
    name_style: str
    created_at: str
    scope: str = "tmf620"
    """The document scope (organisation) whose writes it hears."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event rendered for one subscription, with its delivery state."""

    id: int
    subscription_id: str
    event_id: str
    event_type: str
    payload: str
    status: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    created_at: str
    resource_version: int | None = None
