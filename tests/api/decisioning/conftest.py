"""Fixtures for the decisioning API tests: a container and the test catalog built over the OL API.

On SQLite the catalog is built once a session, through the same API, into a migrated file that each
test asking for `catalog` starts from as a copy (building it costs some twenty requests a test); on
PostgreSQL each test builds it in the emptied session database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from dec_support import Catalog, auth, build_catalog, make_container
from starlette.testclient import TestClient

from offer_catalog.store import Store
from support.offer_library import Xcore
from support.server import build_on_copy


@dataclass(frozen=True)
class Built:
    """A SQLite file holding the test catalog, the catalog's container and ids, and the instanceId of
    each @id."""

    path: Path
    container: str
    ids: dict[str, str]
    instance_ids: dict[str, str]


@pytest.fixture(scope="session")
def sqlite_catalog(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Built:
    """The test catalog built once through the API in a copy of the migrated template."""
    path = tmp_path_factory.mktemp("sqlite-catalog") / "catalog.db"
    built = build_on_copy(
        sqlite_template, path, lambda client, store: build_catalog(client, make_container(store))
    )
    return Built(path, built.container, dict(built.ids), dict(built.xc.instance_ids))


@pytest.fixture
def sqlite_seed(request: pytest.FixtureRequest, sqlite_template: Path) -> Path:
    """The built catalog for a test that asks for `catalog`, the empty template otherwise."""
    wants_catalog = "catalog" in request.fixturenames
    return request.getfixturevalue("sqlite_catalog").path if wants_catalog else sqlite_template


@pytest.fixture
def catalog(request: pytest.FixtureRequest, client: TestClient, store: Store) -> Catalog:
    """The test catalog (see `build_catalog`) in a fresh container of the default tenant."""
    if store.dialect == "sqlite":
        built: Built = request.getfixturevalue("sqlite_catalog")
        xc = Xcore(client, built.container, auth())
        xc.instance_ids.update(built.instance_ids)
        return Catalog(built.container, xc, dict(built.ids))
    return build_catalog(client, make_container(store))
