"""The Decisioning API wire names and its OpenAPI 3.1 document (served at /data/core/ode/openapi.json)."""

from __future__ import annotations

from typing import Any, Final

from offer_catalog.decisioning.feedback_openapi import feedback_paths

ODE: Final = "/data/core/ode"
ODS: Final = "/data/core/ods"
XDM_JSON: Final = "application/vnd.adobe.xdm+json"
JSON: Final = "application/json"
OM: Final = "https://ns.adobe.com/experience/offer-management/"
REQUEST_SCHEMA: Final = OM + "decision-request;version=1.0"
RESPONSE_SCHEMA: Final = OM + "decision-response;version=1.0"
REQUEST_TYPE: Final = f'{XDM_JSON}; schema="{REQUEST_SCHEMA}"'
RESPONSE_TYPE: Final = f'{XDM_JSON}; schema="{RESPONSE_SCHEMA}"'

_REF = "#/components/schemas/"
_HEADERS = (
    ("Authorization", "Bearer token."),
    ("x-api-key", "API key (client id)."),
    ("x-gw-ims-org-id", "Organisation."),
    ("x-sandbox-name", "Sandbox."),
)
_STR: Final = {"type": "string"}
_OBJ: Final = {"type": "object"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _problems(*statuses: int) -> dict[str, Any]:
    return {
        str(status): {
            "description": "problem",
            "content": {"application/problem+json": {"schema": _ref("Problem")}},
        }
        for status in statuses
    }


def _headers() -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "header", "required": True, "description": text, "schema": _STR}
        for name, text in _HEADERS
    ]


def _decide(summary: str, description: str, path_params: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "description": description,
            "parameters": [*path_params, *_headers()],
            "requestBody": {
                "required": True,
                "content": {t: {"schema": _ref("DecisionRequest")} for t in (REQUEST_TYPE, JSON)},
            },
            "responses": {
                "200": {
                    "description": "one response per profile (a single profile: the response itself)",
                    "content": {t: {"schema": _ref("DecisionResponse")} for t in (RESPONSE_TYPE, JSON)},
                },
                **_problems(400, 401, 403, 404, 406, 413, 415, 422, 503),
            },
        }
    }


def _schemas() -> dict[str, Any]:
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
    identity = {"type": "array", "items": {"type": "object", "properties": {"xdm:id": _STR}}}
    profile = {
        "type": "object",
        "required": ["xdm:identityMap"],
        "properties": {
            "xdm:identityMap": {"type": "object", "additionalProperties": identity},
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
            "xdm:activityId": _STR,
            "xdm:placementId": _STR,
            "xdm:itemCount": {"type": "integer", "minimum": 1, "maximum": 30, "default": 1},
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
                "xdm:propositions": {"type": "array", "items": _ref("Proposition")},
                "ode:createDate": {"type": "integer", "description": "epoch milliseconds"},
                "xdm:responses": {"type": "array", "items": _OBJ, "description": "several profiles"},
            },
        },
        "Diagnostics": {
            "type": "object",
            "properties": {
                "snapshot": _OBJ,
                "diagnostics": {"type": "array", "items": _OBJ},
                "process": _OBJ,
            },
        },
        "Problem": {
            "type": "object",
            "required": ["type", "status", "title", "code"],
            "properties": {
                "type": _STR,
                "status": {"type": "integer"},
                "title": _STR,
                "detail": _STR,
                "code": _STR,
                "pointer": {**_STR, "description": "JSON pointer into the request"},
                "requestId": _STR,
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the Decisioning API routes."""
    container = {"name": "CONTAINER_ID", "in": "path", "required": True, "schema": _STR}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "offer-catalog Decisioning API",
            "version": "1.0",
            "description": "Offer decisions over an Offer Library container (see docs/decisioning.md).",
        },
        "paths": {
            f"{ODE}/{{CONTAINER_ID}}/decisions": _decide(
                "Decide offers with a container's catalog",
                "Counters are drawn down unless xdm:dryRun is true.",
                [container],
            ),
            f"{ODS}/decisions": _decide(
                "Decide offers with the caller's container that holds the requested activities",
                "422 when no container, or several, hold the activities.",
                [],
            ),
            f"{ODE}/{{CONTAINER_ID}}/diagnostics": {
                "get": {
                    "summary": "The compiled snapshot of the container in the answering process",
                    "parameters": [container, *_headers()],
                    "responses": {
                        "200": {"description": "ok", "content": {JSON: {"schema": _ref("Diagnostics")}}},
                        **_problems(401, 403, 404),
                    },
                }
            },
            **feedback_paths(ODE, [container, *_headers()], _problems),
        },
        "components": {"schemas": _schemas()},
    }
