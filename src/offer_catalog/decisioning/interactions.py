"""Read proposition interaction events: Adobe's XDM decisioning-event shape, or a plain JSON shape.

XDM (as the Web SDK and Adobe's "collect event data" pages send it): `eventType`
(`decisioning.propositionDisplay` / `...Interact` / `...Dismiss`, or any other event type: a custom
event), an event id in `_id` (or `@id`), `timestamp`, and
`_experience.decisioning.propositions[]` (also `proposition[]`, or the legacy member
`https://ns.adobe.com/experience/decisioning/propositions`) whose entries carry the proposition id in
`id` and the offers in `items[].id` (each also read with an `xdm:` prefix);
`_experience.decisioning.propositionEventType` (`{"display": 1}`, `{"interact": 1}`, `{"dismiss": 1}`)
names the type when `eventType` does not. One XDM event becomes one interaction per (proposition, item).
Plain: `{"eventId", "propositionId", "offerId", "type", "timestamp"}` with type `display`
(or `impression`), `click` (or `interact`), `dismiss`, or any other name (a custom event).
Stored types are `display`, `click`, `dismiss` and, for custom events, the event type as sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from offer_catalog.decisioning.decision_log import timestamp
from offer_catalog.errors import DomainError
from offer_catalog.resources.dates import in_utc, parse_date_time

MAX_EVENTS: Final = 1000
MAX_ID: Final = 256
LEGACY_MEMBER: Final = "https://ns.adobe.com/experience/decisioning/propositions"
XDM_TYPES: Final = {
    "decisioning.propositionDisplay": "display",
    "decisioning.propositionInteract": "click",
    "decisioning.propositionDismiss": "dismiss",
}
PLAIN_TYPES: Final = {"display": "display", "impression": "display", "click": "click", "interact": "click"}
FLAG_TYPES: Final = {"display": "display", "interact": "click", "dismiss": "dismiss"}


class InvalidEvent(DomainError):
    """An interaction event that cannot be read; `details.pointer` locates it (HTTP 400)."""

    code = "invalid_event"


@dataclass(frozen=True, slots=True)
class Interaction:
    """One event about one offer of one proposition."""

    event_id: str
    proposition_id: str
    offer_id: str
    type: str
    occurred_at: str
    pointer: str


def _get(body: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        for candidate in (name, "xdm:" + name):
            if candidate in body:
                return body[candidate]
    return None


def _text(value: Any, pointer: str, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        raise InvalidEvent(
            f"{what} must be a non-empty string of at most {MAX_ID} characters", details={"pointer": pointer}
        )
    return value


def _when(value: Any, pointer: str, now: datetime) -> str:
    if value is None:
        return timestamp(now)
    moment = parse_date_time(value) if isinstance(value, str) else None
    if moment is not None:
        return timestamp(in_utc(moment))
    raise InvalidEvent("timestamp must be an RFC 3339 date-time with an offset", details={"pointer": pointer})


def parse_events(body: Any, now: datetime) -> list[Interaction]:
    """The interactions of a request body: one event, a list of events, or `{"events": [...]}`."""
    if isinstance(body, Mapping) and isinstance(body.get("events"), list):
        events, base = body["events"], "/events"
    elif isinstance(body, list):
        events, base = body, ""
    else:
        events, base = [body], None
    if not events or len(events) > MAX_EVENTS:
        raise InvalidEvent(f"send 1 to {MAX_EVENTS} events per request", details={"pointer": base or ""})
    out: list[Interaction] = []
    for index, event in enumerate(events):
        pointer = "" if base is None else f"{base}/{index}"
        if not isinstance(event, Mapping):
            raise InvalidEvent("an event must be an object", details={"pointer": pointer})
        out.extend(_xdm(event, pointer, now) if _is_xdm(event) else [_plain(event, pointer, now)])
    return out


def _is_xdm(event: Mapping[str, Any]) -> bool:
    return any(name in event for name in ("_experience", "eventType", "xdm:eventType", LEGACY_MEMBER))


def _plain(event: Mapping[str, Any], pointer: str, now: datetime) -> Interaction:
    kind = _text(event.get("type"), f"{pointer}/type", "type")
    return Interaction(
        event_id=_text(event.get("eventId"), f"{pointer}/eventId", "eventId"),
        proposition_id=_text(event.get("propositionId"), f"{pointer}/propositionId", "propositionId"),
        offer_id=_text(event.get("offerId"), f"{pointer}/offerId", "offerId"),
        type=PLAIN_TYPES.get(kind, kind),
        occurred_at=_when(event.get("timestamp"), f"{pointer}/timestamp", now),
        pointer=pointer,
    )


def _xdm(event: Mapping[str, Any], pointer: str, now: datetime) -> list[Interaction]:
    event_id = _text(_get(event, "_id", "@id"), f"{pointer}/_id", "the event id (_id)")
    decisioning = (event.get("_experience") or {}).get("decisioning") or {}
    if not isinstance(decisioning, Mapping):
        raise InvalidEvent("_experience.decisioning must be an object", details={"pointer": pointer})
    kind = _xdm_type(event, decisioning, pointer)
    propositions = _get(decisioning, "propositions", "proposition") or event.get(LEGACY_MEMBER)
    where = f"{pointer}/_experience/decisioning/propositions"
    if not isinstance(propositions, list) or not propositions:
        raise InvalidEvent("the event names no proposition", details={"pointer": where})
    when = _when(_get(event, "timestamp"), f"{pointer}/timestamp", now)
    out = []
    for p_index, proposition in enumerate(propositions):
        here = f"{where}/{p_index}"
        if not isinstance(proposition, Mapping):
            raise InvalidEvent("a proposition must be an object", details={"pointer": here})
        proposition_id = _text(_get(proposition, "id"), f"{here}/id", "the proposition id")
        items = _get(proposition, "items")
        if not isinstance(items, list) or not items:
            raise InvalidEvent("the proposition names no item (offer)", details={"pointer": f"{here}/items"})
        for i_index, item in enumerate(items):
            item_id = _get(item, "id") if isinstance(item, Mapping) else None
            offer_id = _text(item_id, f"{here}/items/{i_index}/id", "the item id")
            out.append(Interaction(event_id, proposition_id, offer_id, kind, when, pointer))
    return out


def _xdm_type(event: Mapping[str, Any], decisioning: Mapping[str, Any], pointer: str) -> str:
    event_type = _get(event, "eventType")
    if isinstance(event_type, str) and event_type in XDM_TYPES:
        return XDM_TYPES[event_type]
    flags = decisioning.get("propositionEventType")
    if isinstance(flags, Mapping):
        for flag, kind in FLAG_TYPES.items():
            if flags.get(flag) == 1:
                return kind
    return _text(event_type, f"{pointer}/eventType", "eventType")
