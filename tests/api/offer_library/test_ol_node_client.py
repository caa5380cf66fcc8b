"""Adobe's Node client (`adobe/adobe-api-client-decisioning`) against this service.

`src/offers.js` and `src/ode.js` with `@adobe/api-client-base`'s `src/base.js` send: the versionless
schema in `?schema=` (querystring-encoded) and in the HAL `Content-Type` of `createInstance`; a HAL
body without `_links`; `GET /data/core/xcore/?` for home; `GET /data/core/ode/{c}/offers?activityId=`
with the @id not encoded; `GET …/diagnostics`; `POST …/decisions` with `Content-Type:
application/json`, `Accept: application/json, application/problem+json` and the older request shape.
Their only default header is `x-sandbox-name: prod`; `@adobe/fetch` adds the credentials and org.

- `test_node_client_requests` replays those exact requests through HTTP on both stores.
- `test_node_client_drives_the_server` runs the real client under Node against `offer-catalog serve`
  on each store (the two clients as `npm pack` makes them, `.tgz` archives in
  tests/fixtures/adobe-node-clients unpacked into a temporary `node_modules`; or `ADOBE_NODE_CLIENTS`:
  a folder holding `adobe-api-client-decisioning/` and `adobe-api-client-base/`, as `git clone` makes
  them); the client's two dependencies outside Adobe's code (`@adobe/fetch`, which it uses only to
  lower-case header names here, and `debug`) are replaced by two-line stand-ins.
- `test_unpack_refuses_entries_outside_the_package`: the unpacking writes only regular files below
  the archive's `package/` folder.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from offer_catalog.store import Store, open_store
from support.offer_library import HTML, OM, ORG, WEB, make_container, representation
from support.server import running_server

HERE = Path(__file__).parent
DRIVER = HERE / "node_client_replay.js"
PACKED = Path(__file__).resolve().parents[2] / "fixtures" / "adobe-node-clients"
CHECKOUTS = os.environ.get("ADOBE_NODE_CLIENTS")  # git checkouts instead of the packed archives
PACKAGES = {
    "@adobe/api-client-decisioning": "adobe-api-client-decisioning",
    "@adobe/api-client-base": "adobe-api-client-base",
}
SHIMS = {
    "@adobe/fetch": "module.exports = { normalizeHeaders: h => Object.fromEntries("
    "Object.entries(h || {}).map(([k, v]) => [k.toLowerCase(), v])), "
    "config: () => { throw new Error('pass a fetch function'); } };\n",
    "debug": "module.exports = () => () => {};\n",
}


def _headers(**extra: str) -> dict[str, str]:
    """What the client sends: its `x-sandbox-name` default plus @adobe/fetch's credentials."""
    return {
        "x-sandbox-name": "prod",
        "authorization": "Bearer node-client-token",
        "x-api-key": "node-client",
        "x-gw-ims-org-id": ORG,
        **extra,
    }


class Client:
    """The Node client's calls, request for request."""

    def __init__(self, http: TestClient, container: str) -> None:
        self.http, self.container = http, container

    def ok(self, method: str, url: str, body: Any = None, **headers: str) -> Any:
        content = None if body is None else json.dumps(body, separators=(",", ":"))
        response = self.http.request(method, url, headers=_headers(**headers), content=content)
        assert response.is_success, (url, response.status_code, response.text)
        return response.json()

    def create(self, instance: dict[str, Any], schema: str) -> dict[str, Any]:
        url = f"/data/core/xcore/{self.container}/instances"
        content_type = f'application/vnd.adobe.platform.xcore.hal+json; schema="{schema}"'
        receipt: dict[str, Any] = self.ok(
            "POST", url, {"_instance": instance}, **{"content-type": content_type}
        )
        return receipt

    def instances(self, schema: str, **params: str) -> dict[str, Any]:
        query = urlencode({"schema": schema, **params})  # querystring.stringify
        page: dict[str, Any] = self.ok("GET", f"/data/core/xcore/{self.container}/instances?{query}")
        return page


