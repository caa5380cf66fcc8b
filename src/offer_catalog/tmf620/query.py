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
from offer_catalog.resources.dates import in_utc, parse_date_time
from offer_catalog.resources.shapes import Str
from offer_catalog.tmf620.names import standard_name
from offer_catalog.tmf620.resources import Resource, id_from_href
from offer_catalog.tmf620.v5_mapping import stored_path

MAX_PAGE_NUMBER = 10**18
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


@dataclass(frozen=True, slots=True)
class ListParams:
    """A parsed list request: condition, sort keys, page, and the member selection (None: all)."""

    where: Condition | None
    sort: tuple[SortKey, ...]
    offset: int
    limit: int | None
    fields: Fields | None
    all_versions: bool = False  # a filter on id or version: every entity version is listed (versions.py)


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
            match = _ITEM.fullmatch(text)
            # NUL in a `fields` entry names no member (it selects nothing); anywhere else it is refused.
            if "\x00" in text and (match is None or match["key"].strip() != "fields"):
                raise _invalid("a query may not contain NUL characters")
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


_INSTANT_OPS = (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE)
# Date-times the server writes itself, always UTC whole seconds with `Z` (service.now_stamp): their text
# order is their instant order, so they compare as text (and the member index serves).
_SERVER_STAMPS = (("lastUpdate",),)
_STAMP = "%Y-%m-%dT%H:%M:%SZ"
_BLANK_OFFSET = re.compile(r" (\d{2}:\d{2})$")


def _instant(resource: Resource, op: Op, text: str, path: tuple[str, ...]) -> Condition | None:
    """A comparison of instants when path is a declared date-time and text a full RFC 3339 stamp."""
    if op not in _INSTANT_OPS or not resource.date_time(path):
        return None
    # An unencoded `+` of an offset arrives as a blank (form decoding): read it back as `+`.
    stamp = parse_date_time(_BLANK_OFFSET.sub(r"+\1", text))
    if stamp is None:
        return None
    utc = in_utc(stamp)
    if path not in _SERVER_STAMPS:
        return Cond(body(*path, instant=True), op, utc.isoformat())
    whole = Cond(body(*path, scalar=True), op, utc.strftime(_STAMP))
    if not utc.microsecond:
        return whole
    # A fraction of a second: no whole-second stamp equals it; the others are above or below it.
    if op in (Op.EQ, Op.NE):
        return AnyOf(()) if op is Op.EQ else AllOf(())
    return Cond(whole.field, Op.GT if op in (Op.GT, Op.GE) else Op.LE, whole.value)


def _one_value(resource: Resource, field: Field, op: Op, text: str, path: tuple[str, ...]) -> Condition:
    instant = _instant(resource, op, text, path)
    if instant is not None:
        return instant
    if path == (resource.lifecycle.member,):
        text = resource.lifecycle.spelled(text) or text
    # `_filter` marks scalar exactly the members the schema types as strings: they hold strings only
    # (checked on every write). The text is their one reading: one term, which a member index (and
    # its kept counts) answers.
    readings = [text] if field.meta is not None or field.scalar else _readings(text)
    conditions: list[Condition] = [Cond(field, op, r) for r in readings]
    if op is Op.NE:
        return conditions[0] if len(conditions) == 1 else AllOf(tuple(conditions))
    if op is Op.EQ and _PARTIAL_DATETIME.fullmatch(text) and (not field.scalar or resource.date_time(path)):
        # A date-time cut short matches by prefix on date-time members (and members of unknown type).
        conditions.append(Cond(field, Op.REGEX, "^" + re.escape(text)))
    return conditions[0] if len(conditions) == 1 else AnyOf(tuple(conditions))


# Top-level members lists filter on most: the store keeps an index on each.
FILTER_INDEXES = ("lifecycleStatus", "name", "@type", "lastUpdate")
# Nested and array paths lists filter on most (references by id): the store indexes their values.
PATH_INDEXES = tuple(
    (member, "id")
    for member in (
        "productOfferingPrice",
        "category",
        "channel",
        "productSpecification",
        "relatedParty",
        "marketSegment",
        "place",
        "bundledProductOffering",
    )
)


# The largest page (offset + limit) `index_served` accepts: its rows are read while the request waits.
INDEX_SERVED_ROWS = 200
_INDEXED_MEMBERS = frozenset((member,) for member in FILTER_INDEXES)


