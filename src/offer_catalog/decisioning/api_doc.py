"""What the Decisioning API declares for its generated OpenAPI document: schemas and shared parts."""

from __future__ import annotations

from typing import Any, Final

from offer_catalog.decisioning.interactions import MAX_EVENTS, MAX_ID
from offer_catalog.decisioning.request import MAX_ITEMS_PER_SCOPE
from offer_catalog.decisioning.runtime_views import MAX_ACTIVITIES
from offer_catalog.decisioning.wire import JSON, ODE, REQUEST_TYPE, RESPONSE_TYPE
from offer_catalog.offer_library.api_doc import CONTAINER_ID, PROBLEM, tenant_api_doc
from offer_catalog.openapi import Body, Doc, Param, Reply, matching, ref
from offer_catalog.openapi.writes import extension, writable

_STR: Final = {"type": "string"}
_INT: Final = {"type": "integer"}
_OBJ: Final = {"type": "object"}
_ID: Final = {"type": "string", "minLength": 1, "maxLength": MAX_ID}

DECISION_BODY = Body.of(ref("DecisionRequest"), REQUEST_TYPE, JSON)
DECISION_REPLY = Reply(
    "one response per profile (a single profile: the response itself)",
    ref("DecisionResponse"),
    (RESPONSE_TYPE, JSON),
)
DECISION_ERRORS = (400, 401, 403, 404, 406, 413, 415, 422)
EVENTS_BODY = Body.of(ref("EventsBody"), JSON, "application/vnd.adobe.xdm+json")
EVENTS_REPLY = Reply("stored", ref("EventsReceipt"))
REPORT_REPLY = Reply("report", ref("Report"))
REPORT_PARAMS = (
    Param("from", schema={"type": "string", "format": "date-time"}),
    Param("to", schema={"type": "string", "format": "date-time"}),
    Param("groupBy", schema={"enum": ["activity", "placement", "offer"]}),
)
DIAGNOSTICS_REPLY = Reply("ok", ref("Diagnostics"), (JSON, "application/vnd.adobe.xdm+json"))
ACTIVITY_OFFERS = Doc(
    "activityOffers",
    "Each activity's candidate offers and fallback offer (the runtime tutorial's activity-to-offers API)",
    {200: Reply("xdm:activityOffers", _OBJ, (JSON, "application/vnd.adobe.xdm+json"))},
    (400, 401, 403, 404, 406, 422),
    (
        Param(
            "activityId",
            description="An activity @id (repeated for several, 1 to 30; spaces around it are ignored).",
            # Not blank; read as one @id (a comma is part of it).
            schema=matching(r"\S"),
            required=True,
            many=True,
            max_items=MAX_ACTIVITIES,
        ),
    ),
)


def decision(operation_id: str, summary: str, description: str) -> Doc:
    """A decision operation: a decision request in, one response per profile out."""
    return Doc(
        operation_id,
        summary,
        {200: DECISION_REPLY},
        DECISION_ERRORS,
        body=DECISION_BODY,
        description=description,
    )


def _feedback_schemas() -> dict[str, Any]:
    event = {
        "type": "object",
        "description": "plain shape; the XDM decisioning-event shape is accepted too (docs/decisioning.md)",
        "required": ["eventId", "propositionId", "offerId", "type"],
        "properties": {
            "eventId": _ID,
            "propositionId": _ID,
            "offerId": _ID,
            "type": {**_ID, "description": "display|impression|click|interact|dismiss|custom"},
            "timestamp": {"type": "string", "format": "date-time"},
        },
    }
    events = {"type": "array", "items": event, "minItems": 1, "maxItems": MAX_EVENTS}
    counts = ("decisions", "proposals", "impressions", "clicks", "dismissals", "fallbacks", "cappedOut")
    row = {
        "type": "object",
        "properties": {name: _INT for name in counts}
        | {"ctr": {"type": ["number", "null"]}, "fallbackRate": {"type": ["number", "null"]}},
    }
    return {
        "EventsBody": {
            "oneOf": [
                # A body holding `events` is a batch, whatever else it holds.
                {**event, "not": {"required": ["events"]}},
                events,
                {"type": "object", "required": ["events"], "properties": {"events": events}},
            ]
        },
        "EventsReceipt": {"type": "object", "properties": {"accepted": _INT, "duplicates": _INT}},
        "Report": {"type": "object", "properties": {"rows": {"type": "array", "items": row}}},
    }


