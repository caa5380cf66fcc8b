"""API keys: a random secret shown once, only its SHA-256 kept, listed and revoked, verified with a cache.

Keys are documents of a reserved scope that no HTTP dialect can name. A secret is
`oc_<16 hex key id>_<43 random characters>`: the id finds the document, the hash of the whole
secret (256 random bits, so a plain SHA-256 is enough) is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from offer_catalog.auth.principal import SCOPES, Principal, Tenant
from offer_catalog.documents import service as documents
from offer_catalog.documents.model import Actor, Document, utc_now
from offer_catalog.documents.query import Query
from offer_catalog.errors import ValidationFailed
from offer_catalog.store.base import Store, UnitOfWork

KEYS_SCOPE: Final = "offer-catalog:auth"
KIND: Final = "api-key"
PREFIX: Final = "oc_"
_ID_LENGTH: Final = 16
CACHE_SECONDS: Final = 1.0


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key as listed: never its secret."""

    id: str
    name: str
    scopes: tuple[str, ...]
    org: str
    sandbox: str | None
    created_at: str
    revoked_at: str | None


def hash_secret(secret: str) -> str:
    """The hex SHA-256 of a secret (what the store keeps)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def key_id_of(secret: str) -> str | None:
    """The key id a presented secret names, or None when it is not shaped like one of our keys."""
    if not secret.startswith(PREFIX) or len(secret) < len(PREFIX) + _ID_LENGTH + 2:
        return None
    key_id = secret[len(PREFIX) : len(PREFIX) + _ID_LENGTH]
    if secret[len(PREFIX) + _ID_LENGTH] != "_" or not all(c in "0123456789abcdef" for c in key_id):
        return None
    return key_id


def _check(name: str, scopes: list[str], org: str) -> None:
    if not name.strip():
        raise ValidationFailed("a key needs a name", code="invalid_value:name")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValidationFailed(
            f"scopes must be among {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}",
            code="invalid_value:scopes",
        )
    if not org.strip():
        raise ValidationFailed("a key needs an organisation", code="invalid_value:org")


def create_key(
    uow: UnitOfWork, *, name: str, scopes: list[str], org: str, sandbox: str | None, actor: Actor
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its secret (shown once, never stored)."""
    _check(name, scopes, org)
    key_id = secrets.token_hex(_ID_LENGTH // 2)
    secret = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    body = {
        "name": name,
        "scopes": sorted(set(scopes)),
        "org": org,
        "sandbox": sandbox,
        "sha256": hash_secret(secret),
        "revokedAt": None,
    }
    doc = documents.create(uow, scope=KEYS_SCOPE, kind=KIND, id=key_id, body=body, actor=actor)
    return _key(doc), secret


def _key(doc: Document) -> ApiKey:
    body: dict[str, Any] = doc.body
    return ApiKey(
        id=doc.id,
        name=body["name"],
        scopes=tuple(body["scopes"]),
        org=body["org"],
        sandbox=body["sandbox"],
        created_at=doc.created_at,
        revoked_at=body["revokedAt"],
    )


def list_keys(uow: UnitOfWork) -> list[ApiKey]:
    """Every key ever created, revoked ones included, oldest first."""
    page = documents.list_documents(uow, scope=KEYS_SCOPE, query=Query(kinds=(KIND,), with_total=False))
    return sorted((_key(doc) for doc in page.items), key=lambda k: (k.created_at, k.id))


def any_key(uow: UnitOfWork) -> bool:
    """True once any key was created (revoked keys count: revoking never turns authentication off)."""
    page = documents.list_documents(
        uow, scope=KEYS_SCOPE, query=Query(kinds=(KIND,), limit=1, with_total=False)
    )
    return bool(page.items)


def revoke_key(uow: UnitOfWork, *, key_id: str, actor: Actor) -> ApiKey:
    """Mark a key revoked (NotFound for an unknown id); revoking twice keeps the first date."""

    def change(body: dict[str, Any]) -> dict[str, Any]:
        return body if body["revokedAt"] else {**body, "revokedAt": utc_now()}

    doc = documents.patch(uow, scope=KEYS_SCOPE, kind=KIND, id=key_id, change=change, actor=actor)
    return _key(doc)


def principal_of(doc: Document | None, secret: str) -> Principal | None:
    """The principal a stored key grants for a presented secret; None when unknown, wrong or revoked."""
    if doc is None or doc.deleted or not isinstance(doc.body, dict):
        return None
    body = doc.body
    if not hmac.compare_digest(str(body.get("sha256", "")), hash_secret(secret)) or body.get("revokedAt"):
        return None
    return Principal(
        id=body["name"],
        scopes=frozenset(body["scopes"]),
        tenants=(Tenant(body["org"], body["sandbox"]),),
        client=doc.id,
    )


class KeyRing:
    """Verified keys and the "any key exists" answer cached for about a second (revokes propagate)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self._exists: tuple[float, bool] = (-1.0, False)

    def exists_cached(self) -> bool | None:
        """The cached "any key exists" answer, or None when it must be read again."""
        checked, value = self._exists
        return value if value or self.clock() - checked < CACHE_SECONDS else None

    def exists(self, store: Store) -> bool:
        """True when any key is stored (cached briefly; once True it stays True in this process)."""
        known = self.exists_cached()
        if known is not None:
            return known
        with store.unit_of_work() as uow:
            value = any_key(uow)
        self._exists = (self.clock(), value)
        return value

    def cached(self, secret: str) -> tuple[bool, Principal | None]:
        """(hit, principal) from the cache, without touching the store."""
        entry = self._entries.get(secret)
        if entry is None or self.clock() - entry[0] >= CACHE_SECONDS:
            return False, None
        return True, entry[1]

    def verify(self, store: Store, secret: str) -> Principal | None:
        """The principal of a presented secret (None when it is not a valid, unrevoked key)."""
        hit, principal = self.cached(secret)
        if hit:
            return principal
        key_id = key_id_of(secret)
        if key_id is None:
            return None
        with store.unit_of_work() as uow:
            doc = uow.fetch(KEYS_SCOPE, KIND, key_id)
        principal = principal_of(doc, secret)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[secret] = (self.clock(), principal)
        return principal
