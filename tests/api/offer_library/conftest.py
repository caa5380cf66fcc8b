"""Fixtures for the Offer Library API tests: a container, a bound client, a full set of instances."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from offer_catalog.store import Store
from support.offer_library import ROLES, World, Xcore, make_container, valid_body


@pytest.fixture
def container(store: Store) -> str:
    """A container of the default tenant."""
    return make_container(store)


@pytest.fixture
def xc(client: TestClient, container: str) -> Xcore:
    """The API client bound to the container, as the default caller."""
    return Xcore(client, container)


@pytest.fixture
def world(xc: Xcore) -> World:
    """One instance of every kind, wired together as the documented examples are; receipts by name."""
    w: World = {}
    for role, kind in ROLES.items():
        w[role] = xc.make(kind, valid_body(kind, w))
    return w
