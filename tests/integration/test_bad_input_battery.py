"""Every bad input of the issue "nothing a client sends can inject, freeze, crash or exhaust the service".

Through real HTTP against `offer-catalog serve`, on SQLite and PostgreSQL: each case gets a 4xx (or a
documented 5xx) with a machine-readable `code` in the API's own error body, `/health` answers after
every case, and the stored rows (current versions and history) are byte-identical before and after
the whole battery. Raw-socket cases (request line, method, path bytes, header size) go under the
HTTP client, as an attacker sends them.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import psycopg
import pytest

from offer_catalog.store import open_store
from support.offer_library import BASE, auth, instance_type, make_container
from support.safety import deep_json as _deep
from support.server import migrated_database, running_server

pytestmark = pytest.mark.slow

TMF = "/tmf-api/productCatalogManagement/v4"
ORG, SANDBOX = "battery-org@AdobeOrg", "prod"
HEADERS = auth(ORG, SANDBOX)
RESOURCES = ("catalog", "category", "productOffering", "productOfferingPrice", "productSpecification")
MERGE = {"Content-Type": "application/merge-patch+json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}
JSON = {"Content-Type": "application/json"}


@dataclass
class Served:
    base: str
    database: str
    tmf: dict[str, str]  # resource -> id of one stored resource
    container: str
    instance: str  # an Offer Library tag's instance id

    @property
    def port(self) -> int:
        return int(urlsplit(self.base).port or 0)


def rows(database: str) -> list[tuple[Any, ...]]:
    """Every stored row, current and historical, with its body as stored."""
    sql = [
        "SELECT scope, kind, id, version, deleted, modified_at, body::text FROM {t} ORDER BY 1, 2, 3, 4",
        "SELECT scope, kind, id, version, deleted, modified_at, body FROM {t} ORDER BY 1, 2, 3, 4",
    ]
    tables = ("documents", "document_versions")
    if database.startswith("sqlite"):
        with sqlite3.connect(database.removeprefix("sqlite:///")) as conn:
            return [r for t in tables for r in conn.execute(sql[1].format(t=t)).fetchall()]
    with psycopg.connect(database) as conn:
        return [tuple(r) for t in tables for r in conn.execute(sql[0].format(t=t)).fetchall()]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with migrated_database(request.param, tmp_path_factory.mktemp("battery")) as url:
        made = open_store(url)
        try:
            container = make_container(made, ORG, SANDBOX, "battery")
        finally:
            made.close()
        with running_server(url) as (base, _proc):
            tmf = {}
            for resource in RESOURCES:
                created = httpx.post(f"{base}{TMF}/{resource}", json={"name": f"{resource} one"})
                assert created.status_code == 201, created.text
                tmf[resource] = created.json()["id"]
            tag = httpx.post(
                f"{base}{BASE}/{container}/instances",
                headers={**HEADERS, "Content-Type": instance_type("tag")},
                content=json.dumps({"xdm:name": "battery tag"}),
            )
            assert tag.status_code == 201, tag.text
            yield Served(base, url, tmf, container, tag.json()["instanceId"])


def amplifying_patch(root: str) -> bytes:
    """About 110 KB of JSON Patch whose `copy` operations double a value five times (3.2 MB)."""
    ops: list[dict[str, Any]] = [{"op": "add", "path": f"{root}/e", "value": {"s": "x" * 100_000}}]
    ops += [{"op": "copy", "from": f"{root}/e", "path": f"{root}/e/c{i}"} for i in range(5)]
    return json.dumps(ops).encode()


def http_cases(s: Served) -> list[tuple[str, str, str, dict[str, Any], bytes | None]]:
    """(label, method, path, headers, body) of every bad request sent through an HTTP client."""
    po = s.tmf["productOffering"]
    ol_item = f"{BASE}/{s.container}/instances/{s.instance}"
    ol_list = f"{BASE}/{s.container}/instances"
    ol_patch = {**HEADERS, "Content-Type": "application/vnd.adobe.platform.xcore.patch.hal+json"}
    cases: list[tuple[str, str, str, dict[str, Any], bytes | None]] = []
    big = b'{"name":"x","n":18446744073709551616}'
    for resource, id in s.tmf.items():
        cases.append((f"POST {resource} 2^64", "POST", f"{TMF}/{resource}", JSON, big))
        cases.append((f"PATCH {resource} 2^64", "PATCH", f"{TMF}/{resource}/{id}", MERGE, big))
    cases += [
        ("Offer Library POST 2^64", "POST", ol_list, {**HEADERS, "Content-Type": instance_type("tag")},
         b'{"xdm:name":"t","n":18446744073709551616}'),
        ("Offer Library PATCH 2^64", "PATCH", ol_item, ol_patch,
         b'[{"op":"add","path":"/_instance/n","value":18446744073709551616}]'),
        ("history/<30 digits>", "GET", f"{TMF}/productOffering/{po}/history/{'9' * 30}", {}, None),
        ("If-Match 5000 digits", "PATCH", f"{TMF}/productOffering/{po}",
         {**MERGE, "If-Match": '"' + "9" * 5000 + '"'}, b'{"description":"d"}'),
        ("If-Match 0xB2", "PATCH", f"{TMF}/productOffering/{po}",
         {**MERGE, "If-Match": b'"\xb2"'}, b'{"description":"d"}'),
        ("Offer Library If-Match 5000 digits", "PATCH", ol_item,
         {**ol_patch, "If-Match": '"' + "9" * 5000 + '"'},
         b'[{"op":"add","path":"/_instance/xdm:name","value":"n"}]'),
        ("JSON 300 deep (TMF)", "POST", f"{TMF}/productOffering", JSON,
         f'{{"name":"x","n":{_deep(300)}}}'.encode()),
        ("JSON 300 deep (Offer Library)", "POST", ol_list,
         {**HEADERS, "Content-Type": instance_type("tag")}, f'{{"xdm:name":"x","n":{_deep(300)}}}'.encode()),
        ("2000 name.regex", "GET",
         f"{TMF}/productOffering?" + "&".join(f"name.regex=n{i}" for i in range(2000)), {}, None),
        ("10000 sort keys", "GET", f"{TMF}/productOffering?sort=" + ",".join(["name"] * 10_000), {}, None),
        ("orderby=%00", "GET", f"{ol_list}?orderby=%00", HEADERS, None),
        ("SQL in a property path", "GET",
         f"{ol_list}?property=" + quote("_instance.a') OR kind IN ('personalized-offer') /*"), HEADERS, None),
        ("SQL in orderby", "GET", f"{ol_list}?orderby=a'", HEADERS, None),
        ("NUL in a TMF body", "POST", f"{TMF}/productOffering", JSON, b'{"name":"a\\u0000b"}'),
        ("NUL in an Offer Library body", "POST", ol_list,
         {**HEADERS, "Content-Type": instance_type("tag")}, b'{"xdm:name":"a\\u0000b"}'),
        ("NUL in a TMF query", "GET", f"{TMF}/productOffering?name=a%00", {}, None),
        ("body over 1 MiB (TMF)", "POST", f"{TMF}/productOffering", JSON,
         b'{"name":"' + b"x" * (1024 * 1024 + 10) + b'"}'),
        ("body over 1 MiB (Offer Library)", "POST", ol_list,
         {**HEADERS, "Content-Type": instance_type("tag")},
         b'{"xdm:name":"' + b"x" * (1024 * 1024 + 10) + b'"}'),
        ("regex group name", "GET", f"{TMF}/productOffering?name.regex=" + quote("(?<x>a)"), {}, None),
        ("regex backreference (Offer Library)", "GET",
         f"{ol_list}?property=" + quote("_instance.xdm:name~(a)\\1"), HEADERS, None),
        ("JSON Patch copies past the document limit (TMF)", "PATCH", f"{TMF}/productOffering/{po}",
         JSON_PATCH, amplifying_patch("")),
        ("JSON Patch copies past the document limit (Offer Library)", "PATCH", ol_item, ol_patch,
         amplifying_patch("/_instance")),
        ("property=repo:createdDate>9999999999999999", "GET",
         f"{ol_list}?property=" + quote("repo:createdDate>9999999999999999"), HEADERS, None),
        ("Offer Library If-Match 0xB2", "PATCH", ol_item, {**ol_patch, "If-Match": b'"\xb2"'},
         b'[{"op":"add","path":"/_instance/xdm:name","value":"n"}]'),
        ("body id with control characters", "POST", f"{TMF}/productOffering", JSON,
         b'{"id":"a\\u0001b","name":"x"}'),
        ("body id with a slash", "POST", f"{TMF}/productOffering", JSON, b'{"id":"a/b","name":"x"}'),
        ("malformed JSON", "POST", f"{TMF}/productOffering", JSON, b'{"name": "x",'),
        ("JSON Patch to a missing member", "PATCH", f"{TMF}/productOffering/{po}", JSON_PATCH,
         b'[{"op":"replace","path":"/nope/deeper","value":1}]'),
        ("PATCH with an unsupported media type", "PATCH", f"{TMF}/productOffering/{po}",
         {"Content-Type": "text/plain"}, b"name=x"),
        ("server-managed id in a patch", "PATCH", f"{TMF}/productOffering/{po}", MERGE, b'{"id":"other"}'),
        ("unknown lifecycle status", "PATCH", f"{TMF}/productOffering/{po}", MERGE,
         b'{"lifecycleStatus":"Exploded"}'),
        ("another tenant's container", "GET", f"{BASE}/{s.container}/instances",
         auth("other-org@AdobeOrg", SANDBOX), None),
        ("id with control characters", "GET", f"{TMF}/productOffering/a%01%7Fb", {}, None),
        ("catalog id with NUL", "GET", f"{TMF}/catalog/a%00b", {}, None),
        ("wrong method", "PUT", f"{TMF}/productOffering/{po}", JSON, b"{}"),
    ]  # fmt: skip
    return cases


def raw_cases() -> list[tuple[str, bytes, int]]:
    """(label, bytes, expected status) sent on a raw socket: what no HTTP client would send."""
    return [
        ("request line over the head limit", b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 431),
        ("unknown method", b"BREW /health HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("raw 0xFF in the path", b"GET /tmf-api/\xff HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("1 MiB header", b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n", 431),
        ("not HTTP at all", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 400),
    ]


def raw(port: int, data: bytes) -> tuple[int, dict[str, Any]]:
    """Send bytes; the status and the JSON body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)  # the server may answer and close before reading everything
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body or b"{}")


