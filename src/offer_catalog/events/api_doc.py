"""What the hub, listener and job routes declare for the TMF620 API's OpenAPI document.

Operation ids, bodies and answers follow the official TMF620 v4.0.0 specification (registerListener,
unregisterListener, listenTo<Event>, create/list/retrieve/deleteImportJob and ExportJob); the
operations it does not define (listing and reading subscriptions, dead letters and their replay, the
exported file, the listeners of the events it leaves out, one listener for every event) are tagged
as extensions. The schemas join the TMF620 resources' in the same document (`event_schemas`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offer_catalog.events import jobs
from offer_catalog.events.tmf620 import CHANGE, CREATE, DELETE, STATE
from offer_catalog.openapi import Body, Doc, Param, Reply, ref
from offer_catalog.openapi.declare import array_of
from offer_catalog.openapi.writes import writable
from offer_catalog.resources.uris import URI_PATTERN
from offer_catalog.tmf620.api_doc import (
    CREATE_ERRORS,
    DELETE_ERRORS,
    FIELDS,
    JSON,
    LIST_HEADERS,
    READ_ERRORS,
    resource_schemas,
)
from offer_catalog.tmf620.resources import RESOURCES, Resource

BATCH = "BatchEvent"
SUFFIXES = (CREATE, CHANGE, STATE, DELETE)
EXTENSION = "beyond TMF620"
_STR: dict[str, Any] = {"type": "string"}
_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
_URI: dict[str, Any] = {"type": "string", "format": "uri", "pattern": URI_PATTERN}
"""The service takes only an absolute URI where the specification says `format: uri`."""
_META = {"@baseType": _STR, "@schemaLocation": _URI, "@type": _STR}
_V5_META = {**_META, "@schemaLocation": _STR}
"""v5's Extensible: its `@schemaLocation` is any string (v4.0.0's a URI)."""
LOCATION = {"Location": {"schema": _STR}}
HUB_ERRORS = (400, 401, 403, 404, 405, 409, 413, 415)
JOB_CREATE_ERRORS = (*CREATE_ERRORS, 404)


def event_types(resources: Mapping[str, Resource] = RESOURCES) -> list[tuple[str, str]]:
    """(event type, resource path) of every listener: each resource's four events and catalog batches
    (v4 only: v5 has no batch event)."""
    found = [(resource.cls + suffix, resource.path) for resource in resources.values() for suffix in SUFFIXES]
    batch = [(resources["catalog"].cls + BATCH, "catalog")] if "catalog" in resources else []
    return [*found, *batch]


def _job(noun: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"A task that {noun} resources (runs in the background)",
        "properties": {
            "id": _STR,
            "href": _STR,
            "status": ref("JobStateType"),
            "creationDate": _TIME,
            "completionDate": _TIME,
            "contentType": _STR,
            "path": _STR,
            "query": _STR,
            "url": _STR,
            "errorLog": _STR,
            "progress": {
                "type": "object",
                "description": f"Lines handled so far ({EXTENSION})",
                "properties": {"lines": {"type": "integer"}},
            },
            **_META,
        },
    }


def _job_create(members: dict[str, Any], required: list[str], meta: dict[str, Any]) -> dict[str, Any]:
    content_type = {
        "type": "string",
        "enum": list(jobs.CONTENT_TYPES),
        "default": jobs.CONTENT_TYPE,
        "description": "the file's format: NDJSON (a document a line) or one JSON array of them",
    }
    managed = {
        name: {**_TIME, "description": "the service's: ignored"}
        for name in ("creationDate", "completionDate")
    }
    managed["errorLog"] = {**_STR, "description": "the service's: ignored"}
    managed["status"] = {**ref("JobStateType"), "description": "the service's: ignored"}
    properties = {**members, **managed, "contentType": content_type, **meta}
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    narrowed: dict[str, Any] = writable(schema)
    return narrowed


def event_schemas(resources: Mapping[str, Resource] = RESOURCES) -> dict[str, Any]:
    """The hub's, the listeners' and the jobs' component schemas."""
    v5 = "catalog" not in resources
    meta = _V5_META if v5 else _META
    # v5's `<Job>_FVO` (an Entity_FVO) also takes a string id, and requires @type.
    job_id = {"id": {**_STR, "description": "the service's: ignored"}} if v5 else {}
    job_required = ["url", "@type"] if v5 else ["url"]
    callback = {
        "type": "string",
        "format": "uri",
        "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s@#/?]+[^\\s#]*$",
        "maxLength": 2048,
        "description": "The callback being registered: an http(s) URL without credentials or fragment, "
        "whose host resolves to addresses the hub may call",
    }
    query = {"type": "string", "description": "TMF630 criteria the events must meet, e.g. eventType=X"}
    schemas: dict[str, Any] = {
        "EventSubscription": {
            "type": "object",
            "required": ["id", "callback"],
            "properties": {"id": _STR, "callback": _STR, "query": query},
        },
        "EventSubscriptionInput": writable(
            {
                "type": "object",
                "required": ["callback"],
                "properties": {
                    "callback": callback,
                    "query": query,
                    "secret": {
                        "type": "string",
                        "minLength": 16,
                        "maxLength": 256,
                        "description": f"HMAC key of the deliveries ({EXTENSION})",
                    },
                    **meta,
                },
            }
        ),
        "DeadLetter": {
            "type": "object",
            "description": f"A delivery the hub gave up on ({EXTENSION})",
            "required": ["id", "eventId", "eventType", "attempts", "event"],
            "properties": {
                "id": _STR,
                "eventId": _STR,
                "eventType": _STR,
                "attempts": {"type": "integer"},
                "lastError": {"type": ["string", "null"]},
                "event": {"type": "object"},
            },
        },
        "Replayed": {
            "type": "object",
            "required": ["replayed"],
            "properties": {"replayed": {"type": "integer", "description": "dead letters queued again"}},
        },
        "JobStateType": {
            "type": "string",
            "enum": list(jobs.STATUS.values()),
        },
        "ExportJob": _job("exports"),
        "ImportJob": _job("imports"),
        "ExportJob_Create": _job_create(
            {
                "path": {
                    "type": "string",
                    "description": "one collection ("
                    + ", ".join(RESOURCES)
                    + "); any other string makes a job that fails",
                },
                "query": {"type": "string", "description": "TMF630 criteria of the exported resources"},
                "url": {**_STR, "description": "required by the specification; the service's: ignored"},
                **job_id,
            },
            job_required,
            meta,
        ),
        "ImportJob_Create": _job_create(
            {
                "url": {
                    "type": "string",
                    "description": "a file of the export directory, or an export's url",
                },
                "path": {**_STR, "description": "the root resource the file applies to: kept, shown back"},
                **job_id,
            },
            job_required,
            meta,
        ),
    }
    for event_type, member in event_types(resources):
        cls = event_type[0].upper() + event_type[1:]
        # What the listener stores: a resource as a create takes it (a delete: only its id); one
        # without an id, or with an id this catalog cannot store (any string is the specification's),
        # names nothing to apply: acknowledged and ignored.
        if event_type.endswith(DELETE):
            stored: dict[str, Any] = {
                "type": "object",
                "properties": {"id": _STR},
            }
        else:
            stored = ref(f"{cls}Resource")
            schemas[f"{cls}Resource"] = _carried(resources, member)
        # No member is nullable (the specification's); an event without its resource is acknowledged
        # and ignored.
        schemas[f"{cls}Payload"] = {"type": "object", "properties": {member: stored}}
        schemas[cls] = _envelope(cls, v5=v5)
    if v5:
        schemas.update(_v5_event_parts())
        for name in JOB_EVENTS:
            cls, job = name[0].upper() + name[1:], "importJob" if name.startswith("import") else "exportJob"
            schemas[f"{cls}Payload"] = {
                "type": "object",
                "properties": {job: ref(f"{job[0].upper()}{job[1:]}Event")},
            }
            schemas[cls] = _envelope(cls, v5=True)
    return schemas


