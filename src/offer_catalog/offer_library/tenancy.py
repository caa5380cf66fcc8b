"""Who calls: the organisation and sandbox a request names, and the actor recorded on its writes.

Credentials are verified by the authentication middleware (auth/), which also checks that the
org and sandbox are among the principal's tenants; `repo:*By` is the principal's id and
`repo:*ByClientId` its client id, never a value read from an unverified header or token.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.requests import Request

from offer_catalog.auth.principal import principal_of
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


@lru_cache(maxsize=1024)  # every request of a tenant asks for it; quoting costs a few microseconds
def tenant_scope(org: str, sandbox: str) -> str:
    """`xcore:tenant:{org}:{sandbox}` with both parts escaped so that no two tenants share a scope."""
    return f"xcore:tenant:{quote(org, safe='@.-_~')}:{quote(sandbox, safe='.-_~')}"


def caller_of(request: Request) -> Caller:
    """The caller of a request: its tenant headers, and the actor its verified principal names.

    With authentication on, the middleware has checked the credentials and the tenant. With it off
    (loopback only), the headers are still required as the platform gateway requires them, but
    nothing in them is verified, so writes are recorded as `anonymous` with the `x-api-key` label.
    """
    headers = request.headers
    principal = principal_of(request.scope)
    if not principal.verified:
        _check_gateway_headers(headers)
    org = single_header(headers, "x-gw-ims-org-id")
    if not org:
        raise GatewayError("Missing x-gw-ims-org-id header.", code="400003")
    sandbox = single_header(headers, "x-sandbox-name")
    if not sandbox:
        raise GatewayError("Missing x-sandbox-name header.", code="sandbox_name_missing")
    if not principal.may_act_in(org, sandbox):
        # The middleware checked the tenant; this holds whatever header reading it used.
        raise GatewayForbidden("the credentials do not grant this org and sandbox", code="403025")
    client = principal.client if principal.verified else headers.get("x-api-key", "").strip()
    return Caller(org=org, sandbox=sandbox, actor=Actor(user=principal.id, client=client))


def single_header(headers: Headers, name: str) -> str:
    """A tenant header's value (stripped; "" when absent). Sent more than once with different values,
    the tenant is ambiguous: 400 `ambiguous_header` (repeats of one value are that value)."""
    values = {value.strip() for value in headers.getlist(name)}
    if len(values) > 1:
        raise GatewayError(
            f"The {name} header is sent more than once with different values.", code="ambiguous_header"
        )
    return values.pop() if values else ""


def _check_gateway_headers(headers: Headers) -> None:
    authorization = headers.get("authorization", "").strip()
    if not authorization:
        raise GatewayForbidden("Oauth token is missing.", code="403010")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GatewayUnauthorized("Oauth token is not valid: expected 'Bearer <token>'.", code="401013")
    if not headers.get("x-api-key", "").strip():
        raise GatewayForbidden("Api Key is required.", code="403000")
