"""TMF630 list queries: filters, `fields`, `sort`, `offset`/`limit` parsed into the dialect-neutral model.

Grammar (after splitting the raw query string on `&`, then each part on `;`, then percent-decoding):
`attr[.op]=value[,value...]`, `attr>=value` (also `>`, `<`, `<=`, `!=` literally or URL-encoded),
`attr*=regex`; `attr` is a dotted member path. `,` and `;` mean OR, and so does a repeated `attr=` or
`attr*=`; `&` means AND (so `a.gte=1&a.lt=5` is a range). `attr!=a,b` matches neither a nor b.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from offer_catalog.documents.query import (
    MAX_PATH_DEPTH,
    MEMBER_NAME,
    AllOf,
    AnyOf,
    Cond,
    Condition,
    Field,
    Op,
    SortKey,
    body,
    meta,
)
from offer_catalog.errors import InvalidQuery
from offer_catalog.tmf620.lifecycle import STATES
from offer_catalog.tmf620.names import standard_name
from offer_catalog.tmf620.resources import Resource, id_from_href
from offer_catalog.tmf620.schema import MEMBER_TYPES

MAX_LIMIT = 1000
RESERVED = ("fields", "sort", "offset", "limit")
Fields = tuple[tuple[str, ...], ...]

_ITEM = re.compile(r"(?P<key>[^=<>!*]*)(?P<op>\*=|>=|<=|!=|=|>|<)(?P<value>.*)", re.S)
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
# A date-time cut short (no zone): equality matches every value that starts with it, as the RI does.
_PARTIAL_DATETIME = re.compile(r"\d{4}-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?)?")
# Regex features outside the portable subset: inline flags and groups "(?", escapes other than
# metacharacters and \d \s \w (and their negations), "{,n}" quantifiers.
_UNPORTABLE = re.compile(r"\(\?|\\[^nrt\\|.?*+(){}\[\]^$dDsSwW-]|\{,")
_SUFFIX_OPS = {
    "eq": Op.EQ,
    "ne": Op.NE,
    "gt": Op.GT,
    "gte": Op.GE,
    "lt": Op.LT,
    "lte": Op.LE,
    "regex": Op.REGEX,
}
_SYMBOL_OPS = {"=": Op.EQ, "!=": Op.NE, ">": Op.GT, ">=": Op.GE, "<": Op.LT, "<=": Op.LE, "*=": Op.REGEX}
_STATES = {state.lower(): state for state in STATES}


@dataclass(frozen=True, slots=True)
class ListParams:
    """A parsed list request: condition, sort keys, page, and the member selection (None: all)."""

    where: Condition | None
    sort: tuple[SortKey, ...]
    offset: int
    limit: int | None
    fields: Fields | None


def _invalid(message: str, code: str = "invalid_query") -> InvalidQuery:
    return InvalidQuery(message, code=code)


def _path(text: str, what: str) -> tuple[str, ...]:
    segments = tuple(text.strip().split("."))
    if len(segments) > MAX_PATH_DEPTH:
        raise _invalid(f"{what} {text[:100]!r} has more than {MAX_PATH_DEPTH} steps")
    for segment in segments:
        if not MEMBER_NAME.fullmatch(segment):
            raise _invalid(f"{what} {text[:100]!r} is not a member path (or uses an unknown operator)")
    return tuple(standard_name(s) for s in segments)


def _items(raw: str) -> list[list[tuple[str, str, str]]]:
    clauses = []
    for clause in raw.split("&"):
        items = []
        for part in clause.split(";"):
            if not part:
                continue
            text = unquote_plus(part)
            if "\x00" in text:
                raise _invalid("a query may not contain NUL characters")
            match = _ITEM.fullmatch(text)
            if match is None:
                raise _invalid(f"{text!r} is not of the form attribute=value (or attribute<op>value)")
            items.append((match["key"].strip(), match["op"], match["value"]))
        if items:
            clauses.append(items)
    return clauses


def _literal(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _values(text: str) -> list[str]:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return [text[1:-1]]
    return [_literal(v) for v in text.split(",")]


def _readings(text: str) -> list[Any]:
    """The string, and its JSON reading when it looks like a number or a boolean."""
    if text in ("true", "false"):
        return [text, text == "true"]
    if len(text) <= 40 and _NUMBER.fullmatch(text):
        number = float(text) if any(c in text for c in ".eE") else int(text)
        if math.isfinite(number) and abs(number) < 2**63:
            return [text, number]
    return [text]


def _one_value(field: Field, op: Op, text: str, path: tuple[str, ...]) -> Condition:
    if path == ("lifecycleStatus",):
        text = _STATES.get(text.lower(), text)
    readings = [text] if field.meta is not None else _readings(text)
    conditions: list[Condition] = [Cond(field, op, r) for r in readings]
    if op is Op.NE:
        return conditions[0] if len(conditions) == 1 else AllOf(tuple(conditions))
    if op is Op.EQ and _PARTIAL_DATETIME.fullmatch(text):
        conditions.append(Cond(field, Op.REGEX, "^" + re.escape(text)))
    return conditions[0] if len(conditions) == 1 else AnyOf(tuple(conditions))


# Top-level members lists filter on most: the store keeps an index on each.
FILTER_INDEXES = ("lifecycleStatus", "name", "@type", "lastUpdate")


def _check_regex(pattern: str) -> str:
    """A pattern in the subset both stores agree on (Python `re` and XQuery/SQL-JSON like_regex)."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise _invalid(f"invalid regular expression {pattern!r}: {exc}") from None
    for match in _UNPORTABLE.finditer(pattern):
        raise _invalid(f"regular expression construct {match.group()!r} is not supported")
    return pattern