JOB_EVENTS = (
    "exportJobCreateEvent",
    "exportJobStateChangeEvent",
    "importJobCreateEvent",
    "importJobStateChangeEvent",
)
"""v5's listeners of another catalog's jobs (nothing of this catalog to apply)."""


def _envelope(cls: str, *, v5: bool) -> dict[str, Any]:
    """An event as a listener takes it: the envelope's members (v5's Event's too), `event` its payload."""
    properties: dict[str, Any] = {
        "id": _STR,
        "href": _STR,
        "eventId": _STR,
        "eventTime": _TIME,
        "eventType": {**_STR, "description": f"{cls} (the listener's URL decides how the event is applied)"},
        "correlationId": _STR,
        "domain": _STR,
        "title": _STR,
        "description": _STR,
        "priority": _STR,
        "timeOcurred": _TIME,
        "fieldPath": _STR,
    }
    if v5:
        # v5's Event is Extensible (its @type may be absent, as in the specification's examples).
        entity = ref("EventEntityRef")
        properties |= {**_V5_META, "timeOccurred": _TIME, "source": entity, "reportingSystem": entity}
        properties["relatedParty"] = array_of(ref("EventRelatedParty"))
        properties["analyticCharacteristic"] = array_of(ref("EventCharacteristic"))
    properties["event"] = ref(f"{cls}Payload")
    return {"type": "object", "description": "The notification data structure", "properties": properties}