def index_served(params: ListParams, limit: int) -> bool:
    """Whether the SQLite store reads this page and its total from indexes and kept counts alone.

    No filter, or equality with one string on a member of FILTER_INDEXES (its index yields the
    matches in id order, its kept count is the total), in id order, at most INDEX_SERVED_ROWS deep:
    the store visits only the page's index entries and rows, never a document that does not match,
    so the page costs about what a get by id costs per row (no need to hand it to another thread).
    """
    if params.sort or params.all_versions or params.offset + limit > INDEX_SERVED_ROWS:
        return False
    where = params.where
    return where is None or (
        isinstance(where, Cond)
        and where.op is Op.EQ
        and where.field.scalar
        and where.field.path in _INDEXED_MEMBERS
        and type(where.value) is str
        and not where.ignore_case
    )


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
    scalar = len(path) == 1 and isinstance(resource.member(path[0]), Str)
    field = body(*path, scalar=scalar)
    if path in (("id",), ("href",)):
        field = meta("id")
        if path == ("href",):
            if op not in (Op.EQ, Op.NE):
                raise _invalid("href supports equality only")
            values = [i for i in (id_from_href(v, resource) for v in values) if i is not None]
    conditions = tuple(_one_value(resource, field, op, v, path) for v in values)
    if len(conditions) == 1:
        return conditions[0]
    return AllOf(conditions) if op is Op.NE else AnyOf(conditions)


def _stored(resource: Resource, path: tuple[str, ...]) -> tuple[str, ...]:
    """A member path of the resource's release as the stored body spells it (v5 `parent.id`: `parentId`)."""
    if resource.api == "v4":
        return path
    return tuple(stored_path(version=resource.api, resource=resource.kind, path=".".join(path)).split("."))


def _filter_item(resource: Resource, key: str, symbol: str, raw: str) -> tuple[tuple[Any, ...], Condition]:
    segments = key.split(".")
    op = _SYMBOL_OPS[symbol]
    if len(segments) > 1 and segments[-1] in _SUFFIX_OPS:
        if symbol != "=":
            raise _invalid(f"{key}{symbol} combines two operators")
        op = _SUFFIX_OPS[segments[-1]]
        key = ".".join(segments[:-1])
    path = _stored(resource, _path(key, "attribute"))
    return (path, op), _filter(resource, path, op, raw)


def page_number(name: str, text: str) -> int:
    """A page number (offset, limit): an integer, clamped to 0..10^18 (a negative one counts as 0).

    The v4 specification declares both as plain integers, so any integer is a valid request: a
    negative one reads as 0 and one past what a store can count to as 10^18 (an empty page).
    """
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit():
        raise _invalid(f"{name} must be an integer, got {text[:40]!r}", f"invalid_query:{name}")
    if text.startswith("-"):
        return 0
    # Beyond what a store can count to (and cheaper than reading a number of any length).
    return MAX_PAGE_NUMBER if len(digits.lstrip("0")) > 18 else int(digits)


def parse_fields(text: str) -> Fields:
    """`fields=a,b.c` as member paths; `fields=none` selects only id and href.

    A name that is not a member path names no member, so it selects nothing (as an absent member).
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["none"]:
        return ()
    return tuple(path for path in (_field_path(n) for n in names) if path is not None)


def _field_path(text: str) -> tuple[str, ...] | None:
    try:
        return _path(text, "field")
    except InvalidQuery:
        return None


def parse_sort(text: str, resource: Resource) -> tuple[SortKey, ...]:
    """`sort=-lastUpdate,name`: `-` descending, `+` (or nothing) ascending; date-times by instant."""
    keys = []
    for item in text.split(","):
        item = item.strip()
        descending = item.startswith("-")
        item = item.lstrip("+-").strip()
        if not item:
            raise _invalid(f"sort {text!r} has an empty key", "invalid_query:sort")
        path = _stored(resource, _path(item, "sort key"))
        instant = resource.date_time(path) and path not in _SERVER_STAMPS
        keys.append(SortKey(meta("id") if path == ("id",) else body(*path, instant=instant), descending))
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
    versioned = _names_version(conditions)
    # A larger limit is served as the largest page (the paging headers tell the client).
    limit = page_number("limit", params["limit"]) if "limit" in params else None
    return ListParams(
        where=None if not conditions else conditions[0] if len(conditions) == 1 else AllOf(tuple(conditions)),
        sort=parse_sort(params["sort"], resource) if "sort" in params else (),
        offset=page_number("offset", params["offset"]) if "offset" in params else 0,
        limit=limit,
        fields=parse_fields(params["fields"]) if "fields" in params else None,
        all_versions=versioned,
    )


def _names_version(conditions: list[Condition]) -> bool:
    """Whether a filter names the id (or href) or the version of entities."""
    for cond in conditions:
        if isinstance(cond, Cond):
            if cond.field.meta == "id" or cond.field.path == ("version",):
                return True
        elif _names_version(list(cond.items)):
            return True
    return False


def parse_version(raw: str) -> str | None:
    """The `version` parameter of a single-resource request (an entity version), or None."""
    found = None
    for clause in _items(raw):
        for key, symbol, value in clause:
            if key == "version" and symbol == "=":
                found = _literal(value)
    return found


def parse_retrieve(raw: str) -> Fields | None:
    """The `fields` of a single-resource GET (other parameters are ignored)."""
    selected: Fields | None = None
    for clause in _items(raw):
        for key, symbol, value in clause:
            if key == "fields" and symbol == "=":
                selected = (selected or ()) + parse_fields(value)
    return selected
