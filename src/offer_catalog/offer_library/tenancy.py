"""Who calls: the organisation and sandbox a request names, and the actor recorded on its writes.

Tokens and keys are not verified here (a later issue does that); they identify the caller:
`repo:*By` is the bearer token's subject (the `sub`, else `user_id`, claim of a JWT payload, read
without verifying it), or for an opaque token `token-sha256:<16 hex>`, a fingerprint, so that the
token itself is never stored, echoed or logged; `repo:*ByClientId` is the `x-api-key` value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from urllib.parse import quote

import orjson
from starlette.datastructures import Headers

from offer_catalog.documents.model import Actor
from offer_catalog.offer_library.errors import GatewayError, GatewayForbidden, GatewayUnauthorized


@dataclass(frozen=True, slots=True)
class Caller:
    """The tenant a request acts in and the actor its writes are recorded under."""

    org: str
    sandbox: str
    actor: Actor

    @property
    def scope(self) -> str:
        """The document scope holding this tenant's containers."""
        return tenant_scope(self.org, self.sandbox)


def tenant_scope(org: str, sandbox: str) -> str:
    """`xcore:tenant:{org}:{sandbox}` with both parts escaped so that no two tenants share a scope."""
    return f"xcore:tenant:{quote(org, safe='@.-_~')}:{quote(sandbox, safe='.-_~')}"


def _jwt_subject(token: str) -> str | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return None
    if not isinstance(claims, dict):
        return None
    for claim in ("sub", "user_id"):
        value = claims.get(claim)
        if isinstance(value, str) and value:
            return value
    return None


def subject_of(token: str) -> str:
    """The user a bearer token names: its JWT subject, or a fingerprint of an opaque token."""
    subject = _jwt_subject(token)
    if subject is not None:
        return subject
    return "token-sha256:" + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def caller_of(headers: Headers) -> Caller:
    """The caller a request's headers name; a missing header is the platform gateway's error."""
    authorization = headers.get("authorization", "").strip()
    if not authorization:
        raise GatewayForbidden("Oauth token is missing.", code="403010")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise GatewayUnauthorized("Oauth token is not valid: expected 'Bearer <token>'.", code="401013")
    api_key = headers.get("x-api-key", "").strip()
    if not api_key:
        raise GatewayForbidden("Api Key is required.", code="403000")
    org = headers.get("x-gw-ims-org-id", "").strip()
    if not org:
        raise GatewayError("Missing x-gw-ims-org-id header.", code="400003")
    sandbox = headers.get("x-sandbox-name", "").strip()
    if not sandbox:
        raise GatewayError("Missing x-sandbox-name header.", code="sandbox_name_missing")
    return Caller(org=org, sandbox=sandbox, actor=Actor(user=subject_of(token), client=api_key))
