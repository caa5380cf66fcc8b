"""JWT details over HTTP: algorithms, claims for scopes and tenants, the checked time claims."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from starlette.testclient import TestClient

from api.auth_support import AUDIENCE, ISSUER, bearer, jwt_settings, public_pem, rsa_key, token
from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store

TMF = "/tmf-api/productCatalogManagement/v4/catalog"
HOME = "/data/core/xcore/"
SECRET = "a-32-byte-or-longer-shared-secret-for-hs256"


@pytest.fixture
def sqlite(sqlite_store: Store) -> Store:
    return sqlite_store


def _client(store: Store, **values: Any) -> TestClient:
    settings = load_settings({"database_url": "sqlite:///unused.db", **values}, environ={})
    return TestClient(create_app(settings, store=store), raise_server_exceptions=False)


def _claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "svc", "iat": now, "exp": now + 600, **extra}


def test_hs256_with_scp_list_several_orgs_and_a_sandbox_claim(sqlite: Store) -> None:
    claims = _claims(scp=["catalog:read"], org=["A", "B"], sandbox="prod")
    headers = bearer(jwt.encode(claims, SECRET, algorithm="HS256"))
    with _client(sqlite, jwt_hs256_secret=SECRET, jwt_sandbox_claim="sandbox") as client:
        assert client.get(TMF, headers=headers).json()["code"] == "organisation_required"
        assert client.get(TMF, headers={**headers, "x-gw-ims-org-id": "B"}).status_code == 200
        assert client.get(TMF, headers={**headers, "x-gw-ims-org-id": "C"}).status_code == 403
        tenant = {**headers, "x-gw-ims-org-id": "A"}
        assert client.get(HOME, headers={**tenant, "x-sandbox-name": "prod"}).status_code == 200
        assert (
            client.get(HOME, headers={**tenant, "x-sandbox-name": "dev"}).json()["reason"]
            == "tenant_not_allowed"
        )
        assert client.post(TMF, headers=tenant, json={"name": "x"}).json()["code"] == "insufficient_scope"
        forged = jwt.encode(claims, SECRET[::-1], algorithm="HS256")
        assert client.get(TMF, headers=bearer(forged)).json()["code"] == "invalid_signature"


@pytest.mark.parametrize("kind", ["ES256", "EdDSA"])
def test_es256_and_eddsa_with_a_configured_public_key(sqlite: Store, tmp_path: Path, kind: str) -> None:
    private: Any = (
        ec.generate_private_key(ec.SECP256R1()) if kind == "ES256" else ed25519.Ed25519PrivateKey.generate()
    )
    pem = tmp_path / "key.pem"
    pem.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    signed = jwt.encode(_claims(scope="catalog:read", org="A"), private, algorithm=kind)
    settings = {"jwt_public_key": str(pem), "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}
    with _client(sqlite, **settings) as client:
        assert client.get(TMF, headers=bearer(signed)).status_code == 200


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"exp": None}, "invalid_token"),
        ({"nbf": 3600}, "token_not_yet_valid"),
        ({"iss": "https://elsewhere"}, "invalid_issuer"),
        ({"exp": -10}, None),  # expired 10 s ago, inside the 30 s leeway: accepted
    ],
)
def test_time_and_issuer_claims(sqlite: Store, claims: dict[str, Any], code: str | None) -> None:
    """`exp` and `nbf` are given as seconds from now (None: left out)."""
    now = int(time.time())
    relative = {k: now + v if k in ("exp", "nbf") and v is not None else v for k, v in claims.items()}
    merged = {**_claims(scope="catalog:read", org="A"), **relative}
    signed = jwt.encode({k: v for k, v in merged.items() if v is not None}, rsa_key(), algorithm="RS256")
    with TestClient(create_app(jwt_settings(), store=sqlite), raise_server_exceptions=False) as client:
        response = client.get(TMF, headers=bearer(signed))
        if code is None:
            assert response.status_code == 200, response.text
        else:
            assert (response.status_code, response.json()["code"]) == (401, code)


def test_algorithm_confusion_and_unsigned_tokens_are_refused(sqlite: Store) -> None:
    payload = _claims(scope="catalog:read", org="A")
    confused = _hs256_by_hand(payload, public_pem().encode())  # the public key used as an HMAC secret
    unsigned = jwt.encode(payload, None, algorithm="none")
    with TestClient(create_app(jwt_settings(), store=sqlite), raise_server_exceptions=False) as client:
        assert client.get(TMF, headers=bearer(unsigned)).json()["code"] == "unsupported_algorithm"
        assert client.get(TMF, headers=bearer(confused)).json()["code"] == "unsupported_algorithm"
        assert client.get(TMF, headers=bearer("not.a.jwt")).json()["code"] == "invalid_token"
        assert (
            client.get(TMF, headers={"Authorization": "Basic dXNlcjpwYXNz"}).json()["code"]
            == "invalid_credentials"
        )
        assert client.get(TMF, headers=bearer(token())).status_code == 200


def _hs256_by_hand(payload: dict[str, Any], secret: bytes) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = (
        part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + part(json.dumps(payload).encode())
    )
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + part(signature)


def test_oracle_names_in_the_tmf620_error_body(sqlite: Store) -> None:
    with TestClient(create_app(jwt_settings(tmf_names="oracle"), store=sqlite)) as client:
        body = client.get("/productCatalogManagement/v4/catalog").json()
        assert body["atType"] == "Error" and body["code"] == "missing_credentials"
