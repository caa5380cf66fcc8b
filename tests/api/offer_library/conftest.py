"""Fixtures for the Offer Library API tests: a container, a bound client, a full set of instances.

On SQLite the `world` is made once a session, through the API, in a migrated file that each test
asking for it starts from as a copy; on PostgreSQL each such test makes it in the emptied database.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from offer_catalog.store import Store
from support.offer_library import World, Xcore, make_container, make_world
from support.server import build_on_copy


@dataclass(frozen=True)
class BuiltWorld:
    """A SQLite file holding the world, its container, the receipts and the instanceId of each @id."""

    path: Path
    container: str
    world: World
    instance_ids: dict[str, str]


@pytest.fixture(scope="session")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> BuiltWorld:
    """The world made once through the API in a copy of the migrated template."""
    path = tmp_path_factory.mktemp("sqlite-world") / "catalog.db"

    def build(client: TestClient, store: Store) -> BuiltWorld:
        xc = Xcore(client, make_container(store))
        return BuiltWorld(path, xc.container, make_world(xc), dict(xc.instance_ids))

    return build_on_copy(sqlite_template, path, build)


def _prebuilt(request: pytest.FixtureRequest, store: Store) -> BuiltWorld | None:
    """The session's world when this test asks for `world` on SQLite."""
    if store.dialect == "sqlite" and "world" in request.fixturenames:
        built: BuiltWorld = request.getfixturevalue("sqlite_world")
        return built
    return None


@pytest.fixture
def sqlite_seed(request: pytest.FixtureRequest, sqlite_template: Path) -> Path:
    """The file holding the world for a test that asks for `world`, the empty template otherwise."""
    wants_world = "world" in request.fixturenames
    return request.getfixturevalue("sqlite_world").path if wants_world else sqlite_template


@pytest.fixture
def container(request: pytest.FixtureRequest, store: Store) -> str:
    """A container of the default tenant (the world's, when the test has one)."""
    built = _prebuilt(request, store)
    return built.container if built else make_container(store)


@pytest.fixture
def xc(request: pytest.FixtureRequest, client: TestClient, container: str, store: Store) -> Xcore:
    """The API client bound to the container, as the default caller."""
    bound = Xcore(client, container)
    built = _prebuilt(request, store)
    if built:
        bound.instance_ids.update(built.instance_ids)
    return bound


@pytest.fixture
def world(request: pytest.FixtureRequest, xc: Xcore, store: Store) -> World:
    """One instance of every kind, wired together as the documented examples are; receipts by role."""
    built = _prebuilt(request, store)
    return copy.deepcopy(built.world) if built else make_world(xc)