def _v5_event_parts() -> dict[str, Any]:
    """The values v5's Event holds (v5.0.0's EntityRef, RelatedPartyRefOrPartyRoleRef, Characteristic)
    and the jobs its job events carry, as the listeners check them (a nested @type may be absent)."""
    named = {"id": _STR, "href": _STR, "name": _STR, "@referredType": _STR, **_V5_META}
    relationship = {"type": "object", "properties": {"id": _STR, "relationshipType": _STR, **_V5_META}}
    characteristic = {"id": _STR, "name": _STR, "valueType": _STR, **_V5_META}
    party = {"role": _STR, "partyOrPartyRole": ref("EventPartyRef"), **_V5_META}
    job = {name: _TIME for name in ("completionDate", "creationDate")}
    job |= {name: _STR for name in ("id", "href", "contentType", "errorLog", "path", "query")}
    job |= {"status": ref("JobStateType"), "url": _URI, **_V5_META}
    return {
        "EventEntityRef": {"type": "object", "required": ["id"], "properties": named},
        "EventPartyRef": {
            "type": "object",
            "required": ["id"],
            "properties": {**named, "partyId": _STR, "partyName": _STR},
        },
        "EventRelatedParty": {"type": "object", "properties": party},
        "EventCharacteristic": {
            "type": "object",
            "properties": {**characteristic, "characteristicRelationship": array_of(relationship)},
        },
        "ExportJobEvent": {"type": "object", "properties": job},
        "ImportJobEvent": {"type": "object", "properties": {k: v for k, v in job.items() if k != "query"}},
    }


def _carried(resources: Mapping[str, Resource], member: str) -> dict[str, Any]:
    """What an event may carry: a resource as a create takes it, but with any string as its `id` (the
    specification's; one this catalog cannot store names nothing to apply) and none of its members
    required (a change event's part of a resource is merged onto the local one; an applied create
    event's resource needs its `name`: 400 `required:name`)."""
    resource = next(r for r in resources.values() if r.path == member)
    create: dict[str, Any] = resource_schemas(resource)[f"{resource.cls}_Create"]
    any_id = {**_STR, "description": "any string (one this catalog cannot store: acknowledged, ignored)"}
    # Its @type (any string; the listener's class when absent) and lifecycle state (a TMF620 one when the
    # resource is applied) are as the specification types them: an ignored event is not held to the rules.
    typed = {"@type": _STR, resource.lifecycle.member: _STR}
    carried = {**create, "properties": {**create["properties"], "id": any_id, **typed}}
    carried.pop("required", None)
    return carried


HUB_TAGS = ("events",)


def register_listener() -> Doc:
    """POST /hub."""
    return Doc(
        "registerListener",
        "Register a listener",
        {201: Reply("Subscribed", ref("EventSubscription"), (JSON,), LOCATION)},
        HUB_ERRORS,
        body=Body.of(ref("EventSubscriptionInput")),
        tags=HUB_TAGS,
    )


def list_listeners() -> Doc:
    """GET /eventSubscription (an extension)."""
    replies = {200: Reply("Success", array_of(ref("EventSubscription")))}
    summary = f"The organisation's subscriptions, oldest first ({EXTENSION})"
    return Doc("listEventSubscription", summary, replies, (400, 401, 403, 405), tags=HUB_TAGS)


def retrieve_listener() -> Doc:
    """GET /eventSubscription/{id} (an extension)."""
    replies = {200: Reply("Success", ref("EventSubscription"))}
    summary = f"Retrieves a subscription by ID ({EXTENSION})"
    return Doc("retrieveEventSubscription", summary, replies, (400, 401, 403, 404, 405), tags=HUB_TAGS)


def unregister_listener() -> Doc:
    """DELETE /hub/{id}."""
    summary = "Unregister a listener (its queued deliveries are dropped)"
    return Doc(
        "unregisterListener", summary, {204: Reply("Deleted")}, (400, 401, 403, 404, 405), tags=HUB_TAGS
    )


def dead_letters() -> Doc:
    """GET /hub/{id}/deadLetter (an extension)."""
    page = {"type": "integer", "minimum": 1, "maximum": 1000}
    limit = Param("limit", description="At most this many (1-1000)", schema=page)
    return Doc(
        "listDeadLetter",
        f"The subscription's dead letters, oldest first ({EXTENSION})",
        {200: Reply("Success", array_of(ref("DeadLetter")))},
        (400, 401, 403, 404, 405),
        parameters=(limit,),
        tags=HUB_TAGS,
    )


def replay() -> Doc:
    """POST /hub/{id}/deadLetter/replay (an extension)."""
    return Doc(
        "replayDeadLetter",
        f"Queue the dead letters again with fresh attempts ({EXTENSION})",
        {200: Reply("How many were queued", ref("Replayed"))},
        (400, 401, 403, 404, 405, 409),
        tags=HUB_TAGS,
    )


