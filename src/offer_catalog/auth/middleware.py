"""The authentication middleware: every request but /health and /ready shows credentials, has the scope
its route needs and, on the Offer Library and decisioning paths, names one of its tenants.

Pure ASGI. The principal is left in `scope["state"]["principal"]`. Failures answer in the API's
own error body: a TMF `Error` under the TMF620 base paths, problem+json with the platform gateway's
numeric codes (`401013`, `403025`) under /data/core/, plain problem+json elsewhere.
With no authentication configured every caller is the anonymous principal, accepted on loopback
only unless the service runs with `insecure`.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from offer_catalog.auth.jwt import InvalidToken, JwtVerifier, TokenCache
from offer_catalog.auth.keys import PREFIX, KeyRing
from offer_catalog.auth.policy import (
    AUTHENTICATED,
    PUBLIC,
    TENANT_PREFIXES,
    TMF_BASES,
    Policy,
    check_declared,
)
from offer_catalog.auth.principal import ANONYMOUS, Principal
from offer_catalog.errors import QueryTimeout, StoreUnavailable
from offer_catalog.http.errors import STORE_RETRY_AFTER
from offer_catalog.settings import Settings
from offer_catalog.store.base import Store

log = logging.getLogger("offer_catalog.auth")
REALM = 'Bearer realm="offer-catalog"'


class Denied(Exception):
    """A request refused before it reaches its route: 400 (ambiguous headers), 401 (credentials) or
    403 (scope, tenant)."""

    def __init__(self, status: int, reason: str, message: str, scope: str | None = None) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.scope = status, reason, message, scope

    def challenge(self) -> str:
        """The WWW-Authenticate value (RFC 6750)."""
        if self.status == 401 and self.reason == "missing_credentials":
            return REALM
        error = "invalid_token" if self.status == 401 else "insufficient_scope"
        extra = f', scope="{self.scope}"' if self.scope else ""
        return f'{REALM}, error="{error}"{extra}'


# Peer address -> loopback or not; bounded (cleared when full), since parsing one costs microseconds.
_LOOPBACK: dict[str, bool] = {}
_LOOPBACK_MAX = 4096


def is_loopback(client: Any) -> bool:
    """True for a loopback peer, a Unix socket (no address) or an in-process client (no IP)."""
    if not client:
        return True
    host = client[0]
    known = _LOOPBACK.get(host)
    if known is None:
        try:
            known = ipaddress.ip_address(host).is_loopback
        except ValueError:
            known = True
        if len(_LOOPBACK) >= _LOOPBACK_MAX:
            _LOOPBACK.clear()
        _LOOPBACK[host] = known
    return known


def error_body(path: str, exc: Denied, request_id: str, *, oracle: bool = False) -> tuple[bytes, str]:
    """The error body and media type of the API that serves `path` (`oracle`: TMF620 `atType`)."""
    title = {400: "Bad Request", 401: "Unauthorized", 503: "Service Unavailable"}.get(exc.status, "Forbidden")
    if path.startswith(TMF_BASES):
        reason = title
        tmf = {"code": exc.reason, "reason": reason, "message": exc.message, "status": str(exc.status)}
        return orjson.dumps({**tmf, "atType" if oracle else "@type": "Error"}), "application/json"
    code = exc.reason
    if path.startswith(TENANT_PREFIXES) and exc.status in (401, 403):
        code = "401013" if exc.status == 401 else "403025"
    body = {
        "type": f"urn:offer-catalog:problem:{code}",
        "status": exc.status,
        "title": title,
        "detail": exc.message,
        "code": code,
        "error_code": code,
        "message": exc.message,
        "reason": exc.reason,
        "requestId": request_id,
    }
    return orjson.dumps(body), "application/problem+json"


# The headers authentication reads; each must name one value (a repeat of the same value is that value).
_AUTH_HEADERS = (b"authorization", b"x-api-key", b"x-gw-ims-org-id", b"x-sandbox-name")


def auth_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """The request's credential and tenant headers. One sent twice with different values is ambiguous
    (which one authorises the request?): 400 `ambiguous_header`, before any credential is checked."""
    found: dict[bytes, bytes] = {}
    for name, value in raw:
        if name in _AUTH_HEADERS:
            value = value.strip()
            if found.setdefault(name, value) != value:
                shown = name.decode("latin-1")
                raise Denied(
                    400,
                    "ambiguous_header",
                    f"the {shown} header is sent more than once with different values",
                )
    return found


def credential_of(headers: dict[bytes, bytes]) -> str | None:
    """The presented secret: `Authorization: Bearer <x>`, else an `x-api-key` that is one of our keys."""
    raw = headers.get(b"authorization")
    if raw is not None:
        scheme, _, token = raw.decode("latin-1").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Denied(401, "invalid_credentials", "the Authorization header must be 'Bearer <token>'")
        return token.strip()
    key = headers.get(b"x-api-key", b"").decode("latin-1").strip()
    return key if key.startswith(PREFIX) else None


class AuthMiddleware:
    """Authenticate, authorise by the route's scope and tenant, and record the principal."""

    def __init__(self, app: ASGIApp, *, settings: Settings, routes: Iterable[BaseRoute] = ()) -> None:
        check_declared(routes)
        self.app = app
        self.settings = settings
        self.policy = Policy()
        self.keys = KeyRing()
        self.tokens = TokenCache()
        self.verifier = JwtVerifier(settings) if settings.jwt_configured else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        if self.verifier is None and self.keys.exists_cached() is False and self._open_to(scope):
            # No authentication configured and the caller may use the service without: anonymous,
            # whatever scope the route needs (the answer `_principal` gives, without the scope lookup).
            state["principal"] = ANONYMOUS
            await self.app(scope, receive, send)
            return
        try:
            state["principal"] = await self._principal(scope)
        except Denied as exc:
            await self._deny(scope, send, exc)
            return
        except (StoreUnavailable, QueryTimeout) as exc:  # the key store did not answer in time
            await self._deny(scope, send, Denied(503, "store_unavailable", exc.message))
            return
        await self.app(scope, receive, send)

    async def _principal(self, scope: Scope) -> Principal:
        path: str = scope["path"]
        required = self.policy.scope_for(scope["method"], path)
        if required == PUBLIC:
            return ANONYMOUS
        store: Store = scope["app"].state.store
        if not (self.verifier is not None or await self._keys_exist(store)):
            if not self._open_to(scope):
                raise Denied(403, "loopback_only", "authentication is not configured: loopback callers only")
            return ANONYMOUS
        headers = auth_headers(scope["headers"])
        secret = credential_of(headers)
        if secret is None:
            raise Denied(401, "missing_credentials", "credentials are required: a bearer token or an API key")
        principal = await self._authenticate(store, secret)
        if required != AUTHENTICATED and not principal.has_scope(required):
            raise Denied(403, "insufficient_scope", f"this operation needs the {required} scope", required)
        org = headers.get(b"x-gw-ims-org-id", b"").decode("latin-1").strip()
        if org and path.startswith(TENANT_PREFIXES):
            sandbox = headers.get(b"x-sandbox-name", b"").decode("latin-1").strip()
            if sandbox and not principal.may_act_in(org, sandbox):
                raise Denied(403, "tenant_not_allowed", "the credentials do not grant this org and sandbox")
        elif org and org not in principal.orgs:
            raise Denied(403, "tenant_not_allowed", "the credentials do not grant this organisation")
        return principal

    def _open_to(self, scope: Scope) -> bool:
        """Whether the caller may use the service when no authentication is configured."""
        return bool(self.settings.insecure) or is_loopback(scope.get("client"))

    async def _keys_exist(self, store: Store) -> bool:
        known = self.keys.exists_cached()
        return known if known is not None else await run_in_threadpool(self.keys.exists, store)

    async def _authenticate(self, store: Store, secret: str) -> Principal:
        if secret.startswith(PREFIX):
            hit, principal = self.keys.cached(secret)
            if not hit:
                principal = await run_in_threadpool(self.keys.verify, store, secret)
            if principal is None:
                raise Denied(401, "invalid_api_key", "the API key is not valid or was revoked")
            return principal
        cached = self.tokens.get(secret)
        if cached is not None:
            return cached
        if self.verifier is None:
            raise Denied(401, "invalid_token", "bearer tokens are not accepted: no JWT key is configured")
        try:
            claims = await run_in_threadpool(self.verifier.claims, secret)
        except InvalidToken as exc:
            raise Denied(401, exc.code, exc.message) from None
        principal = self.verifier.principal(claims)
        self.tokens.put(secret, float(claims["exp"]), principal)
        return principal

    async def _deny(self, scope: Scope, send: Send, exc: Denied) -> None:
        oracle = self.settings.tmf_names == "oracle"
        body, media_type = error_body(scope["path"], exc, scope["state"].get("request_id", ""), oracle=oracle)
        headers = [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())]
        if exc.status == 401 or exc.reason == "insufficient_scope":
            headers.append((b"www-authenticate", exc.challenge().encode("latin-1")))
        if exc.status == 503:
            headers.append((b"retry-after", str(STORE_RETRY_AFTER).encode()))
        await send({"type": "http.response.start", "status": exc.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
