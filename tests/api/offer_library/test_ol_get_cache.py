"""GET one instance with the representation cache: the same answers as without it, a write seen at once.

Over HTTP on SQLite (a real file) and PostgreSQL: a repeated GET answers the same bytes and headers
(whatever the Accept asks, the body is the same); after a PATCH, a PUT or a DELETE the GET answers
the change; an app with the cache switched off answers the same bytes.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store
from support.offer_library import HAL, Xcore, tag_body


def _answer(response: Any) -> tuple[int, bytes, list[tuple[str, str]]]:
    """What a client sees, but for the request id (a new one per request)."""
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "x-request-id"]
    return response.status_code, response.content, headers


def test_repeated_get_answers_the_same_bytes(xc: Xcore) -> None:
    id = xc.make("tag", tag_body("cached"))["instanceId"]
    for accept in ({}, {"Accept": HAL}, {"Accept": "application/json"}):
        first = _answer(xc.get(id, **accept))
        assert first[0] == 200, first
        assert [_answer(xc.get(id, **accept)) for _ in range(3)] == [first] * 3


def test_writes_are_seen_at_once(xc: Xcore) -> None:
    id = xc.make("tag", tag_body("first"))["instanceId"]
    assert xc.instance(id)["xdm:name"] == "first"
    patched = xc.patch(id, [{"op": "replace", "path": "/_instance/xdm:name", "value": "patched"}])
    assert patched.status_code == 200, patched.text
    got = xc.get(id)
    assert got.json()["_instance"]["xdm:name"] == "patched"
    assert got.headers["etag"] == patched.headers["etag"]
    document = got.json()
    document["_instance"]["xdm:name"] = "put"
    put = xc.put(id, document, **{"If-Match": got.headers["etag"]})
    assert put.status_code == 200, put.text
    got = xc.get(id)
    assert got.json()["_instance"]["xdm:name"] == "put" and got.headers["etag"] == put.headers["etag"]
    assert xc.delete(id).status_code == 200
    assert xc.get(id).status_code == 404


def test_the_cache_switched_off_answers_the_same(xc: Xcore, store: Store) -> None:
    id = xc.make("tag", tag_body("compared"))["instanceId"]
    cached = [_answer(xc.get(id)) for _ in range(2)]
    settings = load_settings({"database_url": "sqlite:///unused.db", "get_cache_entries": 0}, environ={})
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client:
        other = Xcore(client, xc.container)
        assert [_answer(other.get(id)) for _ in range(2)] == cached
        # The other app (another process or worker) writes: this one's cached answer is not served.
        changed = other.patch(id, [{"op": "replace", "path": "/_instance/xdm:name", "value": "other"}])
        assert changed.status_code == 200, changed.text
    got = xc.get(id)
    assert got.json()["_instance"]["xdm:name"] == "other" and got.headers["etag"] == changed.headers["etag"]
