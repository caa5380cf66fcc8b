"""Fuzz findings in tenancy: a tenant header sent twice.

- `x-gw-ims-org-id` (or `x-sandbox-name`) sent twice with different values was read two ways: the
  authentication middleware checked the last value against the credentials, the Offer Library and
  decisioning acted in the first. Organisation B's credentials with `x-gw-ims-org-id: A` then
  `x-gw-ims-org-id: B` read (and could write) A's containers and instances (200 with A's data). Differing
  values are now an ambiguous tenant: 400 `ambiguous_header` (TMF620 too), and the Offer Library checks
  the tenant it acts in against the credentials itself. Repeats of one value are that value.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from api.test_cross_tenant import MARKER, TMF_BASES, XCORE, Tenant, _alpha_state, pair
from support.offer_library import auth

__all__ = ["pair"]  # the fixture, imported for the tests below
ORG, SANDBOX = "x-gw-ims-org-id", "x-sandbox-name"


def _repeated(
    headers: dict[str, str] | list[tuple[str, str]], name: str, values: tuple[str, ...]
) -> list[tuple[str, str]]:
    """The headers with `name` sent once per value, in that order."""
    pairs = list(headers.items()) if isinstance(headers, dict) else headers
    return [(k, v) for k, v in pairs if k.lower() != name] + [(name, v) for v in values]


def _targets(alpha: Tenant) -> list[str]:
    return [
        f"{XCORE}/containers/{alpha.container}",
        f"{XCORE}/{alpha.container}/instances/{alpha.instances[0]}",
        f"/data/core/ode/{alpha.container}/diagnostics",
        *(f"{base}/productOffering/{alpha.offering}" for base in TMF_BASES),
    ]


@pytest.mark.parametrize("first_is_alpha", [True, False])
def test_an_org_header_sent_twice_with_different_values_reaches_no_tenant(
    pair: tuple[TestClient, Tenant, Tenant], first_is_alpha: bool
) -> None:
    client, alpha, beta = pair
    before = _alpha_state(client, alpha)
    orgs = (alpha.org, beta.org) if first_is_alpha else (beta.org, alpha.org)
    headers = _repeated(beta.headers, ORG, orgs)
    patch = [{"op": "replace", "path": "/_instance/xdm:name", "value": "stolen"}]
    for url in _targets(alpha):
        answer = client.get(url, headers=headers)
        assert answer.status_code in (400, 403), (url, answer.status_code, answer.text)
        assert MARKER not in answer.text, url
        if answer.status_code == 400:
            assert answer.json()["code"] == "ambiguous_header", answer.text
    instance = f"{XCORE}/{alpha.container}/instances/{alpha.instances[0]}"
    written = client.patch(
        instance,
        json=patch,
        headers=[*headers, ("Content-Type", "application/vnd.adobe.platform.xcore.patch.hal+json")],
    )
    assert written.status_code in (400, 403), written.text
    assert _alpha_state(client, alpha) == before


def test_a_sandbox_header_sent_twice_with_different_values_is_ambiguous(
    pair: tuple[TestClient, Tenant, Tenant],
) -> None:
    client, alpha, _ = pair
    headers = _repeated(alpha.headers, SANDBOX, ("prod", "other"))
    answer = client.get(f"{XCORE}/containers/{alpha.container}", headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (400, "ambiguous_header"), answer.text


def test_a_tenant_header_repeated_with_one_value_is_that_value(
    pair: tuple[TestClient, Tenant, Tenant],
) -> None:
    client, alpha, _ = pair
    headers = _repeated(_repeated(alpha.headers, ORG, (alpha.org, alpha.org)), SANDBOX, ("prod", " prod"))
    for url in _targets(alpha):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, (url, answer.text)


def test_without_authentication_an_ambiguous_org_is_refused(client: TestClient) -> None:
    headers: list[tuple[str, str]] = _repeated(auth("a@AdobeOrg", "prod"), ORG, ("a@AdobeOrg", "b@AdobeOrg"))
    answer: Any = client.get(f"{XCORE}/", headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (400, "ambiguous_header"), answer.text
