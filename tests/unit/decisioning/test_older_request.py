"""The runtime tutorial's older request shape decided by the engine itself (batch files, the CLI):
each `xdm:offerActivities` item becomes one scope per placement of the activity, in criteria order."""

from __future__ import annotations

import pytest
from decisioning_fixtures import ACT, MAIL, WEB, activity, catalog, criterion, offer, oid, picked, run

from offer_catalog.decisioning.request import DecisionRequestError, parse_request

OLDER = {
    "xdm:offerActivities": [{"xdm:offerActivity": ACT}],
    "xdm:identityMap": {"Email": [{"xdm:id": "user@example.com"}]},
    "xdm:decisionRequestId": "r-1",
}


def test_older_request_is_parsed_without_scopes() -> None:
    parsed = parse_request(OLDER)
    assert parsed.scopes == () and parsed.legacy_activities == (ACT,)
    assert parsed.profiles[0].identity == "user@example.com" and parsed.profiles[0].request_id == "r-1"


def test_each_placement_of_the_activity_is_one_proposition() -> None:
    snap = catalog(
        offer("a", priority=2), offer("b", priority=1), activity([criterion(options=[oid("a"), oid("b")])])
    )
    result = run(snap, OLDER)
    placements = [p["xdm:placement"]["xdm:id"] for p in result.response["xdm:propositions"]]
    assert placements == [WEB, MAIL]
    # one offer is not proposed twice across placements unless they allow it: the second gets `b`
    assert [picked(result, 0), picked(result, 1)] == [["a"], ["b"]]


def test_an_unknown_activity_names_its_item() -> None:
    snap = catalog(offer("a"), activity([criterion(options=[oid("a")])]))
    body = OLDER | {
        "xdm:offerActivities": [{"xdm:offerActivity": ACT}, {"xdm:offerActivity": "xcore:offer-activity:x"}]
    }
    with pytest.raises(DecisionRequestError) as caught:
        run(snap, body)
    assert caught.value.code == "unknown_activity"
    assert caught.value.pointer == "/xdm:offerActivities/1/xdm:offerActivity"