def _schemas() -> dict[str, Any]:
    schemas = _plain_schemas()
    for body in ("DecisionRequest", "EventsBody"):
        schemas[body] = writable(schemas[body])
    return schemas


def _plain_schemas() -> dict[str, Any]:
    option = {
        "type": "object",
        "required": ["xdm:id", "repo:etag"],
        "properties": {
            "xdm:id": _STR,
            "repo:etag": {"type": "integer"},
            "@type": _STR,
            "dc:format": _STR,
            "xdm:content": _STR,
            "xdm:deliveryURL": _STR,
            "xdm:score": {"type": "number"},
        },
    }
    reference = {"type": "object", "properties": {"xdm:id": _STR, "repo:etag": {"type": "integer"}}}
    one_identity = {
        "type": "object",
        "required": ["xdm:id"],
        "properties": {"xdm:id": {**_STR, "minLength": 1}},
    }
    identity = {"type": "array", "items": one_identity, "minItems": 1}
    profile = {
        "type": "object",
        "required": ["xdm:identityMap"],
        "properties": {
            "xdm:identityMap": {"type": "object", "additionalProperties": identity, "minProperties": 1},
            "xdm:profileData": {**_OBJ, "description": "XDM profile attributes and segmentMembership"},
            "xdm:contextData": {
                "type": "array",
                "items": {"type": "object", "properties": {"@type": _STR, "xdm:data": _OBJ}},
            },
            "xdm:decisionRequestId": _STR,
        },
    }
    scope = {
        "type": "object",
        "required": ["xdm:activityId", "xdm:placementId"],
        "properties": {
            "xdm:activityId": {"type": "string", "minLength": 1},
            "xdm:placementId": {"type": "string", "minLength": 1},
            "xdm:itemCount": {"type": "integer", "minimum": 1, "maximum": MAX_ITEMS_PER_SCOPE, "default": 1},
        },
    }
    names = {"type": "array", "items": _STR}
    return {
        "DecisionRequest": {
            "type": "object",
            "required": ["xdm:propositionRequests", "xdm:profiles"],
            "properties": {
                "xdm:propositionRequests": {"type": "array", "items": scope, "minItems": 1, "maxItems": 30},
                "xdm:profiles": {"type": "array", "items": profile, "minItems": 1},
                "xdm:allowDuplicatePropositions": {
                    "type": "object",
                    "properties": {
                        "xdm:acrossActivities": {"type": "boolean"},
                        "xdm:acrossPlacements": {"type": "boolean"},
                    },
                },
                "xdm:responseFormat": {
                    "type": "object",
                    "properties": {
                        "xdm:includeContent": {"type": "boolean", "default": False},
                        "xdm:includeMetadata": {
                            "type": "object",
                            "properties": {
                                "xdm:activity": names,
                                "xdm:option": names,
                                "xdm:placement": names,
                            },
                        },
                    },
                },
                "xdm:dryRun": {"type": "boolean", "default": False},
            },
        },
        "Proposition": {
            "type": "object",
            "properties": {
                "xdm:activity": reference,
                "xdm:placement": reference,
                "xdm:options": {"type": "array", "items": option, "minItems": 1},
                "xdm:fallback": option,
            },
        },
        "DecisionResponse": {
            "type": "object",
            "properties": {
                "xdm:propositionId": _STR,
                "xdm:propositions": {"type": "array", "items": ref("Proposition")},
                "ode:createDate": {"type": "integer", "description": "epoch milliseconds"},
                "xdm:responses": {"type": "array", "items": _OBJ, "description": "several profiles"},
            },
        },
        "Diagnostics": {
            "type": "object",
            "properties": {
                "xdm:operations": {
                    **_OBJ,
                    "description": "xdm:offerCatalogUpdate and xdm:activitiesUpdate: xdm:date, xdm:errors",
                },
                "snapshot": _OBJ,
                "diagnostics": {"type": "array", "items": _OBJ},
                "process": _OBJ,
            },
        },
        **_feedback_schemas(),
        "Problem": PROBLEM,
        "Extension": extension(),
    }


API_DOC = tenant_api_doc(
    "offer-catalog Decisioning API",
    "Offer decisions over an Offer Library container (see docs/decisioning.md).",
    f"{ODE}/openapi.json",
    _schemas,
    version="1.0",
    path_params={"container_id": CONTAINER_ID},
)