LISTENER_ERRORS = (400, 401, 403, 404, 405, 409, 413, 415)
LISTENER_TAGS = ("listener",)


def listen(event_type: str, *, acknowledged: bool = True) -> Doc:
    """POST /listener/<resource><Event> (v4: 201 with an acknowledgement; v5: 204)."""
    cls = event_type[0].upper() + event_type[1:]
    notified = Reply("Notified", ref("EventSubscription")) if acknowledged else Reply("Notified")
    return Doc(
        f"listenTo{cls}",
        f"Client listener for {cls} events: applies the event to this catalog",
        {201 if acknowledged else 204: notified},
        LISTENER_ERRORS,
        body=Body.of(ref(cls)),
        tags=LISTENER_TAGS,
    )


def listen_job(event_type: str) -> Doc:
    """POST /listener/<job><Event> (v5): acknowledged, nothing of this catalog to apply."""
    cls = event_type[0].upper() + event_type[1:]
    return Doc(
        f"listenTo{cls}",
        f"Client listener for {cls} events: acknowledged (another catalog's job changes nothing here)",
        {204: Reply("Notified")},
        LISTENER_ERRORS,
        body=Body.of(ref(cls)),
        tags=LISTENER_TAGS,
    )


def listen_any(resources: Mapping[str, Resource] = RESOURCES, *, acknowledged: bool = True) -> Doc:
    """POST /listener (an extension)."""
    types = event_types(resources)
    named = {
        "type": "object",
        "required": ["eventType"],
        "properties": {"eventType": {"type": "string", "enum": [t[0].upper() + t[1:] for t, _ in types]}},
    }
    body = Body.of({"allOf": [{"anyOf": [ref(event_type) for event_type, _ in types]}, named]})
    return Doc(
        "listenToEvent",
        f"Client listener for every event type, dispatched on eventType ({EXTENSION})",
        {201: Reply("Notified", ref("EventSubscription"))} if acknowledged else {204: Reply("Notified")},
        LISTENER_ERRORS,
        body=body,
        tags=LISTENER_TAGS,
    )


class JobDocs:
    """The declarations of one job collection's operations (ExportJob or ImportJob)."""

    def __init__(self, cls: str) -> None:
        self.cls, self.tags = cls, (cls[0].lower() + cls[1:],)

    def create(self) -> Doc:
        """POST a job: 201 (notStarted); an import also takes an uploaded NDJSON file."""
        schema = ref(f"{self.cls}_Create")
        content: dict[str, Any] = {JSON: schema}
        if self.cls == "ImportJob":
            content[jobs.CONTENT_TYPE] = {
                "type": "string",
                "description": f"the file to import ({EXTENSION})",
            }
        replies = {201: Reply("Created (notStarted)", ref(self.cls), (JSON,), LOCATION)}
        summary = f"Creates a {self.cls}"
        return Doc(
            f"create{self.cls}", summary, replies, JOB_CREATE_ERRORS, body=Body(content), tags=self.tags
        )

    def listing(self) -> Doc:
        """GET the organisation's jobs, newest first."""
        # Any integer, as the resource lists (a negative one reads as 0, a huge one as an empty page).
        page = {"type": "integer"}
        parameters = (
            FIELDS,
            Param("offset", description="Index of the first item", schema=page),
            Param("limit", description="Page size (default 1000)", schema=page),
        )
        replies = {200: Reply("Success", array_of(ref(self.cls)), (JSON,), LIST_HEADERS)}
        summary = f"List or find {self.cls} objects, newest first"
        return Doc(f"list{self.cls}", summary, replies, READ_ERRORS, parameters=parameters, tags=self.tags)

    def retrieve(self) -> Doc:
        """GET one job."""
        replies = {200: Reply("Success", ref(self.cls))}
        summary = f"Retrieves a {self.cls} by ID"
        return Doc(f"retrieve{self.cls}", summary, replies, READ_ERRORS, parameters=(FIELDS,), tags=self.tags)

    def delete(self) -> Doc:
        """DELETE a job and the file it wrote."""
        summary = f"Deletes a {self.cls} (and the file it wrote)"
        return Doc(f"delete{self.cls}", summary, {204: Reply("Deleted")}, DELETE_ERRORS, tags=self.tags)

    def file(self) -> Doc:
        """GET the file of a succeeded export job (an extension)."""
        # One schema for both media types: NDJSON text, or (application/json) an array of the same objects.
        schema = {"description": "the exported documents, in the job's contentType"}
        replies = {200: Reply("The exported file", schema, jobs.CONTENT_TYPES)}
        summary = f"The exported file of a succeeded ExportJob ({EXTENSION}; 409 until then)"
        return Doc("retrieveExportJobFile", summary, replies, READ_ERRORS, tags=self.tags)
