"""The organisation a TMF620 request acts in: its verified principal's, so tenants never share documents."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request

from offer_catalog.auth.principal import principal_of
from offer_catalog.documents.model import Actor
from offer_catalog.tmf620.errors import TmfError
from offer_catalog.tmf620.resources import SCOPE
from offer_catalog.tmf620.service import ACTOR

ORG_HEADER = "x-gw-ims-org-id"


def tenant_scope(request: Request) -> str:
    """The document scope of the request's organisation.

    With authentication off (loopback only) every caller shares the single-organisation scope
    `tmf620`. A principal of one organisation needs no header; one of several names it in
    `x-gw-ims-org-id` (400 when missing). A named organisation that is not one of the
    principal's is refused (403).
    """
    principal = principal_of(request.scope)
    if not principal.verified:
        return SCOPE
    orgs = {value.strip() for value in request.headers.getlist(ORG_HEADER)}
    if len(orgs) > 1:
        raise TmfError(400, "ambiguous_header", f"the {ORG_HEADER} header is sent with different values")
    org = orgs.pop() if orgs else ""
    if not org and len(principal.orgs) == 1:
        org = principal.orgs[0]
    if not org:
        raise TmfError(400, "organisation_required", f"name the organisation in the {ORG_HEADER} header")
    if org not in principal.orgs:
        raise TmfError(403, "tenant_not_allowed", "the credentials do not grant this organisation")
    return f"{SCOPE}:{quote(org, safe='')}"


def actor_of(request: Request) -> Actor:
    """Who a write is recorded under: the verified principal (and its client), else the API itself."""
    principal = principal_of(request.scope)
    if not principal.verified:
        return ACTOR
    return Actor(user=principal.id, client=principal.client or ACTOR.client)
