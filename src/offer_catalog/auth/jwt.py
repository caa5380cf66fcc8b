"""JWT bearer tokens (PyJWT): RS256, ES256 or EdDSA against a JWKS URL or a configured key; HS256.

`iss`, `aud`, `exp` and `nbf` are checked with a small leeway; `exp` is required. The claims that
carry scopes and tenants are configurable. Keys fetched from a JWKS URL are cached; a token naming
an unknown `kid` triggers a refresh, at most once per `min_refresh` seconds, and a key server that
does not answer leaves the cached keys in use (an unknown key is then a 401, never a 500).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import httpx
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from offer_catalog.auth.principal import Principal, Tenant, parse_scopes
from offer_catalog.settings import Settings

ASYMMETRIC: Final = ("RS256", "ES256", "EdDSA")
FETCH_TIMEOUT: Final = 3.0
JWKS_MAX_AGE: Final = 3600.0


class InvalidToken(Exception):
    """A token that cannot be accepted; `code` says why (token_expired, invalid_audience, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Jwks:
    """The signing keys published at a JWKS URL, fetched with a timeout and cached by `kid`."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = FETCH_TIMEOUT,
        min_refresh: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.min_refresh = min_refresh
        self.clock = clock
        self.fetches = 0
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._unknown_refresh_at: float | None = None
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        self.fetches += 1
        try:
            response = httpx.get(self.url, timeout=self.timeout)
            response.raise_for_status()
            keys = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWKSetError, jwt.PyJWKError):
            return  # keep serving the keys already known
        self._keys = {k.key_id or "": k for k in keys}
        self._fetched_at = self.clock()

    def key(self, kid: str | None) -> jwt.PyJWK | None:
        """The key a token's `kid` names (the only key when it names none), refreshing when needed."""
        with self._lock:
            now = self.clock()
            if self._fetched_at is None or now - self._fetched_at > JWKS_MAX_AGE:
                self._refresh()
            found = self._pick(kid)
            last = self._unknown_refresh_at
            if found is None and (last is None or now - last >= self.min_refresh):
                self._unknown_refresh_at = now
                self._refresh()
                found = self._pick(kid)
            return found

    def _pick(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)


def _public_key(value: str) -> Any:
    pem = value if value.lstrip().startswith("-----BEGIN") else Path(value).read_text()
    return load_pem_public_key(pem.encode("ascii"))


class JwtVerifier:
    """Checks bearer tokens against the configured key source and maps their claims to a principal."""

    def __init__(self, settings: Settings, *, jwks: Jwks | None = None) -> None:
        self.settings = settings
        self.jwks = jwks or (Jwks(settings.jwks_url) if settings.jwks_url else None)
        self.public_key = _public_key(settings.jwt_public_key) if settings.jwt_public_key else None
        self.secret = settings.jwt_hs256_secret.encode("utf-8") or None

    def _key(self, header: dict[str, Any]) -> Any:
        alg = header.get("alg")
        if alg == "HS256" and self.secret is not None:
            return self.secret
        if alg not in ASYMMETRIC:
            raise InvalidToken("unsupported_algorithm", f"tokens signed with {alg!r} are not accepted")
        if self.public_key is not None:
            return self.public_key
        kid = header.get("kid")
        found = None if self.jwks is None else self.jwks.key(kid if isinstance(kid, str) else None)
        if found is None:
            raise InvalidToken("unknown_key", "the token's signing key is not known")
        return found

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims of a token (InvalidToken when any check fails)."""
        s = self.settings
        try:
            header = jwt.get_unverified_header(token)
            key = self._key(header)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[header["alg"]],
                audience=s.jwt_audience or None,
                issuer=s.jwt_issuer or None,
                leeway=s.jwt_leeway,
                options={"require": ["exp"], "verify_aud": bool(s.jwt_audience)},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token_expired", "the token has expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("invalid_audience", "the token is not meant for this service") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken(
                "invalid_issuer", "the token was not issued by the configured issuer"
            ) from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("token_not_yet_valid", "the token is not valid yet") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("invalid_signature", "the token's signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise InvalidToken("invalid_token", f"the token is not valid: {exc}") from None
        return claims

    def principal(self, claims: dict[str, Any]) -> Principal:
        """The principal verified claims describe: subject, scopes, organisations (and sandbox)."""
        s = self.settings
        raw_scopes = claims.get(s.jwt_scope_claim, claims.get("scp"))
        orgs = claims.get(s.jwt_org_claim)
        org_list = [orgs] if isinstance(orgs, str) else [o for o in orgs or () if isinstance(o, str)]
        sandbox = claims.get(s.jwt_sandbox_claim) if s.jwt_sandbox_claim else None
        tenants = tuple(Tenant(org, sandbox if isinstance(sandbox, str) else None) for org in org_list)
        client = claims.get("azp") or claims.get("client_id")
        subject = claims.get("sub") or client or "unknown"
        return Principal(
            id=str(subject),
            scopes=parse_scopes(raw_scopes),
            tenants=tenants,
            client=str(client) if client else None,
        )


class TokenCache:
    """Principals of verified tokens by their exact text, until the token expires."""

    def __init__(self, clock: Callable[[], float] = time.time, size: int = 10_000) -> None:
        self.clock = clock
        self.size = size
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, token: str) -> Principal | None:
        """The cached principal of a token that has not expired."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        if self.clock() >= entry[0]:
            self._entries.pop(token, None)
            return None
        return entry[1]

    def put(self, token: str, expires: float, principal: Principal) -> None:
        """Remember a verified token until `expires` (epoch seconds)."""
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[token] = (expires, principal)
