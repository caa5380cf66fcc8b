"""xcore list parameters as a Query: schema, property, orderby, start, limit, id, name.

`property=path op value` (ops `== != < <= > >= ~`, or a bare path for "has the property"): `~` is a
case-insensitive regular expression that must match the whole value; paths are dot-separated
(`_instance.xdm:status`) or repository metadata (`repo:lastModifiedDate`, `instanceId`, ...). URL
values are strings: one that reads as a number or boolean also matches that typed value.
`start` is the keyset cursor `<sort values...>,<instanceId>` that `_links.next.href` carries (or a
prefix of it: strictly after those values).
`property=A,B` is `property=A&property=B` and `id=X,Y` is `id=X&id=Y` (see `split_expressions`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from offer_catalog.documents.model import Document
from offer_catalog.documents.query import (
    AllOf,
    AnyOf,
    Cond,
    Condition,
    Field,
    Op,
    SortKey,
    body,
    meta,
    meta_values,
    sort_value,
)
from offer_catalog.errors import InvalidQuery
from offer_catalog.resources.dates import in_utc, parse_date_time
from offer_catalog.resources.offer_library import by_schema_param

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
META = {
    "instanceId": "id",
    "repo:etag": "version",
    "repo:createdDate": "created_at",
    "repo:lastModifiedDate": "modified_at",
    "repo:createdBy": "created_by",
    "repo:lastModifiedBy": "modified_by",
    "repo:createdByClientId": "created_by_client",
    "repo:lastModifiedByClientId": "modified_by_client",
}
DATES = frozenset({"created_at", "modified_at"})
_OPS = {"==": Op.EQ, "!=": Op.NE, "<=": Op.LE, ">=": Op.GE, "<": Op.LT, ">": Op.GT, "~": Op.REGEX}
_INT = re.compile(r"^-?\d+$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")
# Integers beyond 64 bits have no typed reading (they could match nothing stored).
_INT64 = 2**63
# What starts another expression after a comma in one `property` value: a path and an operator, or
# a bare path that names an instance member or repository metadata (`_instance.…`, `xdm:…`, `repo:…`).
_NEXT_EXPRESSION = re.compile(
    r"^\s*(?:[A-Za-z_@$][\w@$:.-]*\s*(?:==|!=|<=|>=|<|>|~)"
    r"|(?:_instance\.|repo:|xdm:)[\w@$:.-]*\s*$|instanceId\s*$)"
)


def split_expressions(text: str) -> list[str]:
    """One `property` value's filter expressions: `A,B` is `A` and `B`.

    A comma separates two expressions only when what follows it reads as the start of another
    (`path op …`, or a bare `_instance.…` / `xdm:…` / `repo:…` / `instanceId` path); otherwise it
    belongs to the value, so `xdm:name==Sale, 20% off` and `xdm:name~a{1,3}` stay one expression.
    """
    pieces = text.split(",")
    out = [pieces[0]]
    for piece in pieces[1:]:
        if _NEXT_EXPRESSION.match(piece):
            out.append(piece)
        else:
            out[-1] += "," + piece
    return [p for p in out if p.strip()]


def field_of(path: str) -> Field:
    """The stored field a wire path names: metadata column, or a path inside `_instance`."""
    path = path.strip()
    if path in META:
        return meta(META[path])
    steps = path.split(".")
    if steps[0] == "_instance":
        steps = steps[1:]
    if not steps or not all(steps):
        raise InvalidQuery(f"{path!r} is not a property path", code="invalid_property")
    # Every kind's schema makes these strings (checked on every write): the store may use its
    # member index (FILTER_INDEXES) and compare them directly.
    return body(*steps, scalar=len(steps) == 1 and steps[0] in FILTER_INDEXES)


# Top-level members lists filter on most: the store keeps an index on each.
FILTER_INDEXES = ("xdm:status", "xdm:name")
# Array and nested paths filtered on most (tags, placements): the store indexes their values.
PATH_INDEXES = (("xdm:tags",), ("xdm:representations", "xdm:placement"))


def _typed(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if len(text) > 40:
        return None
    if _INT.match(text):
        number = int(text)
        return number if -_INT64 <= number < _INT64 else None
    if _NUMBER.match(text):
        value = float(text)
        return value if math.isfinite(value) else None
    return None


def stored_date(text: str) -> str:
    """A date-time (RFC 3339, any precision or offset, or epoch milliseconds) in the stored format."""
    if _INT.match(text):
        try:
            moment = datetime.fromtimestamp(int(text) / 1000, UTC) if len(text) <= 16 else None
        except (ValueError, OverflowError, OSError):
            moment = None
        if moment is None:
            raise InvalidQuery(f"{text[:40]!r} is out of the date-time range", code="number_out_of_range")
    else:
        parsed = parse_date_time(text)
        if parsed is None:
            raise InvalidQuery(f"{text!r} is not an RFC 3339 date-time", code="invalid_property")
        moment = in_utc(parsed)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _meta_value(column: str, text: str) -> Any:
    if column == "version":
        if not _INT.match(text):
            raise InvalidQuery(
                f"repo:etag compares with integers, not {text[:40]!r}", code="invalid_property"
            )
        if len(text) > 18:
            raise InvalidQuery("repo:etag is out of range", code="number_out_of_range")
        return int(text)
    return stored_date(text) if column in DATES else text


def parse_property(text: str) -> Condition:
    """One `property=` filter as a condition."""
    match = re.search(r"[=!<>~]", text)
    if match is None:
        return Cond(field_of(text), Op.EXISTS)
    at = match.start()
    symbol = text[at : at + 2] if text[at : at + 2] in _OPS else text[at]
    if symbol not in _OPS:
        raise InvalidQuery(f"unknown operator in property filter {text!r}", code="invalid_property")
    field, op, value = field_of(text[:at]), _OPS[symbol], text[at + len(symbol) :]
    if op is Op.REGEX:
        if field.meta == "version":
            raise InvalidQuery("repo:etag cannot be matched with ~", code="invalid_property")
        return Cond(field, op, f"^(?:{value})$", ignore_case=True)
    if field.meta is not None:
        return Cond(field, op, _meta_value(field.meta, value))
    variants: list[Any] = [value]
    typed = _typed(value)
    if typed is not None and (op in (Op.EQ, Op.NE) or not isinstance(typed, bool)):
        variants.append(typed)
    if op is Op.NE:
        return AllOf(tuple(Cond(field, op, v) for v in variants))
    return AnyOf(tuple(Cond(field, op, v) for v in variants)) if len(variants) > 1 else Cond(field, op, value)


def parse_order(text: str | None) -> tuple[tuple[SortKey, ...], str | None]:
    """Sort keys of an `orderby` list and its normalised wire form (ending with instanceId)."""
    if text is None or not text.strip():
        return (), None
    keys: list[SortKey] = []
    names: list[str] = []
    for raw in text.split(","):
        item = raw.strip()  # a "+" that the query string decoded into a space is stripped here
        descending = item.startswith("-")
        name = item.lstrip("+-").strip()
        if not name:
            raise InvalidQuery(f"empty sort key in orderby {text!r}", code="invalid_orderby")
        keys.append(SortKey(field_of(name), descending))
        names.append(("-" if descending else "") + name)
    if keys[-1] == SortKey(meta("id")):
        keys.pop()  # the store always ends with instanceId ascending
    else:
        names.append("instanceId")
    return tuple(keys), ",".join(names)


def _plain(text: str) -> bool:
    return bool(text) and not any(c in text for c in ',"') and text == text.strip()


def encode_start(values: Sequence[Any], fields: Sequence[Field]) -> str:
    """The `start` cursor: one item per sort key then the instanceId; strings quoted when ambiguous."""
    items = []
    for value, field in zip(values, fields, strict=True):
        plain = isinstance(value, str) and _plain(value) and value != "null"
        if plain and (field.meta is not None or _typed(value) is None):
            items.append(value)
            continue
        items.append(
            json.dumps(value if value is None or isinstance(value, str | int | float) else str(value))
        )
    return ",".join(items)


def _tokens(text: str) -> list[tuple[str, bool]]:
    """The cursor's comma-separated values; a JSON string is read as one (commas and all).

    A value that starts with a quote but is not a JSON string followed by a comma or the end is plain
    text up to the next comma: every string reads as a cursor.
    """
    decoder = json.JSONDecoder()
    out: list[tuple[str, bool]] = []
    position = 0
    while True:
        end = -1
        if text.startswith('"', position):
            try:
                value, end = decoder.raw_decode(text, position)
            except ValueError:
                end = -1
            if end >= 0 and (end == len(text) or text[end] == ","):
                out.append((json.dumps(value), True))
        if end < 0 or (end < len(text) and text[end] != ","):
            end = text.find(",", position)
            end = len(text) if end < 0 else end
            out.append((text[position:end], False))
        if end == len(text):
            return out
        position = end + 1


def decode_start(text: str, sort: tuple[SortKey, ...]) -> tuple[Any, ...]:
    """The keyset values of a `start` cursor for these sort keys (then instanceId).

    Fewer values than keys plus one continue strictly after those values (Adobe's `start=<value>`);
    values beyond the instanceId are ignored (the instanceId alone fixes the position).
    """
    fields = [key.field for key in sort] + [meta("id")]
    values: list[Any] = []
    for (token, quoted), field in zip(_tokens(text), fields, strict=False):
        if quoted:
            values.append(json.loads(token))
        elif token == "null":
            values.append(None)
        elif field.meta is not None:
            try:
                values.append(_meta_value(field.meta, token))
            except InvalidQuery as error:
                raise InvalidQuery(f"start: {error}", code="invalid_start") from None
        else:
            typed = _typed(token)
            values.append(token if typed is None else typed)
    return tuple(values)


def start_after(doc: Document, sort: tuple[SortKey, ...]) -> str:
    """The cursor that continues after doc."""
    values = [sort_value(doc.body, key.field, meta_values(doc)) for key in sort] + [doc.id]
    return encode_start(values, [key.field for key in sort] + [meta("id")])


@dataclass(frozen=True, slots=True)
class ListRequest:
    """A parsed list or search request."""

    kinds: tuple[str, ...]
    schema: str | None
    where: Condition | None
    sort: tuple[SortKey, ...]
    order_text: str | None
    limit: int
    after: tuple[Any, ...] | None


def _one(params: Sequence[tuple[str, str]], *names: str) -> str | None:
    for key, value in params:
        if key in names:
            return value
    return None


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT  # an empty `limit=` is no integer (the document's `minimum: 1` integer): 400
    digits = text.strip().lstrip("0")
    if not _INT.match(text.strip()) or text.strip().startswith("-") or not digits:
        raise InvalidQuery(f"limit must be a positive integer, not {text[:40]!r}", code="invalid_limit")
    # Larger asks get the largest page (without reading a number of any length).
    return MAX_LIMIT if len(digits) > 9 else min(int(digits), MAX_LIMIT)


def _name_condition(name: str) -> Cond:
    if "*" not in name:
        return Cond(body("xdm:name"), Op.EQ, name)
    pattern = ".*".join(re.escape(part) for part in name.split("*"))
    return Cond(body("xdm:name"), Op.REGEX, f"^{pattern}$")


def parse_list(params: Sequence[tuple[str, str]], extra: Condition | None = None) -> ListRequest:
    """The query a list request's parameters describe (extra: a search condition to AND in)."""
    # An empty value names no kind (every kind is listed).
    schemas = [value for key, value in params if key == "schema" and value]
    specs = [by_schema_param(s) for s in schemas]
    if any(spec is None for spec in specs):
        raise InvalidQuery(f"unknown schema {schemas[specs.index(None)]!r}", code="unknown_schema")
    kinds = tuple(dict.fromkeys(spec.name for spec in specs if spec is not None))
    conditions: list[Condition] = [
        parse_property(text) for k, v in params if k == "property" and v for text in split_expressions(v)
    ]
    # @ids never hold a comma: `id=X,Y` is `id=X&id=Y`
    ids = [one.strip() for key, value in params if key == "id" for one in value.split(",") if one.strip()]
    name = _one(params, "name")
    # Both lookups together: the instances with one of those @ids and that name (each is a filter).
    if ids:
        conditions.append(Cond(meta("at_id"), Op.IN, ids))
    if name is not None:
        conditions.append(_name_condition(name))
    if extra is not None:
        conditions.append(extra)
    sort, order_text = parse_order(_one(params, "orderby", "orderBy"))
    start = _one(params, "start")
    where = conditions[0] if len(conditions) == 1 else AllOf(tuple(conditions)) if conditions else None
    return ListRequest(
        kinds=kinds,
        schema=specs[0].schema_id if len(specs) == 1 and specs[0] is not None else None,
        where=where,
        sort=sort,
        order_text=order_text,
        limit=_limit(_one(params, "limit")),
        after=decode_start(start, sort) if start else None,
    )


def next_href(path: str, params: Sequence[tuple[str, str]], start: str, order_text: str | None) -> str:
    """The link to the next page: the same parameters, the normalised orderby and the new start."""
    kept = [(k, v) for k, v in params if k not in ("start", "orderby", "orderBy")]
    if order_text is not None:
        kept.append(("orderby", order_text))
    kept.append(("start", start))
    return f"{path}?{urlencode(kept)}"


def self_href(path: str, query_string: str) -> str:
    """The link to this page, as requested."""
    return f"{path}?{query_string}" if query_string else path
