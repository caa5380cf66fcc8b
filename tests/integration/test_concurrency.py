"""Two OS processes racing read-modify-write on one document never lose an update."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from offer_catalog.documents import service
from offer_catalog.documents.model import Actor
from offer_catalog.store import Store

WORKER = textwrap.dedent(
    """
    import sys
    from offer_catalog.documents import service
    from offer_catalog.documents.model import Actor
    from offer_catalog.errors import VersionConflict
    from offer_catalog.store import open_store

    store = open_store(sys.argv[1], pool_size=1)
    done = retries = 0
    while done < int(sys.argv[2]):
        with store.unit_of_work() as uow:
            doc = service.get(uow, scope="race", kind="counter", id="c")
        try:
            with store.unit_of_work(write=True) as uow:
                service.replace_body(
                    uow, scope="race", kind="counter", id="c", body={"n": doc.body["n"] + 1},
                    actor=Actor(sys.argv[3]), expected_version=doc.version,
                )
            done += 1
        except VersionConflict:
            retries += 1
    store.close()
    print(done, retries)
    """
)


def url_of(store: Store, request: pytest.FixtureRequest) -> str:
    if store.dialect == "sqlite":
        return "sqlite:///" + store.path  # type: ignore[attr-defined]
    return str(request.getfixturevalue("postgres_db"))


@pytest.mark.slow
def test_two_processes_increment_exactly(store: Store, request: pytest.FixtureRequest) -> None:
    with store.unit_of_work(write=True) as uow:
        service.create(uow, scope="race", kind="counter", id="c", body={"n": 0}, actor=Actor("setup"))
    url = url_of(store, request)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, "200", f"worker-{i}"], stdout=subprocess.PIPE, text=True
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=240)[0].split() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert [int(o[0]) for o in outputs] == [200, 200]
    with store.unit_of_work() as uow:
        doc = service.get(uow, scope="race", kind="counter", id="c")
        versions = service.history(uow, scope="race", kind="counter", id="c")
    assert doc.body == {"n": 400}
    assert doc.version == 401
    assert [v.body["n"] for v in versions] == list(range(401))
    writers = {v.modified_by for v in versions[1:]}
    assert writers == {"worker-0", "worker-1"}
