"""Shared constants and assertions of the TMF620 API tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

STD = "/tmf-api/productCatalogManagement/v4/"
ORA = "/productCatalogManagement/v4/"
ERROR_KEYS = {"code", "reason", "message", "status", "@type"}

Make = Callable[..., dict[str, Any]]


def assert_error(
    response: Any, status: int, code: str | None = None, *, prefix: bool = False
) -> dict[str, Any]:
    """The response is a TMF Error with this status (and this code, or a code starting with it)."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) >= ERROR_KEYS, body
    assert body["status"] == str(status) and body["@type"] == "Error"
    assert isinstance(body["reason"], str) and body["reason"]
    if code is not None:
        assert body["code"].startswith(code) if prefix else body["code"] == code, body
    return body
