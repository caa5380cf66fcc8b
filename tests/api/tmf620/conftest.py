"""Fixtures for the TMF620 API tests: base paths, an Oracle-names client, resource factories."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store
from support.tmf620 import Make, maker


@pytest.fixture
def oracle_client(store: Store) -> Iterator[TestClient]:
    """A client on an app that answers with Oracle's atType-style member names."""
    settings = load_settings({"tmf_names": "oracle", "database_url": "sqlite:///unused.db"}, environ={})
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def make(client: TestClient) -> Make:
    """Create a resource through the standard base path and return the created body (asserts 201)."""
    return maker(client)
