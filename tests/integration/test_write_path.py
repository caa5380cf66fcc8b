"""The one write path: a write without an expected version applies to the latest version, never conflicts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.documents import service
from offer_catalog.documents.model import Actor
from offer_catalog.settings import load_settings
from offer_catalog.store import Store

WRITERS = 32
STD = "/tmf-api/productCatalogManagement/v4/"


def test_32_concurrent_unconditional_patches_in_threads_all_land(store: Store) -> None:
    with store.unit_of_work(write=True) as uow:
        service.create(uow, scope="w", kind="offer", id="one", body={}, actor=Actor("setup"))

    def add(i: int) -> int:
        with store.unit_of_work(write=True) as uow:
            doc = service.patch(
                uow,
                scope="w",
                kind="offer",
                id="one",
                change=lambda body: {**body, f"m{i}": i},
                actor=Actor("w"),
            )
        return doc.version

    with ThreadPoolExecutor(WRITERS) as pool:
        versions = list(pool.map(add, range(WRITERS)))
    assert sorted(versions) == list(range(2, WRITERS + 2))
    with store.unit_of_work() as uow:
        final = service.get(uow, scope="w", kind="offer", id="one")
    assert final.version == WRITERS + 1
    assert final.body == {f"m{i}": i for i in range(WRITERS)}


def test_32_concurrent_tmf620_patches_without_if_match_all_succeed(store: Store) -> None:
    settings = load_settings({"database_url": "sqlite:///unused.db", "access_log": False}, environ={})
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client:
        href = client.post(f"{STD}productOffering", json={"name": "o", "description": ""}).json()["href"]

        def patch(i: int) -> Any:
            body = {"productOfferingTerm": [{"name": f"t{i}"}]} if i % 2 else {"description": f"d{i}"}
            return client.patch(href, json={**body, "version": f"v{i}"})

        with ThreadPoolExecutor(WRITERS) as pool:
            responses = list(pool.map(patch, range(WRITERS)))
        assert [r.status_code for r in responses] == [200] * WRITERS, [r.text for r in responses]
        assert sorted(int(r.headers["etag"].strip('"')) for r in responses) == list(range(2, WRITERS + 2))
        history = client.get(f"{href}/history").json()
        assert len(history) == WRITERS + 1
        written = {entry["resource"]["version"] for entry in history[1:]}
        assert written == {f"v{i}" for i in range(WRITERS)}
