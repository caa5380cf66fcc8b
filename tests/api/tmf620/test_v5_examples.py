"""Every request and response example of the TMF620 v5.0.0 specification, replayed against the service.

The examples are read from the specification file itself (paths -> operations -> requestBody and
responses examples, following `$ref` to components/examples). Each replay creates what it needs first
(the resource a retrieve, list or patch example shows, through v5's own POST), sends the documented
request and checks the documented status and every documented response member the server does not
generate (`id` of a create, `href` and `lastUpdate`; a job's state and dates).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from offer_catalog.app import create_app
from offer_catalog.settings import load_settings
from offer_catalog.store import Store
from support.shared import SHARED, shared_dir

SPEC = Path("tmf620") / "TMF620-Product_Catalog_Management-v5.0.0.oas.yaml"
V5 = "/tmf-api/productCatalogManagement/v5"
DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
# Members the server sets, whatever a resource example shows (checked for form, not value).
SERVER_SET = {"href", "lastUpdate"}
# A job's members the service decides (its state, dates and log; an export job's url is its file).
JOB_SET = SERVER_SET | {"status", "creationDate", "completionDate", "errorLog"}

# Where an example's answer contradicts its own request, no server can give both: there the answer must
# hold what the request sent (absent when it sent nothing). Path -> what the specification shows.
CONTRADICTIONS: dict[str, dict[str, str]] = {
    "Category_Create_example": {"productOffering": "an empty productOffering the request does not send"},
    "ProductCatalog_Create_example": {"category": "an empty category the request does not send"},
    "Product_Offering_Create_example": {
        "attachment[0].@type": "request AttachmentRef, answer AttachmentRefOrValue",
        "prodSpecCharValueUse[0].productSpecCharacteristicValue[0].value": 'request "8" (text), answer 8',
        "prodSpecCharValueUse[0].productSpecCharacteristicValue[1].value": 'request "16" (text), answer 16',
    },
    "Product_Specification_Create_example": {
        "attachment[0].@type": "request AttachmentRef, answer AttachmentRefOrValue",
        "attachment[1].@type": "request AttachmentRef, answer AttachmentRefOrValue",
    },
    "Product_Specification_Create_example_with_intent": {
        "attachment[0].@type": "request AttachmentRef, answer AttachmentRefOrValue",
        "attachment[1].@type": "request AttachmentRef, answer AttachmentRefOrValue",
    },
}

# Examples the service does not replay yet (each with its reason; strict: a fix
# makes the test fail until the entry is removed).
KNOWN_FAILING: dict[str, str] = {}


@dataclass(frozen=True)
class Case:
    """One documented exchange: an operation, its example name, the request and the answer shown."""

    method: str
    path: str
    name: str
    media: str | None
    request: Any
    status: int
    response: Any

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.name}"


@functools.cache
def _spec() -> dict[str, Any]:
    with (SHARED / SPEC).open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return loaded


def _deref(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = _spec()
        for step in node["$ref"].lstrip("#/").split("/"):
            target = target[step]
        node = target
    return node


def _cases() -> list[Case]:
    """Every example exchange of the specification: requests paired with the answer of the same name."""
    cases = []
    for path, operations in _spec()["paths"].items():
        for method, operation in operations.items():
            requests: dict[str, tuple[str, Any]] = {}
            body = _deref(operation.get("requestBody"))
            for media, content in (body or {}).get("content", {}).items():
                for name, example in (content.get("examples") or {}).items():
                    requests[name] = (media, _deref(example)["value"])
            answers: dict[str, tuple[int, Any]] = {}
            for code, answer in operation.get("responses", {}).items():
                for content in (_deref(answer).get("content") or {}).values():
                    for name, example in (content.get("examples") or {}).items():
                        answers[name] = (int(code), _deref(example)["value"])
            success = min(int(c) for c in operation["responses"] if str(c).startswith("2"))
            for name in sorted(set(requests) | set(answers)):
                media, request = requests.get(name, (None, None))
                status, response = answers.get(name, (success, None))
                cases.append(Case(method.upper(), path, name, media, request, status, response))
    return cases


def _params() -> list[Any]:
    if not (SHARED / SPEC).is_file():
        return [pytest.param(None, id="specification-missing")]
    return [
        pytest.param(case, id=str(case), marks=_known(case.name))
        if case.name in KNOWN_FAILING
        else pytest.param(case, id=str(case))
        for case in _cases()
    ]


def _known(name: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(reason=f"not replayed yet: {KNOWN_FAILING[name]}", strict=True)


@pytest.fixture
def app(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    """The service with an export directory (the job examples need one)."""
    settings = load_settings({"database_url": "sqlite:///unused.db", "export_dir": str(tmp_path)}, environ={})
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client:
        yield client


def test_the_specification_has_the_examples_replayed() -> None:
    shared_dir()
    cases = _cases()
    assert len(cases) == 66
    assert (
        sum(c.response is not None for c in cases) == 42 and sum(c.request is not None for c in cases) == 52
    )
    # What the specification contradicts itself on is really contradicted there (this list cannot go stale).
    by_name = {c.name: c for c in cases}
    for name, paths in CONTRADICTIONS.items():
        for path in paths:
            assert _at(by_name[name].request, path) != _at(by_name[name].response, path), (name, path)
    # And the answers restored member by member really differ from the retrieve example elsewhere, and
    # really have the member changed.
    for name, member in RESTORES.items():
        case = by_name[name]
        previous = _retrieved(case.path.split("/")[1])
        for k in _touched(case):
            assert _restore(case.response[k], previous[k], member) not in (previous[k], case.response[k]), (
                name
            )


@pytest.mark.parametrize("case", _params())
def test_example_replays(app: TestClient, case: Case | None) -> None:
    shared_dir()
    assert case is not None
    collection = case.path.split("/")[1]
    if case.path.startswith("/listener/"):
        _listener(app, case)
    elif collection in ("importJob", "exportJob"):
        _job(app, case, collection)
    elif case.method == "POST":
        answer = app.post(f"{V5}{case.path}", json=case.request)
        _check(answer, case, collection, created=True)
    elif case.method == "GET" and case.path.endswith("{id}"):
        _seed(app, collection, case.response)
        _check(app.get(f"{V5}/{collection}/{case.response['id']}"), case, collection)
    elif case.method == "GET":
        for item in case.response:
            _seed(app, collection, item)
        _check(app.get(f"{V5}/{collection}"), case, collection)
    elif case.method == "PATCH":
        _seed(app, collection, _before(case, collection))
        url = f"{V5}/{collection}/{case.response['id']}"
        answer = app.patch(url, json=case.request, headers={"Content-Type": case.media or "application/json"})
        _check(answer, case, collection)
        _check(app.get(url), case, collection)
    else:  # pragma: no cover - the specification has no other example
        pytest.fail(f"no replay for {case}")


def test_the_characteristic_example_form_refuses_what_it_cannot_do(app: TestClient) -> None:
    """The productSpecification JSON Patch Query example's form: a value no element has is 409
    query_no_match, a pointer that is not the path's array is 400 invalid_pointer; neither writes."""
    shared_dir()
    (case,) = (c for c in _cases() if c.name == "Product_Specification_Update_JSON_Patch_Query")
    _seed(app, "productSpecification", _before(case, "productSpecification"))
    url = f"{V5}/productSpecification/{case.response['id']}"
    before = app.get(url)
    values = "/productSpecCharacteristic/characteristicValueSpecification"
    for path, status, code in (
        (f"{values}/isDefault?value={values}/Green", 409, "query_no_match"),
        (f"{values}/isDefault?value=/productSpecCharacteristic/value/Black", 400, "invalid_pointer"),
        (f"{values}/isDefault?value={values}/Black/White", 400, "invalid_pointer"),
    ):
        patch = [case.request[1], {"op": "replace", "path": path, "value": False}]
        answer = app.patch(url, json=patch, headers={"Content-Type": "application/json-patch-query+json"})
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
        assert path in answer.json()["message"]
    after = app.get(url)
    assert (after.json(), after.headers["etag"]) == (before.json(), before.headers["etag"])


