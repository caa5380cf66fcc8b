"""Reading an instance request: its envelope (HAL or bare instance) and the kind it names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from offer_catalog.offer_library.errors import BadRequest, UnsupportedMediaType
from offer_catalog.offer_library.hal import METADATA
from offer_catalog.offer_library.media import HAL, MediaType
from offer_catalog.resources.offer_library import KindSpec, by_schema, by_schema_param


def unwrap(data: Any, media: MediaType) -> tuple[Any, dict[str, Any] | None]:
    """(instance, HAL document or None) of a create or replace body.

    `hal+json` bodies are `{"_instance": ..., "_links": ...}`; `schema-instance+json` (and plain
    JSON) bodies are the bare instance, or the HAL envelope, which some documented examples send.
    """
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object", code="invalid_body")
    wrapped = media.essence == HAL or (
        "_instance" in data and set(data) <= {"_instance", "_links", *METADATA}
    )
    if not wrapped:
        return data, None
    if not isinstance(data.get("_instance"), dict):
        raise BadRequest("a HAL body needs an _instance object", code="invalid_body")
    return data["_instance"], data


def request_kind(
    media: MediaType | None, params: Sequence[tuple[str, str]], *, required: bool
) -> KindSpec | None:
    """The kind named by the Content-Type's schema parameter and/or the `schema` query parameter."""
    named: KindSpec | None = None
    if media is not None and media.params.get("schema"):
        named = by_schema(media.params["schema"])
        if named is None:
            raise UnsupportedMediaType(
                f"schema {media.params['schema']!r} is not an Offer Library schema", code="unknown_schema"
            )
    for key, value in params:
        if key != "schema" or not value:
            continue
        spec = by_schema_param(value)
        if spec is None:
            raise BadRequest(f"schema {value!r} is not an Offer Library schema", code="unknown_schema")
        if named is not None and spec is not named:
            raise BadRequest("the schema parameters of Content-Type and query differ", code="schema_conflict")
        named = spec
    if named is None and required:
        raise BadRequest(
            "name the kind with the Content-Type's schema parameter or a schema query parameter",
            code="schema_required",
        )
    return named
