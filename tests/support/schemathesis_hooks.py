"""Schemathesis hooks: keep generated bodies inside the rules the service documents beyond the schemas.

Integers beyond 64 bits (`400 number_out_of_range`) and the NUL character (`400 invalid_character`)
cannot be stored alike on both stores, so every API refuses them (docs/tmf620.md,
docs/offer-library.md): such bodies are left out, as are `null` members in the Offer Library and
decisioning APIs (read as absent there); the bad-input battery
(tests/integration/test_bad_input_battery.py) checks those answers. TMF620 rules no JSON schema
states (docs/tmf620.md, "Rules beyond the specification's schemas"): a `lifecycleStatus` string is
one of the TMF620 states, a `validFor` does not end before it starts, `@type` does not name another
resource's class (a generated one is made the collection's), an integer is written without a
fraction (`1`, not `1.0`), and Oracle's spellings (`atType`, ...), which every base path reads as the `@`
names, are left out; a generated value there is mapped onto a valid one (values of another type are
left alone, so negative cases stay negative). An Offer Library `start` cursor holds one value per
`orderby` key plus the id (docs/offer-library.md), a count no schema can tie to another parameter: a
generated cursor of another count is left out of the query. Everything else is generated freely.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import schemathesis

from offer_catalog.errors import InvalidQuery
from offer_catalog.offer_library.listing import decode_start, parse_order
from offer_catalog.resources.offer_library import by_schema_param
from offer_catalog.resources.tmf620 import CLASSES as RESOURCE_CLASSES
from offer_catalog.resources.tmf620.lifecycle import STATES
from offer_catalog.resources.tmf620.v5 import CLASSES as V5_CLASSES
from offer_catalog.tmf620.names import TO_STANDARD

LIMIT = 2**63
CLASSES = RESOURCE_CLASSES | V5_CLASSES
"""Both releases' resource classes."""


def storable(value: Any, *, nulls: bool = False) -> bool:
    """No integer beyond 64 bits, no NUL in any string or member name; no `null` unless `nulls`."""
    if value is None:
        return nulls
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -LIMIT <= value < LIMIT
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, dict):
        return all(storable(k) and storable(v, nulls=nulls) for k, v in value.items())
    if isinstance(value, list):
        return all(storable(v, nulls=nulls) for v in value)
    return True


@schemathesis.hook
def filter_body(context: Any, body: Any) -> bool:
    # TMF620 follows its specification's schemas on null; the Offer Library reads a null as absent.
    return storable(body, nulls=not context.operation.path.startswith("/data/"))


def own_class(path: str) -> str | None:
    """The resource class of an operation's collection (`/category/{id}`: Category), None for others."""
    segments = [s for s in path.split("/") if s and "{" not in s]
    return next((s[0].upper() + s[1:] for s in reversed(segments) if s[0].upper() + s[1:] in CLASSES), None)


def tmf_rules(body: dict[str, Any], path: str = "") -> dict[str, Any]:
    """The body with its @type its collection's, a string lifecycleStatus made a TMF620 state and a
    validFor put in order."""
    own, kind = own_class(path), body.get("@type")
    if (
        isinstance(kind, str)
        and kind in CLASSES
        and kind != own
        and (own, kind) != ("ProductCatalog", "Catalog")
    ):
        # A resource's @type may not name another resource's class (400 invalid_value:@type); v5 requires
        # one on a create: the collection's class takes its place.
        body = {k: v for k, v in body.items() if k != "@type"} | ({"@type": own} if own else {})
    status = body.get("lifecycleStatus")
    if isinstance(status, str) and status and status.lower() not in {s.lower() for s in STATES}:
        body = {**body, "lifecycleStatus": STATES[len(status) % len(STATES)]}
    period = body.get("validFor")
    if isinstance(period, dict):
        # Both bounds, so a merge patch cannot pair a new start with a stored, earlier end.
        period = {"startDateTime": "0001-01-01T00:00:00Z", "endDateTime": "9999-12-31T23:59:59Z", **period}
        body = {**body, "validFor": period}
        start, end = period.get("startDateTime"), period.get("endDateTime")
        if isinstance(start, str) and isinstance(end, str) and _instant(start) > _instant(end):
            body = {**body, "validFor": {**period, "startDateTime": end, "endDateTime": start}}
    return body


def _instant(text: str) -> str:
    """A sortable reading of an RFC 3339 stamp (unparseable: as written)."""
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00")).astimezone(UTC).isoformat()
    except (ValueError, OverflowError):
        return text


