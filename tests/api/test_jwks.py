"""JWKS: keys fetched from a local key server, rotation after one refresh, the server down."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from jwt.algorithms import RSAAlgorithm
from starlette.testclient import TestClient

from api.auth_support import AUDIENCE, ISSUER, bearer, rsa_key, token
from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import open_store

URL = "/tmf-api/productCatalogManagement/v4/productOffering"


class KeyServer:
    """A JWKS endpoint on 127.0.0.1 in a thread; `kids` are the keys it publishes; it counts fetches."""

    def __init__(self) -> None:
        self.kids: list[str] = []
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                keys = [
                    {**json.loads(RSAAlgorithm.to_jwk(rsa_key(kid).public_key())), "kid": kid, "use": "sig"}
                    for kid in server.kids
                ]
                body = json.dumps({"keys": keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/certs"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def key_server() -> Iterator[KeyServer]:
    server = KeyServer()
    yield server
    server.stop()


def _client(tmp_path: Path, jwks_url: str) -> TestClient:
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    store.migrate()
    settings = load_settings(
        {
            "database_url": "sqlite:///unused.db",
            "jwks_url": jwks_url,
            "jwt_issuer": ISSUER,
            "jwt_audience": AUDIENCE,
        },
        environ={},
    )
    return TestClient(create_app(settings, store=store), raise_server_exceptions=False)


def test_rotation_is_picked_up_after_one_refresh(tmp_path: Path, key_server: KeyServer) -> None:
    key_server.kids = ["k1"]
    with _client(tmp_path, key_server.url) as client:
        assert client.get(URL, headers=bearer(token(key="k1", kid="k1"))).status_code == 200
        assert client.get(URL, headers=bearer(token(key="k1", kid="k1", sub="bob"))).status_code == 200
        assert key_server.fetches == 1
        key_server.kids = ["k1", "k2"]
        assert client.get(URL, headers=bearer(token(key="k2", kid="k2"))).status_code == 200
        assert key_server.fetches == 2
        forged = client.get(URL, headers=bearer(token(key="intruder", kid="k2")))
        assert (forged.status_code, forged.json()["code"]) == (401, "invalid_signature")


def test_cached_keys_keep_working_when_the_key_server_is_down(tmp_path: Path, key_server: KeyServer) -> None:
    key_server.kids = ["k1"]
    with _client(tmp_path, key_server.url) as client:
        assert client.get(URL, headers=bearer(token(key="k1", kid="k1"))).status_code == 200
        key_server.stop()
        fresh = token(key="k1", kid="k1", sub="someone-new")  # not in the token cache: verified again
        assert client.get(URL, headers=bearer(fresh)).status_code == 200
        unknown = client.get(URL, headers=bearer(token(key="k3", kid="k3")))
        assert (unknown.status_code, unknown.json()["code"]) == (401, "unknown_key")
        assert unknown.headers["www-authenticate"].startswith(
            'Bearer realm="offer-catalog", error="invalid_token"'
        )


def test_an_unreachable_key_server_gives_401_not_500(tmp_path: Path, key_server: KeyServer) -> None:
    url = key_server.url
    key_server.stop()
    with _client(tmp_path, url) as client:
        response = client.get(URL, headers=bearer(token(key="k1", kid="k1")))
        assert (response.status_code, response.json()["code"]) == (401, "unknown_key")
