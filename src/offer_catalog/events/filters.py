"""A hub subscription's `query` (TMF630 syntax) as a predicate over event envelopes.

`eventType=ProductOfferingCreateEvent,ProductOfferingDeleteEvent&event.productOffering.lifecycleStatus=Active`:
`&` is AND, `;` and `,` are OR, `attr!=v` (or `attr.ne=v`) matches neither value; an attribute is a dotted
path into the envelope (arrays match when any element does). Oracle's at-names are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from offer_catalog.errors import InvalidQuery
from offer_catalog.tmf620.names import standard_name

_ITEM = re.compile(r"(?P<key>[^=!]+?)(?P<op>!=|=)(?P<value>.*)", re.S)
_SEGMENT = re.compile(r"[A-Za-z_@$][\w@$-]*")
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Test:
    """One `path=values` (or `!=`) test."""

    path: tuple[str, ...]
    values: frozenset[str]
    negate: bool


Filter = tuple[tuple[Test, ...], ...]
"""AND of ORs of tests."""


def parse_filter(raw: str | None) -> Filter:
    """Parse a subscription query; InvalidQuery on anything malformed."""
    if raw is None or not raw.strip():
        return ()
    clauses = []
    for clause in raw.split("&"):
        tests = []
        for part in clause.split(";"):
            if part.strip():
                tests.append(_test(unquote_plus(part)))
        if tests:
            clauses.append(tuple(tests))
    return tuple(clauses)


NOTHING: Filter = ((),)
"""A filter no envelope passes (an empty OR)."""


def subscription_filter(raw: str | None) -> Filter:
    """A stored subscription's query as its filter: a TMF630 filter selects the events it names; any
    other string (the specification's `query` is any string, "additional data to be passed") is kept
    as given but selects no event, so a listener never gets events beyond the ones it asked for."""
    try:
        return parse_filter(raw)
    except InvalidQuery:
        return NOTHING


def _test(text: str) -> Test:
    match = _ITEM.fullmatch(text)
    if match is None:
        raise InvalidQuery(f"{text!r} is not of the form attribute=value", code="invalid_query:query")
    segments = match["key"].strip().split(".")
    negate = match["op"] == "!="
    if len(segments) > 1 and segments[-1] in ("eq", "ne") and not negate:
        negate = segments.pop() == "ne"
    for segment in segments:
        if not _SEGMENT.fullmatch(segment):
            raise InvalidQuery(f"{match['key']!r} is not an attribute path", code="invalid_query:query")
    values = frozenset(v.strip() for v in match["value"].split(","))
    return Test(tuple(standard_name(s) for s in segments), values, negate)


def _leaves(value: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [item for v in value for item in _leaves(v, ())] if isinstance(value, list) else [value]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item, path)]
    if isinstance(value, dict) and path[0] in value:
        return _leaves(value[path[0]], path[1:])
    return []


def _text(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _passes(test: Test, envelope: dict[str, Any]) -> bool:
    found = {_text(v) for v in _leaves(envelope, test.path) if not isinstance(v, dict | list)}
    hit = bool(found & test.values)
    return not hit if test.negate else hit


def matches(flt: Filter, envelope: dict[str, Any]) -> bool:
    """True when the envelope (in the standard @-name style) passes every clause."""
    return all(any(_passes(test, envelope) for test in clause) for clause in flt)