# Each update example starts from the retrieve example, but this one: it removes the place that the JSON
# Patch example adds, so it goes on from that example's answer.
CONTINUES = {"Product_Offering_Price_Update_JSON_Patch_Query": "Product_Offering_Price_Update_JSON_Patch"}
# This one's answer holds characteristics otherwise than the retrieve example (another `@type`, a
# relationship the patch does not add), so it starts from its answer with only the members it replaces
# (wherever they are, element by element) as the retrieve example shows them.
RESTORES = {"Product_Specification_Update_JSON_Patch_Query": "isDefault"}
PATCH_ORDER = (
    "application/merge-patch+json",
    "application/json",
    "application/json-patch+json",
    "application/json-patch-query+json",
)


def _before(case: Case, collection: str) -> dict[str, Any]:
    """The resource an update example starts from: its answer, but with the members the update touches
    as the example it goes on from shows them."""
    previous = _retrieved(collection)
    if case.name in CONTINUES:
        (step,) = (c for c in _cases() if c.name == CONTINUES[case.name])
        previous = step.response
    touched = _touched(case)
    before = {k: v for k, v in case.response.items() if k not in touched}
    if case.name in RESTORES:
        before.update({k: _restore(case.response[k], previous[k], RESTORES[case.name]) for k in touched})
    else:
        before.update({k: v for k, v in previous.items() if k in touched})
    return before