def _filter(resource: Resource, path: tuple[str, ...], op: Op, raw: str) -> Condition:
    if op is Op.REGEX:
        pattern = _check_regex(_literal(raw))
        return Cond(meta("id") if path == ("id",) else body(*path), Op.REGEX, pattern)
    values = _values(raw)
    # Members the schema types as strings are validated on every write: never arrays, so the store
    # may compare them directly and use its member indexes (FILTER_INDEXES).
    scalar = len(path) == 1 and MEMBER_TYPES[resource.cls].get(path[0]) in ("str", "datetime")
    field = body(*path, scalar=scalar)
    if path in (("id",), ("href",)):
        field = meta("id")
        if path == ("href",):
            if op not in (Op.EQ, Op.NE):
                raise _invalid("href supports equality only")
            values = [i for i in (id_from_href(v, resource) for v in values) if i is not None]
    conditions = tuple(_one_value(field, op, v, path) for v in values)
    if len(conditions) == 1:
        return conditions[0]
    return AllOf(conditions) if op is Op.NE else AnyOf(conditions)


def _filter_item(resource: Resource, key: str, symbol: str, raw: str) -> tuple[tuple[Any, ...], Condition]:
    segments = key.split(".")
    op = _SYMBOL_OPS[symbol]
    if len(segments) > 1 and segments[-1] in _SUFFIX_OPS:
        if symbol != "=":
            raise _invalid(f"{key}{symbol} combines two operators")
        op = _SUFFIX_OPS[segments[-1]]
        key = ".".join(segments[:-1])
    path = _path(key, "attribute")
    return (path, op), _filter(resource, path, op, raw)


def _int(name: str, text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise _invalid(f"{name} must be a non-negative integer, got {text[:40]!r}", f"invalid_query:{name}")
    if len(text.lstrip("0")) > 18:
        # Beyond what a store can count to (and cheaper than reading a number of any length).
        raise _invalid(f"{name} must be below 10^18", f"invalid_query:{name}")
    return int(text)


def parse_fields(text: str) -> Fields:
    """`fields=a,b.c` as member paths; `fields=none` selects only id and href."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["none"]:
        return ()
    return tuple(_path(n, "field") for n in names)


def parse_sort(text: str) -> tuple[SortKey, ...]:
    """`sort=-lastUpdate,name`: `-` descending, `+` (or nothing) ascending."""
    keys = []
    for item in text.split(","):
        item = item.strip()
        descending = item.startswith("-")
        item = item.lstrip("+-").strip()
        if not item:
            raise _invalid(f"sort {text!r} has an empty key", "invalid_query:sort")
        path = _path(item, "sort key")
        keys.append(SortKey(meta("id") if path == ("id",) else body(*path), descending))
    return tuple(keys)


def parse_list(raw: str, resource: Resource) -> ListParams:
    """Parse a list request's query string; InvalidQuery (400) on anything malformed."""
    params: dict[str, str] = {}
    groups: dict[tuple[Any, ...], list[Condition]] = {}
    alternatives: list[Condition] = []
    for clause in _items(raw):
        filters = []
        for key, symbol, value in clause:
            if key in RESERVED:
                if symbol != "=" or (key in params and key != "fields"):
                    raise _invalid(f"{key} must be given once, as {key}=value", f"invalid_query:{key}")
                params[key] = f"{params[key]},{value}" if key in params else value
            else:
                filters.append(_filter_item(resource, key, symbol, value))
        if len(filters) == 1 and filters[0][0][1] in (Op.EQ, Op.REGEX):
            # A repeated `attr=value` (or `attr*=re`) is an OR of the values, like `attr=a,b`.
            groups.setdefault(filters[0][0], []).append(filters[0][1])
        elif len(filters) == 1:
            alternatives.append(filters[0][1])
        elif filters:
            alternatives.append(AnyOf(tuple(c for _, c in filters)))
    conditions = [c[0] if len(c) == 1 else AnyOf(tuple(c)) for c in groups.values()] + alternatives
    limit = _int("limit", params["limit"]) if "limit" in params else None
    if limit is not None and limit > MAX_LIMIT:
        raise _invalid(f"limit must be at most {MAX_LIMIT}, got {limit}", "invalid_query:limit")
    return ListParams(
        where=None if not conditions else conditions[0] if len(conditions) == 1 else AllOf(tuple(conditions)),
        sort=parse_sort(params["sort"]) if "sort" in params else (),
        offset=_int("offset", params["offset"]) if "offset" in params else 0,
        limit=limit,
        fields=parse_fields(params["fields"]) if "fields" in params else None,
    )


def parse_retrieve(raw: str) -> Fields | None:
    """The `fields` of a single-resource GET (other parameters are ignored)."""
    selected: Fields | None = None
    for clause in _items(raw):
        for key, symbol, value in clause:
            if key == "fields" and symbol == "=":
                selected = (selected or ()) + parse_fields(value)
    return selected
