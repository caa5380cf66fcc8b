"""Decision errors as problem+json with stable codes; diagnostics and the OpenAPI document."""

from __future__ import annotations

import pytest
from dec_support import Catalog, auth, decide, decision_request, make_container, profile
from starlette.testclient import TestClient

from offer_catalog.store import Store


def _problem(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["code"] == code and body["status"] == status
    return body


def _body(cat: Catalog, **changes: object) -> dict[str, object]:
    return decision_request(cat["main"], cat["web"], profile("z@x.y"), **changes)


def test_unknown_activity_or_placement_is_404(client: TestClient, catalog: Catalog) -> None:
    body = decision_request("xcore:offer-activity:nope", catalog["web"], profile("z@x.y"))
    problem = _problem(decide(client, catalog.container, body), 404, "unknown_activity")
    assert problem["pointer"] == "/xdm:propositionRequests/0"
    _problem(decide(client, None, body), 404, "unknown_activity")
    body = decision_request(catalog["main"], "xcore:offer-placement:nope", profile("z@x.y"))
    _problem(decide(client, catalog.container, body), 404, "unknown_placement")


def test_placement_not_in_the_activity_is_422(client: TestClient, catalog: Catalog) -> None:
    body = decision_request(catalog["main"], catalog["mail"], profile("z@x.y"))
    _problem(decide(client, catalog.container, body), 422, "placement_not_in_activity")


def test_a_draft_activity_is_422(client: TestClient, catalog: Catalog) -> None:
    catalog.xc.patch_id(
        catalog["main"], [{"op": "replace", "path": "/_instance/xdm:status", "value": "draft"}]
    )
    _problem(decide(client, catalog.container, _body(catalog)), 422, "activity_not_live")


def test_another_tenants_container_is_404(client: TestClient, catalog: Catalog, store: Store) -> None:
    stranger = auth(org="OTHER@AdobeOrg")
    _problem(decide(client, catalog.container, _body(catalog), headers=stranger), 404, "not_found")
    _problem(decide(client, "no-such-container", _body(catalog)), 404, "not_found")
    make_container(store, org="OTHER@AdobeOrg")  # the stranger has a container, but not this activity
    _problem(decide(client, None, _body(catalog), headers=stranger), 404, "unknown_activity")


def test_an_activity_in_two_containers_needs_the_container_path(
    client: TestClient, catalog: Catalog, store: Store
) -> None:
    from dec_support import build_catalog

    other = build_catalog(client, make_container(store, name="second"))
    body = decision_request(catalog["main"], catalog["web"], profile("z@x.y"))
    body["xdm:propositionRequests"].append({"xdm:activityId": other["main"], "xdm:placementId": other["web"]})
    _problem(decide(client, None, body), 422, "activities_in_several_containers")


def test_bad_content_type_is_415(client: TestClient, catalog: Catalog) -> None:
    response = decide(client, catalog.container, _body(catalog), content_type="text/plain")
    _problem(response, 415, "unsupported_media_type")
    wrong_schema = 'application/vnd.adobe.xdm+json; schema="https://ns.adobe.com/experience/offer-management/personalized-offer"'
    _problem(
        decide(client, catalog.container, _body(catalog), content_type=wrong_schema), 415, "unknown_schema"
    )
    _problem(
        decide(client, catalog.container, _body(catalog), content_type=""), 415, "unsupported_media_type"
    )


def test_unacceptable_accept_is_406(client: TestClient, catalog: Catalog) -> None:
    headers = {**auth(), "Content-Type": "application/json", "Accept": "text/html"}
    response = client.post(
        f"/data/core/ode/{catalog.container}/decisions", headers=headers, json=_body(catalog)
    )
    _problem(response, 406, "not_acceptable")


def test_malformed_json_is_400(client: TestClient, catalog: Catalog) -> None:
    _problem(decide(client, catalog.container, '{"xdm:profiles": ['), 400, "invalid_json")
    _problem(decide(client, None, "not json"), 400, "invalid_json")


@pytest.mark.parametrize(
    ("change", "code", "pointer"),
    [
        ({"xdm:propositionRequests": []}, "invalid_request", "/xdm:propositionRequests"),
        ({"xdm:profiles": [{"xdm:identityMap": {}}]}, "missing_identity", "/xdm:profiles/0/xdm:identityMap"),
        ({"xdm:dryRun": "yes"}, "invalid_request", "/xdm:dryRun"),
    ],
)
def test_invalid_requests_are_400(
    client: TestClient, catalog: Catalog, change: dict[str, object], code: str, pointer: str
) -> None:
    body = {**_body(catalog), **change}
    assert _problem(decide(client, catalog.container, body), 400, code)["pointer"] == pointer


def test_item_count_out_of_range_is_400(client: TestClient, catalog: Catalog) -> None:
    _problem(decide(client, catalog.container, _body(catalog, items=31)), 400, "invalid_item_count")
    _problem(decide(client, catalog.container, [1, 2]), 400, "invalid_request")


def test_missing_credentials_are_refused(client: TestClient, catalog: Catalog) -> None:
    headers = {k: v for k, v in auth().items() if k != "Authorization"}
    _problem(decide(client, catalog.container, _body(catalog), headers=headers), 403, "403010")
    headers = {k: v for k, v in auth().items() if k != "x-gw-ims-org-id"}
    _problem(decide(client, None, _body(catalog), headers=headers), 400, "400003")


def test_diagnostics_report_the_snapshot(client: TestClient, catalog: Catalog) -> None:
    assert decide(client, catalog.container, _body(catalog)).status_code == 200
    response = client.get(f"/data/core/ode/{catalog.container}/diagnostics", headers=auth())
    assert response.status_code == 200, response.text
    report = response.json()
    snapshot = report["snapshot"]
    assert snapshot["containerId"] == catalog.container
    assert snapshot["offers"] == 5 and snapshot["activities"] == 2 and snapshot["instances"] == 17
    assert snapshot["approximateBytes"] > 10_000 and snapshot["eventSeq"] > 0
    assert report["diagnostics"] == []
    stranger = client.get(
        f"/data/core/ode/{catalog.container}/diagnostics", headers=auth(org="OTHER@AdobeOrg")
    )
    _problem(stranger, 404, "not_found")


def test_the_openapi_document_lists_the_routes(client: TestClient) -> None:
    response = client.get("/data/core/ode/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/data/core/ode/openapi.json",
        "/data/core/ode/{CONTAINER_ID}/decisions",
        "/data/core/ods/decisions",
        "/data/core/ode/{CONTAINER_ID}/diagnostics",
        "/data/core/ode/{CONTAINER_ID}/offers",
        "/data/core/ode/{CONTAINER_ID}/events",
        "/data/core/ode/{CONTAINER_ID}/reports",
        "/data/core/ode/{CONTAINER_ID}/batch-jobs",
        "/data/core/ode/{CONTAINER_ID}/batch-jobs/{job_id}",
        "/data/core/ode/{CONTAINER_ID}/batch-jobs/{job_id}/results",
        "/data/core/ode/{CONTAINER_ID}/batch-jobs/{job_id}/cancel",
    }
    assert "DecisionRequest" in document["components"]["schemas"]
