"""The broker sink on the local NATS JetStream: every event published and acknowledged, across an outage."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nats
import orjson
import pytest
from test_events_delivery import app_client

from offer_catalog.events import subscriptions
from offer_catalog.events.broker import BROKER_ID, stream_name
from offer_catalog.store import Store
from offer_catalog.tmf620.resources import STANDARD_BASE
from support.server import free_port

NATS_URL = "nats://127.0.0.1:4222"


async def _read_stream(subject: str, count: int, url: str = NATS_URL) -> list[Any]:
    conn = await nats.connect(url)
    try:
        js = conn.jetstream()
        try:
            consumer = await js.pull_subscribe(f"{subject}.>", durable=None, stream=stream_name(subject))
        except nats.js.errors.NotFoundError:
            return []  # the relay creates the stream with its first publish, which may not have happened yet
        messages: list[Any] = []
        while len(messages) < count:
            try:
                batch = await consumer.fetch(count - len(messages), timeout=2)
            except nats.errors.TimeoutError:
                break
            for message in batch:
                await message.ack()
                messages.append(((message.headers or {}).get("Nats-Msg-Id"), orjson.loads(message.data)))
        return messages
    finally:
        await conn.close()


async def _drop_stream(subject: str) -> None:
    conn = await nats.connect(NATS_URL)
    try:
        await conn.jetstream().delete_stream(stream_name(subject))
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await conn.close()


async def _reachable(url: str = NATS_URL) -> bool:
    try:
        conn = await nats.connect(url, connect_timeout=1, max_reconnect_attempts=0, allow_reconnect=False)
    except Exception:
        return False
    await conn.close()
    return True


@pytest.fixture
def subject() -> Iterator[str]:
    """A subject prefix (and stream) of this test only, on the shared local server; removed afterwards."""
    if not asyncio.run(_reachable()):
        pytest.skip("no NATS server on 127.0.0.1:4222")
    name = f"oc-test-{uuid.uuid4().hex[:12]}"
    yield name
    asyncio.run(_drop_stream(name))


def test_every_event_reaches_the_broker_also_after_an_outage(store: Store, subject: str) -> None:
    down = f"nats://127.0.0.1:{free_port()}"
    with app_client(
        store, hub_broker_url=down, hub_broker_subject=subject, hub_max_attempts=10_000
    ) as client:
        for n in range(20):
            assert (
                client.post(f"{STANDARD_BASE}productOffering", json={"id": f"b-{n}", "name": "x"}).status_code
                == 201
            )
        # The relay queues the broker's deliveries in the background (after the lease a previous app
        # held on this database runs out), so the outage is waited for, not assumed.
        deadline = time.monotonic() + 30
        while True:
            with store.unit_of_work() as uow:
                pending = subscriptions.deliveries(uow, id=BROKER_ID, status="pending")
            if pending or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert pending, "nothing was queued for the broker"
    with app_client(
        store, hub_broker_url=NATS_URL, hub_broker_subject=subject, hub_max_attempts=10_000
    ) as client:
        for n in range(20, 30):
            client.post(f"{STANDARD_BASE}productOffering", json={"id": f"b-{n}", "name": "x"})
        deadline = time.monotonic() + 30
        messages = asyncio.run(_read_stream(subject, 30))
        while len(messages) < 30 and time.monotonic() < deadline:
            time.sleep(0.2)  # each read starts a fresh consumer at the start of the stream
            messages = asyncio.run(_read_stream(subject, 30))
    ids = [message_id for message_id, _ in messages]
    assert len(ids) == 30 == len(set(ids))
    for message_id, body in messages:
        assert body["eventId"] == message_id and body["eventType"] == "ProductOfferingCreateEvent"
    assert sorted(body["event"]["productOffering"]["id"] for _, body in messages) == sorted(
        f"b-{n}" for n in range(30)
    )


@contextmanager
def own_broker(port: int, store_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A NATS JetStream server of this test only (its own port and storage), stopped afterwards."""
    if shutil.which("nats-server") is None:
        pytest.skip("no nats-server binary")
    args = ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store_dir)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not asyncio.run(_reachable(f"nats://127.0.0.1:{port}")):
            assert proc.poll() is None and time.monotonic() < deadline, "nats-server did not start"
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_no_event_is_lost_when_the_broker_restarts_mid_run(sqlite_store: Store, tmp_path: Path) -> None:
    port = free_port()
    url, subject, writes = f"nats://127.0.0.1:{port}", "oc-restart", 1000
    settings = {"hub_broker_url": url, "hub_broker_subject": subject, "hub_max_attempts": 10_000}
    with app_client(sqlite_store, **settings, hub_backoff_max_ms=500) as client:

        def write(numbers: range) -> None:
            for n in numbers:
                made = client.post(f"{STANDARD_BASE}productOffering", json={"id": f"r-{n}", "name": "x"})
                assert made.status_code == 201

        with own_broker(port, tmp_path / "js"):
            write(range(250))
        write(range(250, 750))  # the broker is down: these deliveries wait and retry
        with own_broker(port, tmp_path / "js"):  # back, on the same storage
            write(range(750, writes))
            deadline = time.monotonic() + 60
            while len(messages := asyncio.run(_read_stream(subject, writes, url))) < writes:
                assert time.monotonic() < deadline, f"{len(messages)} of {writes} events in the stream"
                time.sleep(0.2)
    ids = {message_id for message_id, _ in messages}
    assert len(ids) == writes == len(messages)  # JetStream dropped any re-published duplicate by its id
    assert {body["event"]["productOffering"]["id"] for _, body in messages} == {
        f"r-{n}" for n in range(writes)
    }
