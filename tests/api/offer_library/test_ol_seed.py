"""The first seed, replayed as written: PATCH a fallback offer's status and get the documented receipt."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from support.offer_library import (
    ORG,
    RECORDED_USER,
    SANDBOX,
    TOKEN,
    Xcore,
    auth,
    fallback_body,
    placement_body,
)
from support.server import cli_container, command

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
API_KEY = "seed-api-key"
PLACEHOLDERS = {"{ACCESS_TOKEN}": TOKEN, "{API_KEY}": API_KEY, "{IMS_ORG}": ORG, "{SANDBOX_NAME}": SANDBOX}


def read_seed(shared_dir: Path) -> dict[str, Any]:
    """The seed's request (method, URL, headers, body) and documented response."""
    text = (shared_dir / "seeds" / "000_c513e1e5af93ca4d.txt").read_text(encoding="utf-8")
    shell = text.split("```shell", 1)[1].split("```", 1)[0]
    method, url = re.search(r"curl -X (\w+) \\\s*'([^']+)'", shell).groups()  # type: ignore[union-attr]
    headers = dict(h.split(": ", 1) for h in re.findall(r"-H '([^']+)'", shell))
    body = json.loads(shell.split("-d '", 1)[1])
    response = json.loads(text.split("```json", 1)[1].split("```", 1)[0])
    return {"method": method, "url": url, "headers": headers, "body": body, "response": response}


def replay(client: TestClient, seed: dict[str, Any], container: str, instance: str) -> Any:
    """Send the seed's request with its placeholders and ids filled in."""
    url = seed["url"].replace("https://platform.adobe.io", "")
    url = url.replace("e0bd8463-0913-4ca1-bd84-6309134ca1f6", container)
    url = url.replace("b3966680-13ec-11eb-9c20-8323709cfc65", instance)
    headers = {}
    for name, value in seed["headers"].items():
        for placeholder, filled in PLACEHOLDERS.items():
            value = value.replace(placeholder, filled)
        headers[name] = value
    return client.request(seed["method"], url, headers=headers, content=json.dumps(seed["body"]))


def check_receipt(seed: dict[str, Any], response: Any, created: dict[str, Any]) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.adobe.platform.xcore.xdm.receipt+json"
    )
    receipt = response.json()
    assert set(receipt) == set(seed["response"])
    assert receipt["repo:etag"] == 2 == seed["response"]["repo:etag"]
    assert receipt["instanceId"] == created["instanceId"]
    assert receipt["@id"] == created["@id"]
    assert re.match(r"^xcore:fallback-offer:[0-9a-f]{16}$", receipt["@id"])
    assert receipt["repo:createdDate"] == created["repo:createdDate"]
    for member in ("repo:createdDate", "repo:lastModifiedDate"):
        assert STAMP.match(receipt[member]) and STAMP.match(seed["response"][member])
    assert receipt["repo:lastModifiedDate"] > receipt["repo:createdDate"]
    assert receipt["repo:lastModifiedBy"] == RECORDED_USER
    assert receipt["repo:lastModifiedByClientId"] == API_KEY
    assert response.headers["etag"] == '"2"'


def test_seed_patch_of_a_fallback_offer(client: TestClient, container: str, shared_dir: Path) -> None:
    seed = read_seed(shared_dir)
    assert seed["method"] == "PATCH" and seed["body"] == [
        {"op": "replace", "path": "/_instance/xdm:status", "value": "approved"}
    ]
    xc = Xcore(client, container, auth(key=API_KEY))
    placement = xc.make("offer-placement", placement_body())
    created = xc.make("fallback-offer", fallback_body(placement["@id"], status="draft"))
    response = replay(client, seed, container, created["instanceId"])
    check_receipt(seed, response, created)
    assert xc.instance(created["instanceId"])["xdm:status"] == "approved"
    assert xc.get(created["instanceId"]).json()["repo:createdBy"] == RECORDED_USER


def test_seed_against_a_container_made_by_the_cli(tmp_path: Path, shared_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    container = cli_container(url, ORG, SANDBOX, "Seed container")
    listed = subprocess.run(
        [*command(), "containers", "list", "--org", ORG, "--sandbox", SANDBOX, "--database-url", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0 and listed.stdout.split("\t")[0] == container
    settings = load_settings({"database_url": url}, environ={})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        seed = read_seed(shared_dir)
        xc = Xcore(client, container, auth(key=API_KEY))
        home = client.get("/data/core/xcore/", headers=auth())
        assert [
            c["instanceId"]
            for c in home.json()["_embedded"]["https://ns.adobe.com/experience/xcore/container"]
        ] == [container]
        placement = xc.make("offer-placement", placement_body())
        created = xc.make("fallback-offer", fallback_body(placement["@id"], status="draft"))
        check_receipt(seed, replay(client, seed, container, created["instanceId"]), created)


@pytest.mark.parametrize("content_type", ["schema-instance", "json-patch"])
def test_seed_body_with_the_other_documented_content_types(
    xc: Xcore, shared_dir: Path, content_type: str
) -> None:
    # The seed's header table names application/schema-instance+json; JSON Patch's own type works too.
    types = {
        "schema-instance": 'application/schema-instance+json; version=1;  schema="https://ns.adobe.com/experience/offer-management/fallback-offer;version=0.1"',
        "json-patch": "application/json-patch+json",
    }
    seed = read_seed(shared_dir)
    placement = xc.make("offer-placement", placement_body())
    created = xc.make("fallback-offer", fallback_body(placement["@id"], status="draft"))
    response = xc.patch(created["instanceId"], seed["body"], content_type=types[content_type])
    assert response.status_code == 200, response.text
    assert response.json()["repo:etag"] == 2