def _retrieved(collection: str) -> dict[str, Any]:
    """The retrieve example of a collection's resource."""
    shown: dict[str, Any] = _spec()["components"]["examples"][
        f"{collection[0].upper()}{collection[1:]}_retrieve_example_response"
    ]["value"]
    return shown


def _touched(case: Case) -> set[str]:
    """The top-level members an update example changes."""
    if case.media in PATCH_ORDER[2:]:
        return {op["path"].split("/")[1].split("?")[0] for op in case.request}
    return set(case.request)


def _restore(shown: Any, previous: Any, member: str) -> Any:
    """``shown`` with each ``member`` of its objects as ``previous`` holds it at the same place."""
    if isinstance(shown, dict) and isinstance(previous, dict):
        return {
            k: previous[k] if k == member and k in previous else _restore(v, previous.get(k), member)
            for k, v in shown.items()
        }
    if isinstance(shown, list) and isinstance(previous, list):
        return [_restore(s, p, member) for s, p in zip(shown, previous, strict=False)] + shown[
            len(previous) :
        ]
    return shown


def _seed(app: TestClient, collection: str, shown: dict[str, Any]) -> None:
    """Create the resource an example shows, under its id, through v5."""
    body = {k: v for k, v in shown.items() if k not in SERVER_SET}
    made = app.post(f"{V5}/{collection}", json=body)
    assert made.status_code == 201, f"the example's own {collection} is refused: {made.text}"


def _check(answer: Any, case: Case, collection: str, *, created: bool = False) -> None:
    assert answer.status_code == case.status, answer.text
    if case.response is None:
        return
    got = answer.json()
    if isinstance(case.response, list):
        assert isinstance(got, list) and len(got) == len(case.response), got
        by_id = {item["id"]: item for item in got}
        problems = [
            p for shown in case.response for p in _resource(shown, by_id.get(shown["id"]), collection)
        ]
    else:
        shown = {k: v for k, v in case.response.items() if not (created and k == "id")}
        contradicted = CONTRADICTIONS.get(case.name, {}) if created else {}
        problems = [p for p in _resource(shown, got, collection) if p.split(":")[0] not in contradicted]
        for path in contradicted:
            if _at(got, path) != _at(case.request, path):
                problems.append(f"{path}: sent {_at(case.request, path)!r}, got {_at(got, path)!r}")
    assert not problems, "\n".join(problems)


