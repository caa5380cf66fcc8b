"""Fixtures for the decisioning API tests: a container and the test catalog built over the OL API."""

from __future__ import annotations

import pytest
from dec_support import Catalog, build_catalog, make_container
from starlette.testclient import TestClient

from offer_catalog.store import Store


@pytest.fixture
def catalog(client: TestClient, store: Store) -> Catalog:
    """The test catalog (see `build_catalog`) in a fresh container of the default tenant."""
    return build_catalog(client, make_container(store))
