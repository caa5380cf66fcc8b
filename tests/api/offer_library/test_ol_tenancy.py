"""Callers name their organisation and sandbox; another tenant's containers and instances do not exist."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from offer_catalog.store import Store
from support.offer_library import (
    API_KEY,
    BASE,
    ORG,
    RECORDED_USER,
    SANDBOX,
    Xcore,
    auth,
    jwt,
    make_container,
    tag_body,
)

CONTAINERS = "https://ns.adobe.com/experience/xcore/container"


@pytest.mark.parametrize(
    ("drop", "replace", "status", "code"),
    [
        ("Authorization", None, 403, "403010"),
        (None, {"Authorization": "Basic dXNlcjpwYXNz"}, 401, "401013"),
        (None, {"Authorization": "Bearer "}, 401, "401013"),
        (None, {"Authorization": "Bearer"}, 401, "401013"),
        ("x-api-key", None, 403, "403000"),
        (None, {"x-api-key": "  "}, 403, "403000"),
        ("x-gw-ims-org-id", None, 400, "400003"),
        ("x-sandbox-name", None, 400, "sandbox_name_missing"),
    ],
)
@pytest.mark.parametrize("call", ["home", "list", "get", "create", "patch", "delete", "search"])
def test_missing_credentials(
    xc: Xcore, call: str, drop: str | None, replace: dict[str, str] | None, status: int, code: str
) -> None:
    headers = {k: v for k, v in auth().items() if k != drop} | (replace or {})
    client, url = xc.client, xc.instances
    response = {
        "home": lambda: client.get(f"{BASE}/", headers=headers),
        "list": lambda: client.get(url, headers=headers),
        "get": lambda: client.get(f"{url}/x", headers=headers),
        "create": lambda: client.post(url, headers=headers, content=b"{}"),
        "patch": lambda: client.patch(f"{url}/x", headers=headers, content=b"[]"),
        "delete": lambda: client.delete(f"{url}/x", headers=headers),
        "search": lambda: client.get(f"{BASE}/{xc.container}/queries/core/search", headers=headers),
    }[call]()
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["status"], problem["code"], problem["error_code"]) == (status, code, code)
    assert {"type", "title", "detail", "message"} <= set(problem)


@pytest.fixture
def intruders(client: TestClient, container: str) -> list[Xcore]:
    """Callers of another organisation, another sandbox, and both."""
    return [
        Xcore(client, container, auth(org="OTHER@AdobeOrg")),
        Xcore(client, container, auth(sandbox="dev")),
        Xcore(client, container, auth(org="OTHER@AdobeOrg", sandbox="dev")),
    ]


def test_another_tenant_sees_404(xc: Xcore, intruders: list[Xcore]) -> None:
    receipt = xc.make("tag", tag_body())
    iid = receipt["instanceId"]
    for other in intruders:
        for response in (
            other.get(iid),
            other.list(),
            other.list(path="queries/core/search"),
            other.create("tag", tag_body("mine now")),
            other.patch(iid, [{"op": "replace", "path": "/_instance/xdm:name", "value": "taken"}]),
            other.put(iid, {"_instance": tag_body("taken")}),
            other.delete(iid),
            other.client.get(f"{BASE}/containers/{xc.container}", headers=other.headers),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["code"] == "not_found"
    assert xc.instance(iid) == {"@id": receipt["@id"], **tag_body()}
    assert xc.results()["_embedded"]["total"] == 1


def test_home_lists_the_callers_containers_only(client: TestClient, store: Store, container: str) -> None:
    second = make_container(store, name="second")
    make_container(store, org="OTHER@AdobeOrg", name="theirs")
    make_container(store, sandbox="dev", name="dev one")
    response = client.get(
        f"{BASE}/?product=acp&property=_instance.containerType==decisioning", headers=auth()
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.adobe.platform.xcore.home.hal+json; version=1"
    entries = response.json()["_embedded"][CONTAINERS]
    assert [e["instanceId"] for e in entries] == [container, second]
    assert entries[0]["_instance"] == {
        "containerType": "decisioning",
        "repo:name": "decisions",
        "dataCenter": "local",
        "parentName": SANDBOX,
        "parentId": ORG,
    }
    href = entries[0]["_links"]["self"]["href"]
    assert client.get(href, headers=auth()).json()["instanceId"] == container
    assert (
        client.get(f"{BASE}?property=_instance.containerType==other", headers=auth()).json()["_embedded"][
            CONTAINERS
        ]
        == []
    )
    assert client.get(f"{BASE}/", headers={**auth(), "Accept": "text/html"}).status_code == 406


def test_an_unsigned_token_subject_is_never_recorded(client: TestClient, container: str) -> None:
    """Authentication off: the token is not verified, so its `sub` is not trusted; the key is a label."""
    first = Xcore(client, container, auth(token=jwt({"sub": "ceo@victim.example"}), key="app-1"))
    receipt = first.make("tag", tag_body())
    assert (receipt["repo:createdBy"], receipt["repo:createdByClientId"]) == (RECORDED_USER, "app-1")
    second = Xcore(client, container, auth(token=jwt({"user_id": "bob@AdobeID"}), key="app-2"))
    patched = second.patch(
        receipt["instanceId"], [{"op": "replace", "path": "/_instance/xdm:name", "value": "b"}]
    ).json()
    assert (patched["repo:createdBy"], patched["repo:lastModifiedBy"]) == (RECORDED_USER, RECORDED_USER)
    assert (patched["repo:createdByClientId"], patched["repo:lastModifiedByClientId"]) == ("app-1", "app-2")
    assert "ceo@victim.example" not in first.get(receipt["instanceId"]).text


def test_an_opaque_token_is_never_stored_or_echoed(client: TestClient, container: str) -> None:
    secret = "opaque-secret-token-value"
    xc = Xcore(client, container, auth(token=secret))
    receipt = xc.make("tag", tag_body())
    assert receipt["repo:createdBy"] == RECORDED_USER
    for response in (xc.get(receipt["instanceId"]), xc.list(), xc.delete(receipt["instanceId"])):
        assert secret not in response.text
    broken = Xcore(client, container, auth(token="a.!!!.c"))
    assert broken.make("tag", tag_body("3"))["repo:createdBy"] == RECORDED_USER


def test_the_default_caller(xc: Xcore) -> None:
    receipt = xc.make("tag", tag_body())
    assert (receipt["repo:createdBy"], receipt["repo:createdByClientId"]) == (RECORDED_USER, API_KEY)


def test_unknown_container_and_instance(xc: Xcore, client: TestClient) -> None:
    assert Xcore(client, "nope").list().status_code == 404
    assert xc.get("nope").json()["code"] == "not_found"
    assert client.get(f"{BASE}/containers/nope", headers=auth()).status_code == 404


def test_problem_bodies_are_complete(xc: Xcore) -> None:
    response = xc.get("nope")
    problem = response.json()
    assert set(problem) >= {"type", "status", "title", "detail", "code", "requestId"}
    assert problem["requestId"] == response.headers["x-request-id"]
    assert problem["title"] == "Not Found" and problem["status"] == 404


def test_method_not_allowed(xc: Xcore) -> None:
    response = xc.client.put(xc.instances, headers=xc.headers, content=json.dumps({}))
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


def test_cli_containers_on_the_command_line(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from offer_catalog.cli import app

    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'c.db'}"
    made = runner.invoke(
        app,
        ["containers", "create", "--org", ORG, "--sandbox", SANDBOX, "--name", "A", "--database-url", url],
    )
    assert made.exit_code == 0, made.output
    container = made.output.strip().splitlines()[-1]
    listed = runner.invoke(
        app, ["containers", "list", "--org", ORG, "--sandbox", SANDBOX, "--database-url", url]
    )
    assert listed.exit_code == 0 and listed.output.split("\t")[:2] == [container, "A"]
    other = runner.invoke(
        app, ["containers", "list", "--org", ORG, "--sandbox", "dev", "--database-url", url]
    )
    assert other.exit_code == 0 and other.output == ""
    blank = runner.invoke(
        app,
        ["containers", "create", "--org", ORG, "--sandbox", SANDBOX, "--name", " ", "--database-url", url],
    )
    assert blank.exit_code == 1 and "validation_failed" in blank.output
    bad_url = runner.invoke(
        app, ["containers", "list", "--org", ORG, "--sandbox", SANDBOX, "--database-url", "mysql://x"]
    )
    assert bad_url.exit_code == 2
