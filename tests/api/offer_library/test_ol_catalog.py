"""load_container_instances: what the decisioning engine reads from a container."""

from __future__ import annotations

from typing import Any

from offer_catalog.decisioning.catalog import build_snapshot
from offer_catalog.offer_library import load_container_instances
from offer_catalog.store import Store
from support.offer_library import SCHEMAS, Xcore

World = dict[str, dict[str, Any]]


def test_instances_as_plain_data(store: Store, xc: Xcore, world: World) -> None:
    xc.patch(
        world["offer"]["instanceId"],
        [{"op": "replace", "path": "/_instance/xdm:status", "value": "approved"}],
    )
    extra = xc.make("tag", {"xdm:name": "deleted soon"})
    assert xc.delete(extra["instanceId"]).status_code == 200
    with store.unit_of_work() as uow:
        loaded = load_container_instances(uow, xc.container)
    assert len(loaded) == len(world)
    by_id = {item["@id"]: item for item in loaded}
    for receipt in world.values():
        item = by_id[receipt["@id"]]
        assert set(item) == {"schema", "@id", "repo:etag", "instance"}
        assert item["schema"] in SCHEMAS
        assert item["instance"] == xc.instance(receipt["instanceId"])
        assert item["repo:etag"] == xc.get(receipt["instanceId"]).json()["repo:etag"]
    assert by_id[world["offer"]["@id"]]["repo:etag"] == 2
    snapshot = build_snapshot(loaded)
    assert snapshot.diagnostics == ()
    assert set(snapshot.activities) == {world["activity"]["@id"]}
    assert snapshot.offers[world["offer"]["@id"]].approved


def test_an_empty_or_unknown_container_loads_nothing(store: Store, xc: Xcore) -> None:
    with store.unit_of_work() as uow:
        assert load_container_instances(uow, xc.container) == []
        assert load_container_instances(uow, "no-such-container") == []
