"""`offer-catalog decide` as a user runs it, on a SQLite file prepared through the Offer Library service."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from offer_catalog.documents.model import Actor
from offer_catalog.offer_library.containers import create_container
from offer_catalog.offer_library.service import create_instance
from offer_catalog.offer_library.tenancy import Caller
from offer_catalog.resources.offer_library import BY_NAME
from offer_catalog.store import open_store
from support.server import command

ORG, SANDBOX = "CLI@AdobeOrg", "prod"
WEB = "https://ns.adobe.com/xdm/channel-types/web"
HTML = "https://ns.adobe.com/experience/offer-management/content-component-html"


def _rep(placement: str, text: str) -> dict[str, Any]:
    return {
        "xdm:channel": WEB,
        "xdm:placement": placement,
        "xdm:components": [{"@type": HTML, "dc:format": "text/html", "xdm:content": text}],
    }


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A SQLite file with one activity whose only offer has a profile cap of 1."""
    path = tmp_path_factory.mktemp("decide") / "catalog.db"
    store = open_store(f"sqlite:///{path}")
    store.migrate()
    caller = Caller(ORG, SANDBOX, Actor("ops", "cli"))
    ids: dict[str, str] = {"url": f"sqlite:///{path}"}
    with store.unit_of_work(write=True) as uow:
        ids["container"] = create_container(uow, org=ORG, sandbox=SANDBOX, name="cli", actor=caller.actor).id

        def make(kind: str, body: dict[str, Any]) -> str:
            doc = create_instance(
                uow,
                caller=caller,
                container_id=ids["container"],
                spec=BY_NAME[kind],
                instance=body,
                compile_pql=None,
            )
            return str(doc.body["@id"])

        ids["placement"] = make(
            "offer-placement", {"xdm:name": "web", "xdm:channel": WEB, "xdm:componentType": HTML}
        )
        ids["offer"] = make(
            "personalized-offer",
            {
                "xdm:name": "welcome",
                "xdm:status": "approved",
                "xdm:representations": [_rep(ids["placement"], "<p>welcome</p>")],
                "xdm:selectionConstraint": {
                    "xdm:startDate": "2020-01-01T00:00:00Z",
                    "xdm:endDate": "2099-01-01T00:00:00Z",
                },
                "xdm:rank": {"xdm:priority": 5},
                "xdm:cappingConstraint": {"xdm:profileCap": 1},
            },
        )
        ids["fallback"] = make(
            "fallback-offer",
            {
                "xdm:name": "fb",
                "xdm:status": "approved",
                "xdm:representations": [_rep(ids["placement"], "fb")],
            },
        )
        ids["filter"] = make(
            "offer-filter", {"xdm:name": "all", "xdm:filterType": "offers", "xdm:ids": [ids["offer"]]}
        )
        ids["activity"] = make(
            "offer-activity",
            {
                "xdm:name": "welcome",
                "xdm:status": "live",
                "xdm:criteria": [
                    {
                        "xdm:placements": [ids["placement"]],
                        "xdm:optionSelection": {"xdm:filter": ids["filter"]},
                    }
                ],
                "xdm:fallback": ids["fallback"],
            },
        )
    store.close()
    profile = path.parent / "profile.json"
    profile.write_text(
        json.dumps({"xdm:identityMap": {"Email": [{"xdm:id": "ann@x.y"}]}, "xdm:profileData": {}})
    )
    ids["profile"] = str(profile)
    return ids


# The options naming what to decide for, and the key of ids that holds each one's value.
TARGET = {
    "--container": "container",
    "--activity": "activity",
    "--placement": "placement",
    "--database-url": "url",
}


def target(ids: dict[str, str]) -> list[str]:
    return [part for option, key in TARGET.items() for part in (option, ids[key])]


def quiet_cli(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run the installed command with warnings and errors only on its log."""
    env = {**os.environ, "OFFER_CATALOG_LOG_LEVEL": "warning"}
    return subprocess.run([*command(), *args], capture_output=True, text=True, timeout=timeout, env=env)


def run(ids: dict[str, str], *extra: str, profile: str | None = None) -> subprocess.CompletedProcess[str]:
    return quiet_cli(["decide", *target(ids), "--profile", profile or ids["profile"], *extra], timeout=60)


def _choice(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    proposition = json.loads(result.stdout)["xdm:propositions"][0]
    return str((proposition.get("xdm:options") or [proposition.get("xdm:fallback")])[0]["xdm:id"])


def test_decide_prints_the_response_and_counts(catalog: dict[str, str]) -> None:
    dry = run(catalog, "--dry-run", "--org", ORG, "--sandbox", SANDBOX)
    assert _choice(dry) == catalog["offer"]
    first = run(catalog)
    assert _choice(first) == catalog["offer"]
    body = json.loads(first.stdout)
    option = body["xdm:propositions"][0]["xdm:options"][0]
    assert option["xdm:content"] == "<p>welcome</p>" and option["repo:etag"] == 1
    assert body["xdm:propositions"][0]["xdm:activity"]["xdm:id"] == catalog["activity"]
    assert _choice(run(catalog)) == catalog["fallback"]  # profile cap 1 reached, across processes


@pytest.mark.parametrize(
    ("extra", "status", "needle"),
    [
        (("--org", "OTHER@AdobeOrg", "--sandbox", SANDBOX), 1, "not_found"),
        (("--org", ORG), 2, "both --org and --sandbox"),
        (("--items", "40"), 1, "invalid_item_count"),
    ],
)
def test_bad_options_fail_clearly(
    catalog: dict[str, str], extra: tuple[str, ...], status: int, needle: str
) -> None:
    result = run(catalog, *extra)
    assert result.returncode == status
    assert needle in result.stderr and result.stdout == ""


def test_unknown_ids_fail_clearly(catalog: dict[str, str]) -> None:
    result = run({**catalog, "activity": "xcore:offer-activity:nope"})
    assert result.returncode == 1 and "unknown_activity" in result.stderr
    result = run({**catalog, "container": "no-such-container"})
    assert result.returncode == 1 and "not_found" in result.stderr


def test_bad_profile_files_fail_clearly(catalog: dict[str, str], tmp_path: Path) -> None:
    missing = run(catalog, profile=str(tmp_path / "absent.json"))
    assert missing.returncode == 2 and "cannot read profile file" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = run(catalog, profile=str(broken))
    assert result.returncode == 2 and "not valid JSON" in result.stderr
    anonymous = tmp_path / "anonymous.json"
    anonymous.write_text('{"xdm:profileData": {}}')
    result = run(catalog, profile=str(anonymous))
    assert result.returncode == 1 and "missing_identity" in result.stderr


def test_decide_explain_adds_the_reasons(catalog: dict[str, str], tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.json"
    fresh.write_text(json.dumps({"xdm:identityMap": {"Email": [{"xdm:id": "new@x.y"}]}}))
    result = run(catalog, "--explain", "--dry-run", profile=str(fresh))
    assert result.returncode == 0, result.stderr
    candidates = json.loads(result.stdout)["explanation"]["scopes"][0]["candidates"]
    assert [(c["offer"], c["outcome"], c["rank"]) for c in candidates] == [(catalog["offer"], "proposed", 1)]