def test_node_client_requests(client: TestClient, store: Store) -> None:
    node = Client(client, make_container(store))
    home = node.ok("GET", "/data/core/xcore/?")
    assert [
        c["instanceId"] for c in home["_embedded"]["https://ns.adobe.com/experience/xcore/container"]
    ] == [node.container]
    placement = node.create(
        {"xdm:name": "web", "xdm:channel": WEB, "xdm:componentType": HTML}, OM + "offer-placement"
    )["@id"]
    tag = node.create({"xdm:name": "all"}, OM + "tag")["@id"]
    window = {"xdm:startDate": "2020-01-01T00:00:00Z", "xdm:endDate": "2099-01-01T00:00:00Z"}
    offer = node.create(
        {
            "xdm:name": "offer",
            "xdm:status": "approved",
            "xdm:representations": [representation(placement)],
            "xdm:selectionConstraint": window,
            "xdm:rank": {"xdm:priority": 1},
            "xdm:tags": [tag],
        },
        OM + "personalized-offer",
    )
    fallback = node.create(
        {
            "xdm:name": "fallback",
            "xdm:status": "approved",
            "xdm:representations": [representation(placement)],
        },
        OM + "fallback-offer",
    )["@id"]
    collection = node.create(
        {"xdm:name": "all", "xdm:filterType": "anyTags", "xdm:ids": [tag]}, OM + "offer-filter"
    )["@id"]
    activity = node.create(
        {
            "xdm:name": "decision",
            "xdm:status": "live",
            "xdm:placement": placement,
            "xdm:filter": collection,
            "xdm:fallback": fallback,
        },
        OM + "offer-activity",
    )["@id"]

    approved = node.instances(OM + "personalized-offer", property="_instance.xdm:status==approved")
    assert [r["_instance"]["@id"] for r in approved["_embedded"]["results"]] == [offer["@id"]]
    for kind in ("offer-placement", "fallback-offer", "offer-filter", "offer-activity"):
        assert node.instances(OM + kind)["_embedded"]["count"] == 1
    got = node.ok("GET", f"/data/core/xcore/{node.container}/instances/{offer['instanceId']}")
    assert got["_instance"]["@id"] == offer["@id"]

    ode = f"/data/core/ode/{node.container}"
    catalog = node.ok("GET", f"{ode}/offers?activityId={activity}")["xdm:activityOffers"]
    assert [o["@id"] for o in catalog[0]["xdm:offers"]] == [offer["@id"]]
    diagnostics = node.ok("GET", f"{ode}/diagnostics")
    assert diagnostics["xdm:operations"]["xdm:offerCatalogUpdate"]["xdm:errors"] == []
    decision = node.ok(
        "POST",
        f"{ode}/decisions",
        {
            "xdm:offerActivities": [{"xdm:offerActivity": activity}],
            "xdm:identityMap": {"Email": [{"xdm:id": "n"}]},
        },
        **{"Accept": "application/json, application/problem+json", "content-type": "application/json"},
    )
    assert [o["xdm:id"] for o in decision["xdm:propositions"][0]["xdm:options"]] == [offer["@id"]]


def _archive(source: str) -> Path | None:
    """The one `npm pack` archive of a client (`<name>-<version>.tgz`), if it is there."""
    found = sorted(PACKED.glob(f"{source}-[0-9]*.tgz"))
    return found[0] if len(found) == 1 else None


def _unpack(archive: Path, target: Path) -> None:
    """Extract the `package/` folder of an npm archive into `target`: regular files only, none
    outside it (no links, devices, absolute paths or `..`)."""
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            path = PurePosixPath(member.name)
            if member.isdir():
                continue
            if (
                not member.isfile()
                or path.is_absolute()
                or path.parts[:1] != ("package",)
                or len(path.parts) < 2
                or ".." in path.parts
            ):
                raise ValueError(f"{archive.name}: refused entry {member.name!r}")
            data = tar.extractfile(member)
            assert data is not None
            out = target.joinpath(*path.parts[1:])
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data.read())


def _clients_present() -> bool:
    if CHECKOUTS:
        return (Path(CHECKOUTS) / "adobe-api-client-decisioning" / "src" / "ode.js").exists()
    return all(_archive(source) for source in PACKAGES.values())