def _at(value: Any, path: str) -> Any:
    """The value at a member path such as `a[0].b` (_ABSENT when there is none)."""
    for step in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if step.startswith("["):
            index = int(step[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else _ABSENT
        else:
            value = value.get(step, _ABSENT) if isinstance(value, dict) else _ABSENT
    return value


def _resource(
    shown: dict[str, Any], got: Any, collection: str, server_set: set[str] = SERVER_SET
) -> list[str]:
    """What of a documented resource the answer lacks or holds otherwise (server-set members by form)."""
    if not isinstance(got, dict):
        return [f"no resource for {shown.get('id')}: {got!r}"]
    problems = []
    if "href" in shown and not str(got.get("href", "")).startswith(f"{V5}/{collection}/"):
        problems.append(f"href {got.get('href')!r} is not under {V5}/{collection}/")
    for member in ("lastUpdate", "creationDate"):
        if member in shown and not DATE_TIME.fullmatch(str(got.get(member, ""))):
            problems.append(f"{member} {got.get(member)!r} is no date-time")
    for name, value in shown.items():
        if name not in server_set:
            problems.extend(_differences(value, got.get(name, _ABSENT), name))
    return problems


_ABSENT = object()


def _differences(shown: Any, got: Any, at: str) -> list[str]:
    if got is _ABSENT:
        return [f"{at}: documented {shown!r}, absent"]
    if isinstance(shown, dict) and isinstance(got, dict):
        return [p for k, v in shown.items() for p in _differences(v, got.get(k, _ABSENT), f"{at}.{k}")]
    if isinstance(shown, list) and isinstance(got, list) and len(shown) == len(got):
        return [
            p
            for i, (s, g) in enumerate(zip(shown, got, strict=True))
            for p in _differences(s, g, f"{at}[{i}]")
        ]
    same = (shown == got and type(shown) is type(got)) or (_number(shown) and _number(got) and shown == got)
    return [] if same else [f"{at}: documented {shown!r}, got {got!r}"]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _listener(app: TestClient, case: Case) -> None:
    """A documented event posted to its listener is taken with the documented status, and applied."""
    answer = app.post(f"{V5}{case.path}", json=case.request)
    assert answer.status_code == case.status, answer.text
    event = case.request.get("event", {})
    if "CreateEvent" not in case.path or "Job" in case.path:
        return
    (resource,) = event.values()
    collection = case.path.removeprefix("/listener/").removesuffix("CreateEvent")
    got = app.get(f"{V5}/{collection}/{resource['id']}")
    assert got.status_code == 200, got.text
    problems = _resource(resource, got.json(), collection)
    assert not problems, "\n".join(problems)


def _job(app: TestClient, case: Case, collection: str) -> None:
    """Jobs: the service decides a job's state, dates, log and (export) file url; the rest is the client's."""
    server_set = JOB_SET | ({"url"} if collection == "exportJob" else set())
    if case.method == "POST":
        answer = app.post(f"{V5}{case.path}", json=case.request)
        assert answer.status_code == case.status, answer.text
        shown = {k: v for k, v in case.response.items() if k != "id"}
        problems = _resource(shown, answer.json(), collection, server_set)
        assert not problems, "\n".join(problems)
        return
    shown_jobs = case.response if isinstance(case.response, list) else [case.response]
    made = {}
    for shown in shown_jobs:
        body = {k: v for k, v in shown.items() if k not in JOB_SET | {"id"}}
        created = app.post(f"{V5}/{collection}", json=body)
        assert created.status_code == 201, created.text
        made[created.json()["id"]] = shown
    if case.path.endswith("{id}"):
        ((new_id, shown),) = made.items()
        answer = app.get(f"{V5}/{collection}/{new_id}")
        assert answer.status_code == case.status, answer.text
        pairs = [(shown, answer.json())]
    else:
        answer = app.get(f"{V5}/{collection}")
        assert answer.status_code == case.status, answer.text
        pairs = [(made[item["id"]], item) for item in answer.json()]
        assert len(pairs) == len(shown_jobs)
    problems = [
        p
        for shown, got in pairs
        for p in _resource({k: v for k, v in shown.items() if k != "id"}, got, collection, server_set)
    ]
    assert not problems, "\n".join(problems)