def without_aliases(value: Any) -> Any:
    """Oracle's member spellings (`atType`, ...) left out: both base paths read them as `@type`, ..."""
    if isinstance(value, dict):
        return {k: without_aliases(v) for k, v in value.items() if k not in TO_STANDARD}
    if isinstance(value, list):
        return [without_aliases(v) for v in value]
    return value


def whole_numbers(value: Any) -> Any:
    """Numbers without a fraction written as integers (`-286`, not `-286.0`): an integer member takes
    no `1.0` (400 invalid_type), which JSON Schema's `integer` cannot tell from `1`."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


_EVENT_KINDS = re.compile(
    r"/listener/([a-zA-Z]+?)(Create|AttributeValueChange|StateChange|Delete|Batch)Event$"
)


def event_rules(body: dict[str, Any], path: str) -> dict[str, Any]:
    """A listener event whose carried resources follow the rules (`tmf_rules`) of the listener's class."""
    named, event = _EVENT_KINDS.search(path), body.get("event")
    if named is None or not isinstance(event, dict):
        return body
    collection, created = f"/{named.group(1)}", named.group(2) == "Create"
    carried = {k: tmf_rules(v, collection) if isinstance(v, dict) else v for k, v in event.items()}
    if created:
        # An applied create event's resource is a create: it needs its name (400 required:name).
        carried = {k: {"name": "n", **v} if isinstance(v, dict) else v for k, v in carried.items()}
    return {**body, "event": carried}


@schemathesis.hook
def map_body(context: Any, body: Any) -> Any:
    body = whole_numbers(body)
    if not isinstance(body, dict):
        return body
    path = context.operation.path
    return event_rules(tmf_rules(without_aliases(body), path), path)


_JOBS = {"exportJob": "ExportJob", "importJob": "ImportJob"}


_KIND_VALIDATORS: dict[int, dict[str, Any]] = {}


def kind_validators(document: dict[str, Any]) -> dict[str, Any]:
    """A validator per Offer Library kind of a served document, by its schema id (`x-schema-id`)."""
    known = _KIND_VALIDATORS.get(id(document))
    if known is None:
        components = document.get("components", {})
        known = _KIND_VALIDATORS[id(document)] = {
            schema["x-schema-id"]: jsonschema_rs.Draft202012Validator(
                {"$ref": f"#/components/schemas/{name}", "components": components}
            )
            for name, schema in components.get("schemas", {}).items()
            if isinstance(schema, dict) and "x-schema-id" in schema
        }
    return known


def named_kind(case: Any, document: dict[str, Any]) -> None:
    """A positive create's `schema` query names a kind its body is: the document's body schema is any
    kind's, a tie to the parameter no schema can state (another kind's body is a 422 of the service)."""
    query, body = case.query, case.body
    if not isinstance(query, dict) or not isinstance(query.get("schema"), str) or not isinstance(body, dict):
        return
    named = by_schema_param(query["schema"])
    if named is None or "schema=" in (case.media_type or ""):
        return
    instance = body["_instance"] if isinstance(body.get("_instance"), dict) else body
    validators = kind_validators(document)
    if named.schema_id in validators and validators[named.schema_id].is_valid(instance):
        return
    kind = next((schema_id for schema_id, check in validators.items() if check.is_valid(instance)), None)
    if kind is not None:
        case.query = {**query, "schema": kind}


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    # A positive v5 job create holds the @type its `<Job>_FVO` requires: a body Schemathesis builds from
    # an earlier answer's values (`{"url": ...}`) may lack it, which would test nothing of the service.
    meta, job = case.meta, _JOBS.get(case.path.rstrip("/").rsplit("/", 1)[-1])
    positive = meta is not None and meta.generation.mode.is_positive
    if positive and job and case.method.upper() == "POST" and isinstance(case.body, dict):
        case.body.setdefault("@type", job)
    if positive and case.method.upper() == "POST" and case.path.endswith("/instances"):
        named_kind(case, case.operation.schema.raw_schema)


@schemathesis.hook
def map_query(context: Any, query: Any) -> Any:
    if not isinstance(query, dict) or not isinstance(query.get("start"), str):
        return query
    order = query.get("orderby")
    try:
        sort, _ = parse_order(order if isinstance(order, str) else None)
        decode_start(query["start"], sort)
    except InvalidQuery:
        return {name: value for name, value in query.items() if name != "start"}
    return query
