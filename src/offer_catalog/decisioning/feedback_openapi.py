"""OpenAPI path items of the events and reports routes (merged into the Decisioning API document)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_STR = {"type": "string"}
_INT = {"type": "integer"}


def feedback_paths(
    base: str, parameters: list[dict[str, Any]], problems: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """Path items for POST {base}/{CONTAINER_ID}/events and GET .../reports."""
    event = {
        "type": "object",
        "description": "plain shape; the XDM decisioning-event shape is accepted too (docs/decisioning.md)",
        "properties": {
            "eventId": _STR,
            "propositionId": _STR,
            "offerId": _STR,
            "type": {"type": "string", "description": "display|impression|click|interact|dismiss|custom"},
            "timestamp": {"type": "string", "format": "date-time"},
        },
    }
    body = {
        "oneOf": [
            event,
            {"type": "array", "items": event},
            {"type": "object", "properties": {"events": {"type": "array", "items": event}}},
        ]
    }
    row = {
        "type": "object",
        "properties": {
            name: _INT
            for name in (
                "decisions",
                "proposals",
                "impressions",
                "clicks",
                "dismissals",
                "fallbacks",
                "cappedOut",
            )
        }
        | {"ctr": {"type": ["number", "null"]}, "fallbackRate": {"type": ["number", "null"]}},
    }
    query = [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in (
            ("from", {"type": "string", "format": "date-time"}),
            ("to", {"type": "string", "format": "date-time"}),
            ("groupBy", {"enum": ["activity", "placement", "offer"]}),
        )
    ]
    return {
        f"{base}/{{CONTAINER_ID}}/events": {
            "post": {
                "summary": "Record interaction events about propositions (all or none, deduplicated)",
                "parameters": parameters,
                "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                "responses": {
                    "200": {
                        "description": "stored",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"accepted": _INT, "duplicates": _INT},
                                }
                            }
                        },
                    },
                    **problems(400, 401, 403, 404, 413, 415, 422),
                },
            }
        },
        f"{base}/{{CONTAINER_ID}}/reports": {
            "get": {
                "summary": "Decisions, impressions, clicks, CTR, fallback rate and caps met per group",
                "parameters": [*parameters, *query],
                "responses": {
                    "200": {
                        "description": "report",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"rows": {"type": "array", "items": row}},
                                }
                            }
                        },
                    },
                    **problems(401, 403, 404, 422),
                },
            }
        },
    }