def test_every_bad_input_is_a_coded_error_and_changes_nothing(served: Served) -> None:
    before = rows(served.database)
    answers: dict[str, tuple[int, str]] = {}
    with httpx.Client(base_url=served.base, timeout=30) as client:
        for label, method, path, headers, body in http_cases(served):
            response = client.request(method, path, headers=headers, content=body)
            code = response.json().get("code") if response.content else None
            answers[label] = (response.status_code, str(code))
            assert client.get("/health", timeout=1).status_code == 200, label
        for label, path, headers in (
            ("chunked body over 1 MiB (TMF)", f"{TMF}/productOffering", JSON),
            ("chunked body over 1 MiB (Offer Library)", f"{BASE}/{served.container}/instances",
             {**HEADERS, "Content-Type": instance_type("tag")}),
        ):  # fmt: skip
            chunks = (b'{"name":"' if i == 0 else b"x" * 65536 for i in range(40))  # 2.5 MiB, unsized
            response = client.post(path, headers=headers, content=chunks)
            answers[label] = (response.status_code, str(response.json().get("code")))
            assert client.get("/health", timeout=1).status_code == 200, label
        for label, data, _status in raw_cases():
            status, payload = raw(served.port, data)
            answers[label] = (status, str(payload.get("code")))
            assert client.get("/health", timeout=1).status_code == 200, label
    wrong = {
        label: answer
        for label, answer in answers.items()
        if not (400 <= answer[0] < 500 or answer[0] == 503) or answer[1] in ("None", "", "internal_error")
    }
    assert not wrong, json.dumps(wrong, indent=1)
    assert answers["chunked body over 1 MiB (TMF)"] == (413, "payload_too_large")
    assert answers["chunked body over 1 MiB (Offer Library)"] == (413, "payload_too_large")
    assert answers["JSON Patch copies past the document limit (TMF)"] == (413, "document_too_large")
    assert answers["JSON Patch copies past the document limit (Offer Library)"] == (413, "document_too_large")
    expected = {label: status for label, _data, status in raw_cases()}
    assert {label: answers[label][0] for label in expected} == expected
    assert rows(served.database) == before


def test_numbers_the_specification_allows_are_clamped_not_errors(served: Served) -> None:
    """offset/limit are plain integers in TMF620 v4: huge or negative values page, never fail."""
    with httpx.Client(base_url=served.base, timeout=30) as client:
        for query, count in (
            ("offset=9223372036854775808", 0),
            ("limit=" + "9" * 5000, 1),
            ("offset=-3&limit=-1", 0),
        ):
            response = client.get(f"{TMF}/productOffering?{query}")
            assert response.status_code == 200, (query, response.text)
            assert len(response.json()) == count
