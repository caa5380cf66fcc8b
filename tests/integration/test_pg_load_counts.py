"""PostgreSQL bulk load: the path values it writes many times are counted by the load itself."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor, Document
from offer_catalog.documents.query import Cond, Op, Query, body
from offer_catalog.events import transfer
from offer_catalog.store import Store, pg_bulk, pg_counts
from offer_catalog.tmf620.resources import SCOPE

pytestmark = pytest.mark.postgres

ACTOR = Actor("t")
TAGS = ("tags", "id")
CATEGORY = ("category", "id")


@pytest.fixture
def store(postgres_store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    postgres_store.ensure_path_indexes([TAGS, ("owner", "id")])
    monkeypatch.setattr(pg_counts, "THRESHOLD", 3)  # a value of 4 documents or more is counted
    return postgres_store


def offer(i: int) -> dict[str, Any]:
    # "all": every offer; t<k>: a quarter each; "x<i>": one offer; "all" twice in some offers;
    # owner.id: a nested object (no array) on every other offer; a number where a string is counted.
    tags = [{"id": f"t{i % 4}"}, {"id": "all"}, {"id": f"x{i}"}, {"id": 7}]
    if i % 5 == 0:
        tags.append({"id": "all"})
    return {"tags": tags, **({"owner": {"id": "acme"}} if i % 2 else {})}


def docs(numbers: range, deleted: int = -1) -> list[Document]:
    return [
        Document(
            "s", "offer", f"o{i:03d}", 1, offer(i), "2025", "t", None, "2025", "t", None, deleted=i == deleted
        )
        for i in numbers
    ]


def tag(value: Any, path: tuple[str, ...] = TAGS) -> Cond:
    return Cond(body(*path), Op.EQ, value)


def counted(store: Store, where: Cond) -> int | None:
    """The total the kept counts hold for the value (None: not counted), read without listing."""
    count = pg_counts.counted(Query(kinds=("offer",), where=where), set(), {TAGS, ("owner", "id")})
    assert count is not None
    with store.unit_of_work() as uow:
        return pg_counts.read(getattr(uow, "conn"), "s", count)  # noqa: B009 (the unit's connection)


def matching(store: Store, where: Cond) -> tuple[int, int | None]:
    """(documents listed, total reported) for the filter."""
    with store.unit_of_work() as uow:
        page = uow.query("s", Query(kinds=("offer",), where=where, with_total=True))
    return len(page.items), page.total


@pytest.mark.parametrize("window", [pg_bulk.WINDOW, 8])  # 8: the load's tally drops rare values 5 times
def test_values_a_load_writes_many_times_are_counted_exactly_before_any_list(
    store: Store, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    monkeypatch.setattr(pg_bulk, "WINDOW", window)
    with store.unit_of_work(write=True) as uow:  # written before the load: counted in too
        service.create(uow, scope="s", kind="offer", id="before", body=offer(1), actor=ACTOR)
    store.bulk_load(docs(range(40), deleted=5), batch=7)  # type: ignore[attr-defined]
    assert counted(store, tag("all")) == 40  # 39 live loaded (once each, even when held twice) + 1
    assert counted(store, tag("t1")) == 10  # o005 was loaded deleted, "before" holds t1
    assert counted(store, tag("t0")) == 10
    assert counted(store, tag("t2")) == 10
    assert counted(store, tag("acme", ("owner", "id"))) == 20
    assert counted(store, tag("x3")) is None  # one document: a bounded count answers it
    for value in ("all", "t0", "t1", "t2", "t3"):
        listed, total = matching(store, tag(value))
        assert total == listed == counted(store, tag(value)), value


def test_writes_after_the_load_keep_the_counts_it_made_exact(store: Store) -> None:
    store.bulk_load(docs(range(20)), batch=8)  # type: ignore[attr-defined]
    assert counted(store, tag("t2")) == 5
    with store.unit_of_work(write=True) as uow:
        service.patch(uow, scope="s", kind="offer", id="o002", change=lambda b: {"tags": []}, actor=ACTOR)
        service.delete(uow, scope="s", kind="offer", id="o006", actor=ACTOR)
        service.create(uow, scope="s", kind="offer", id="new", body=offer(2), actor=ACTOR)
    assert counted(store, tag("t2")) == 4
    assert counted(store, tag("all")) == 19
    for value in ("all", "t2"):
        listed, total = matching(store, tag(value))
        assert total == listed == counted(store, tag(value)), value


def test_a_second_load_adds_to_values_already_counted(store: Store) -> None:
    store.bulk_load(docs(range(12)), batch=5)  # type: ignore[attr-defined]
    assert counted(store, tag("all")) == 12
    assert counted(store, tag("t3")) is None  # 3 documents: not past the threshold
    store.bulk_load(docs(range(12, 30)), batch=5)  # type: ignore[attr-defined]
    assert counted(store, tag("all")) == 30  # counted by the triggers, not counted again
    assert counted(store, tag("t3")) == 7  # past the threshold in the second load: counted then
    assert matching(store, tag("all")) == (30, 30)
    assert matching(store, tag("t3")) == (7, 7)


def test_an_import_in_many_batches_counts_the_values_of_the_whole_file(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of 3 and a threshold of 3: no value is held by more than 3 documents of any one batch,
    # so only a tally over the whole import finds the ones held many times.
    monkeypatch.setattr(transfer, "BATCH", 3)
    store.ensure_path_indexes([CATEGORY])
    offerings = [
        {"id": f"po{i:02d}", "name": f"n{i}", "category": [{"id": f"c{i % 2}"}, {"id": f"u{i}"}]}
        for i in range(14)
    ]
    lines = [
        orjson.dumps(
            {"api": "tmf620", "scope": SCOPE, "kind": "productOffering", "id": body["id"], "version": 1}
            | {"body": body, "created_at": "2025-01-01T00:00:00Z", "created_by": "t"}
            | {"modified_at": "2025-01-01T00:00:00Z", "modified_by": "t"}
        )
        for body in offerings
    ]
    report = transfer.import_lines(store, lines)
    assert (report.created, report.problems) == (14, [])
    for value, held in (("c0", 7), ("c1", 7)):
        assert counted_in(store, SCOPE, "productOffering", value) == held, value
    assert counted_in(store, SCOPE, "productOffering", "u3") is None  # one document: a bounded count
    with store.unit_of_work() as uow:
        where = Cond(body("category", "id"), Op.EQ, "c1")
        page = uow.query(SCOPE, Query(kinds=("productOffering",), where=where, with_total=True))
    assert (len(page.items), page.total) == (7, 7)


def counted_in(store: Store, scope: str, kind: str, value: str) -> int | None:
    """The kept count of a `category.id` value (None: not counted)."""
    where = Cond(body(*CATEGORY), Op.EQ, value)
    count = pg_counts.counted(Query(kinds=(kind,), where=where), set(), {CATEGORY})
    assert count is not None
    with store.unit_of_work() as uow:
        return pg_counts.read(getattr(uow, "conn"), scope, count)  # noqa: B009 (the unit's connection)
