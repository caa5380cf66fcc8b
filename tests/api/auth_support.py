"""Credentials for the authentication tests: RSA keys, signed tokens, API keys, settings, store dumps."""

from __future__ import annotations

import sqlite3
import tempfile
import time
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from offer_catalog.auth.keys import create_key, revoke_key
from offer_catalog.documents.model import Actor
from offer_catalog.settings import Settings, load_settings
from offer_catalog.store import Store

ISSUER = "https://idp.test/realms/offers"
AUDIENCE = "offer-catalog"
ALL_SCOPES = ("catalog:read", "catalog:write", "decisions", "events", "admin")
OPS = Actor("ops", "tests")


def rsa_key(name: str = "main") -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key, one per name for the whole session."""
    return _rsa_key(name)


@cache
def _rsa_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(name: str = "main") -> str:
    """The PEM public key of `rsa_key(name)`."""
    der = (
        rsa_key(name)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return der.decode("ascii")


def token(
    *,
    sub: str = "alice",
    scopes: tuple[str, ...] = ALL_SCOPES,
    org: str | list[str] = "ACME@AdobeOrg",
    key: str = "main",
    kid: str | None = None,
    ttl: int = 600,
    **claims: Any,
) -> str:
    """An RS256 token with the configured issuer and audience unless overridden."""
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub,
        "scope": " ".join(scopes),
        "org": org,
        "iat": now,
        "exp": now + ttl,
        "azp": "tests-client",
        **claims,
    }
    headers = {"kid": kid} if kid else None
    return jwt.encode(payload, rsa_key(key), algorithm="RS256", headers=headers)


def bearer(value: str) -> dict[str, str]:
    """The Authorization header for a token or key."""
    return {"Authorization": f"Bearer {value}"}


@cache
def _batch_root() -> tempfile.TemporaryDirectory[str]:
    """One folder per test process for the batch-jobs folders of `jwt_settings`; its finalizer removes it
    (and them) when the process ends."""
    return tempfile.TemporaryDirectory(prefix="batch-jobs-")


def jwt_settings(database_url: str = "sqlite:///unused.db", **extra: Any) -> Settings:
    """Settings that verify RS256 tokens with the session's public key, issuer and audience."""
    values = {
        "database_url": database_url,
        "jwt_public_key": public_pem(),
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        "batch_dir": tempfile.mkdtemp(dir=_batch_root().name),  # batch decisioning jobs' files
        **extra,
    }
    return load_settings(values, environ={})


def make_key(
    store: Store, *, scopes: tuple[str, ...] = ALL_SCOPES, org: str = "ACME@AdobeOrg", revoked: bool = False
) -> str:
    """Create an API key in the store (revoked at once when asked) and return its secret."""
    with store.unit_of_work(write=True) as uow:
        key, secret = create_key(uow, name="tests", scopes=list(scopes), org=org, sandbox=None, actor=OPS)
        if revoked:
            revoke_key(uow, key_id=key.id, actor=OPS)
    return secret


def dump(path: str) -> tuple[list[Any], ...]:
    """Every row of the tables a request can write (documents, history, outbox, counters, decision log,
    hub subscriptions)."""
    tables = (
        "documents",
        "document_versions",
        "events",
        "counters",
        "decision_items",
        "interaction_events",
        "subscriptions",
    )
    with sqlite3.connect(path) as conn:
        return tuple(sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for table in tables)


class AuthedHttp:
    """A client that adds fixed headers to every request (for helpers that build catalogs)."""

    def __init__(self, client: Any, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send with the fixed headers added (they win over the helper's own)."""
        kwargs["headers"] = {**kwargs.get("headers", {}), **self.headers}
        return self.client.request(method, url, **kwargs)
