"""Who makes a request: a verified principal with its scopes and the tenants it may act in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

CATALOG_READ: Final = "catalog:read"
CATALOG_WRITE: Final = "catalog:write"
DECISIONS: Final = "decisions"
EVENTS: Final = "events"
ADMIN: Final = "admin"
SCOPES: Final = (CATALOG_READ, CATALOG_WRITE, DECISIONS, EVENTS, ADMIN)
ANONYMOUS_ID: Final = "anonymous"


@dataclass(frozen=True, slots=True)
class Tenant:
    """An organisation and, optionally, one of its sandboxes (None: every sandbox of the organisation)."""

    org: str
    sandbox: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller whose credentials were checked (or the anonymous local caller when auth is off)."""

    id: str
    scopes: frozenset[str]
    tenants: tuple[Tenant, ...]
    client: str | None = None
    verified: bool = True
    orgs: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        orgs = tuple(dict.fromkeys(t.org for t in self.tenants))
        object.__setattr__(self, "orgs", orgs)

    def has_scope(self, scope: str) -> bool:
        """True when the principal holds `scope`."""
        return scope in self.scopes

    def may_act_in(self, org: str, sandbox: str) -> bool:
        """True when (org, sandbox) is one of the principal's tenants (unrestricted when unverified)."""
        if not self.verified:
            return True
        return any(t.org == org and (t.sandbox is None or t.sandbox == sandbox) for t in self.tenants)


ANONYMOUS: Final = Principal(
    id=ANONYMOUS_ID, scopes=frozenset(SCOPES), tenants=(), client=None, verified=False
)
"""The caller of a service with no authentication configured (loopback only, every scope)."""


def parse_scopes(value: object) -> frozenset[str]:
    """Scopes from a space-separated string (OAuth `scope`) or a list of strings (`scp`)."""
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list | tuple):
        return frozenset(s for s in value if isinstance(s, str))
    return frozenset()


def principal_of(scope: Mapping[str, Any]) -> Principal:
    """The principal the authentication middleware recorded for this request."""
    principal: Principal = scope["state"]["principal"]
    return principal