def _node_modules(root: Path) -> Path:
    modules = root / "node_modules"
    for name, source in PACKAGES.items():
        if CHECKOUTS:
            shutil.copytree(
                Path(CHECKOUTS) / source,
                modules / name,
                ignore=shutil.ignore_patterns("node_modules", ".git"),
            )
        else:
            archive = _archive(source)
            assert archive is not None
            _unpack(archive, modules / name)
    for name, text in SHIMS.items():
        (modules / name).mkdir(parents=True, exist_ok=True)
        (modules / name / "index.js").write_text(text)
    return modules


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database on each store, for a server process of its own."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_store")  # empties the session's database first
        return str(request.getfixturevalue("postgres_db"))
    url = f"sqlite:///{tmp_path / 'node.db'}"
    sqlite = open_store(url)
    sqlite.migrate()
    sqlite.close()
    return url


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
@pytest.mark.skipif(
    not _clients_present(),
    reason="neither ADOBE_NODE_CLIENTS checkouts nor the packed archives of Adobe's Node clients",
)
def test_node_client_drives_the_server(tmp_path: Path, database: str) -> None:
    modules = _node_modules(tmp_path)
    made = open_store(database)
    try:
        container = make_container(made)
    finally:
        made.close()
    with running_server(database) as (base, _proc):
        run = subprocess.run(
            ["node", str(DRIVER), base, container, ORG],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "NODE_PATH": str(modules)},
        )
    report = json.loads(run.stdout or "{}")
    assert report.get("ok"), (run.stderr, report.get("error"), report.get("exchanges", [])[-1:])
    out, exchanges = report["out"], report["exchanges"]
    # what the client sent is what its source says it sends
    create = next(e for e in exchanges if e["method"] == "POST" and "/xcore/" in e["url"])
    assert (
        create["headers"]["content-type"]
        == f'application/vnd.adobe.platform.xcore.hal+json; schema="{OM}offer-placement"'
    )
    assert set(create["body"]) == {"_instance"} and create["status"] == 201
    assert exchanges[0]["url"] == f"{base}/data/core/xcore/?"
    assert all(e["headers"]["x-sandbox-name"] == "prod" for e in exchanges)
    # and every answer is the documented one
    assert (
        out["home"]["_embedded"]["https://ns.adobe.com/experience/xcore/container"][0]["instanceId"]
        == container
    )
    assert [r["_instance"]["@id"] for r in out["approvedOffers"]["_embedded"]["results"]] == [
        out["created"]["offer"]["@id"]
    ]
    assert out["activities"]["_embedded"]["count"] == 1 and "next" not in out["activities"]["_links"]
    assert out["instance"]["_instance"]["xdm:name"] == "Node offer"
    catalog = out["activityOffers"]["xdm:activityOffers"][0]
    assert [o["@id"] for o in catalog["xdm:offers"]] == [out["created"]["offer"]["@id"]]
    assert catalog["xdm:fallbackOffer"]["@id"] == out["created"]["fallback"]["@id"]
    assert out["diagnostics"]["xdm:operations"]["xdm:activitiesUpdate"]["xdm:errors"] == []
    options = out["decision"]["xdm:propositions"][0]["xdm:options"]
    assert [o["xdm:id"] for o in options] == [out["created"]["offer"]["@id"]]


@pytest.mark.parametrize(
    "name, kind",
    [
        ("package/../escaped.js", tarfile.REGTYPE),
        ("/etc/escaped.js", tarfile.REGTYPE),
        ("other/index.js", tarfile.REGTYPE),
        ("package/link.js", tarfile.SYMTYPE),
    ],
)
def test_unpack_refuses_entries_outside_the_package(tmp_path: Path, name: str, kind: bytes) -> None:
    archive = tmp_path / "bad-1.0.0.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        fine = tarfile.TarInfo("package/index.js")
        fine.size = 2
        tar.addfile(fine, io.BytesIO(b"//"))
        bad = tarfile.TarInfo(name)
        bad.type = kind
        bad.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
        tar.addfile(bad, io.BytesIO(b""))
    with pytest.raises(ValueError, match="refused entry"):
        _unpack(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.js").exists() and not (tmp_path / "out" / "link.js").exists()
