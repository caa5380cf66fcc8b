"""Runtime side of PQL: the MISSING sentinel, the evaluation environment, lookups and comparisons.

Three-valued logic: a missing attribute, a type mismatch or an arithmetic error yields `MISSING`,
which also stands for the truth value "unknown". Comparisons and boolean operators propagate it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

_MEMBER_STATUSES: Final = frozenset({"realized", "existing"})


class _Missing:
    """The type of `MISSING`: falsy, printable, a singleton."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


class Selection(list[Any]):
    """The list a `select X from ... where ...` yields; as a condition it is true when not empty."""

    __slots__ = ()


def truth(value: Any) -> Any:
    """A selection as a condition (true when not empty); any other value unchanged."""
    return bool(value) if type(value) is Selection else value


class Env:
    """What a compiled expression reads: profile attributes, request context data, the offer, the clock.

    `context` is the request's `xdm:contextData` list (entries `{"@type": ..., "xdm:data": {...}}`)
    or a single mapping used as the data of an anonymous entry. `offer` is the offer instance body
    (`xdm:`-prefixed keys are found without their prefix). `now` feeds `now()`; it should be aware.
    """

    __slots__ = ("_by_type", "_merged", "_segments", "contexts", "item", "now", "offer", "profile", "vars")

    def __init__(
        self,
        profile: Mapping[str, Any] | None = None,
        *,
        context: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None,
        offer: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> None:
        self.profile: Mapping[str, Any] = profile if profile is not None else {}
        if isinstance(context, Mapping):
            context = [{"xdm:data": context}]
        self.contexts: Sequence[Mapping[str, Any]] = context or ()
        self.offer: Mapping[str, Any] | None = offer
        self.now = now if now is None or now.tzinfo is not None else now.replace(tzinfo=UTC)
        self._segments: frozenset[str] | None = None
        self._merged: dict[str, Any] | None = None
        self._by_type: dict[str, Any] | None = None
        #: Variables bound by `exists`/`forall`/`select`/`let` and the item of an array method argument.
        self.vars: dict[str, Any] = {}
        self.item: Any = MISSING

    def segments(self) -> frozenset[str]:
        """Ids of the segments the profile is a member of (status realized or existing)."""
        if self._segments is None:
            self._segments = segment_ids(lookup(self.profile, "segmentMembership", "xdm:segmentMembership"))
        return self._segments

    def context_data(self) -> dict[str, Any]:
        """The `xdm:data` of every context entry merged, later entries winning."""
        if self._merged is None:
            merged: dict[str, Any] = {}
            for entry in self.contexts:
                data = _entry_data(entry)
                if isinstance(data, Mapping):
                    merged.update(data)
            self._merged = merged
        return self._merged

    def contexts_of_type(self, schema: str) -> list[Any]:
        """The `xdm:data` of every context entry whose `@type` is `schema` (exact, else case-insensitive)."""
        found = [_entry_data(e) for e in self.contexts if _type_of(e) == schema]
        if not found:
            lowered = schema.lower()
            found = [_entry_data(e) for e in self.contexts if str(_type_of(e)).lower() == lowered]
        return [data for data in found if data is not MISSING]

    def context_of_type(self, schema: str) -> Any:
        """The `xdm:data` of the context entry whose `@type` is `schema` (exact, then case-insensitive)."""
        if self._by_type is None:
            by_type: dict[str, Any] = {}
            for entry in self.contexts:
                kind = _type_of(entry)
                if isinstance(kind, str):
                    by_type.setdefault(kind, _entry_data(entry))
                    by_type.setdefault(kind.lower(), _entry_data(entry))
            self._by_type = by_type
        found = self._by_type.get(schema, MISSING)
        return self._by_type.get(schema.lower(), MISSING) if found is MISSING else found


def _type_of(entry: Mapping[str, Any]) -> Any:
    return entry.get("@type", entry.get("xdm:type"))


def _entry_data(entry: Mapping[str, Any]) -> Any:
    return entry.get("xdm:data", entry.get("data", MISSING))


def segment_ids(membership: Any) -> frozenset[str]:
    """Member segment ids of an XDM `segmentMembership` map (`{ns: {id: {status}}}`) or a plain id list."""
    if isinstance(membership, list | tuple | set | frozenset):
        return frozenset(item for item in membership if isinstance(item, str))
    if not isinstance(membership, Mapping):
        return frozenset()
    ids: set[str] = set()
    for key, value in membership.items():
        if isinstance(value, Mapping) and not _is_entry(value):
            ids.update(sid for sid, info in value.items() if _is_member(info))
        elif _is_member(value):  # a flat `{id: {status}}` map without namespaces
            ids.add(key)
    return frozenset(ids)


def _is_entry(value: Mapping[str, Any]) -> bool:
    return "status" in value or "xdm:status" in value


def _is_member(info: Any) -> bool:
    if isinstance(info, Mapping):
        return info.get("status", info.get("xdm:status", "realized")) in _MEMBER_STATUSES
    return bool(info)


def alternate_key(key: str) -> str | None:
    """The other spelling of a field: `xdm:k` for `k` and `k` for `xdm:k`; `@id` for `id`."""
    if key.startswith("xdm:"):
        return key[4:]
    if key == "id":
        return "@id"
    if ":" in key:
        return None
    return "xdm:" + key


def lookup(obj: Any, key: str, alt: str | None) -> Any:
    """`obj[key]`, else `obj[alt]`, else MISSING; MISSING when `obj` is not a mapping."""
    if isinstance(obj, Mapping):
        value = obj.get(key, MISSING)
        if value is MISSING and alt is not None:
            return obj.get(alt, MISSING)
        return value
    return MISSING


def is_number(value: Any) -> bool:
    """True for int and float, not for bool."""
    kind = type(value)
    if kind is int or kind is float:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_temporal(value: Any) -> bool:
    """True for date and datetime values."""
    return isinstance(value, date)


LAST_INSTANT: Final = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
"""The last instant read: its epoch seconds still name a datetime (9999-12-31T23:59:59.999999's round
up to the year 10000)."""


@functools.lru_cache(maxsize=4096)
def parse_instant(text: str) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime (naive means UTC), or None."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return min(parsed.astimezone(UTC), LAST_INSTANT)
    except OverflowError:  # `0001-01-01T00:00:00+01:00` is before any UTC datetime: the first (or last) one
        return datetime.min.replace(tzinfo=UTC) if parsed.year == datetime.min.year else LAST_INSTANT


def instant(value: Any) -> datetime | None:
    """A date, datetime or ISO string as an aware datetime; a date means midnight UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        return parse_instant(value)
    return None


def equals(left: Any, right: Any) -> Any:
    """PQL `=`: True/False, or MISSING when an operand is missing or the types cannot be compared."""
    if left is MISSING or right is MISSING:
        return MISSING
    kind = type(left)
    if kind is type(right) and (kind is str or kind is int or kind is float or kind is bool):
        return left == right
    if left is None or right is None:
        return left is right
    if is_number(left) and is_number(right):
        return bool(left == right)
    if is_temporal(left) or is_temporal(right):
        a, b = instant(left), instant(right)
        return MISSING if a is None or b is None else a == b
    if kind is type(right):
        return bool(left == right)
    return MISSING


def compare(left: Any, right: Any) -> Any:
    """Three-way order of two values (-1, 0, 1), or MISSING when they are not comparable."""
    if left is MISSING or right is MISSING or left is None or right is None:
        return MISSING
    if (type(left) is str and type(right) is str) or (is_number(left) and is_number(right)):
        return (left > right) - (left < right)
    if is_temporal(left) or is_temporal(right):
        a, b = instant(left), instant(right)
        if a is None or b is None:
            return MISSING
        return (a > b) - (a < b)
    return MISSING


def extreme(values: Iterable[Any], sign: int) -> Any:
    """The greatest (sign 1) or least (sign -1) value by `compare`; MISSING when two are not comparable."""
    best: Any = MISSING
    for value in values:
        order = compare(value, best) if best is not MISSING else sign
        if order is MISSING:
            return MISSING
        if order == sign:
            best = value
    return best


def member(needle: Any, haystack: Any) -> Any:
    """PQL `in`: True when an element equals `needle`, else False (MISSING if an element is missing).

    Elements of another type simply do not match; a missing operand or a non-list yields MISSING.
    """
    if needle is MISSING or not isinstance(haystack, list | tuple):
        return MISSING
    unknown = False
    for item in haystack:
        if item is MISSING:
            unknown = True
        elif equals(needle, item) is True:
            return True
    return MISSING if unknown else False
