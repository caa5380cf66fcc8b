"""PQL date and time: `currentMonth()`..., `getYear()`..., the `now`/`today` words and `occurs`.

Instants are aware UTC datetimes. A *moment* is what `occurs` compares with: an instant (`now`, a
date-time) or a period `[start, end)` (`today`, a date, `last week`). Calendar units are UTC; weeks
start on Monday. Distances (`occurs <= 3 days before now`) count calendar units between the two
(the number of day boundaries crossed), so `= 3 days before today` is the whole day three days ago.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from offer_catalog.decisioning.pql.values import MISSING, Env, instant

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MONDAY_EPOCH: Final = datetime(1969, 12, 29, tzinfo=UTC)
_FIXED: Final = {
    "millisecond": timedelta(milliseconds=1),
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}
_UNITS: Final = {
    "millisecond": "millisecond",
    "second": "second",
    "minute": "minute",
    "hour": "hour",
    "day": "day",
    "week": "week",
    "month": "month",
    "year": "year",
    "decade": "decade",
    "century": "century",
    "centurie": "century",
    "millennium": "millennium",
    "millennia": "millennium",
}
_YEARS_PER: Final = {"year": 1, "decade": 10, "century": 100, "millennium": 1000}
COMPARISONS: Final[dict[str, Callable[[int, int], bool]]] = {
    "cmp_eq": operator.eq,
    "cmp_ne": operator.ne,
    "cmp_lt": operator.lt,
    "cmp_le": operator.le,
    "cmp_gt": operator.gt,
    "cmp_ge": operator.ge,
}


def unit_name(word: str) -> str:
    """The unit a word names: `days` -> `day`, `centuries` -> `century`, `millennia` -> `millennium`."""
    word = word.lower()
    return _UNITS.get(word) or _UNITS[word[:-1]]


@dataclass(frozen=True, slots=True)
class Moment:
    """An instant (`end` None) or the period `[start, end)`."""

    start: datetime
    end: datetime | None = None


def bucket(when: datetime, unit: str) -> int:
    """The index of the calendar `unit` containing `when` (UTC)."""
    if unit in _FIXED:
        return (when - _EPOCH) // _FIXED[unit]
    if unit == "week":
        return (when - _MONDAY_EPOCH) // timedelta(weeks=1)
    if unit == "month":
        return when.year * 12 + when.month - 1
    return (when.year - (0 if unit == "year" or unit == "decade" else 1)) // _YEARS_PER[unit]


def bucket_start(index: int, unit: str) -> datetime:
    """The first instant of the calendar `unit` number `index`; raises ValueError or OverflowError."""
    if unit in _FIXED:
        return _EPOCH + _FIXED[unit] * index
    if unit == "week":
        return _MONDAY_EPOCH + timedelta(weeks=index)
    if unit == "month":
        return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)
    first = index * _YEARS_PER[unit] + (0 if unit == "year" or unit == "decade" else 1)
    return datetime(first, 1, 1, tzinfo=UTC)


def period(now: datetime, unit: str, offset: int) -> Moment | None:
    """`this`/`last`/`next` `unit` (offset 0, -1, 1) around `now`; None beyond the calendar."""
    index = bucket(now, unit) + offset
    try:
        return Moment(bucket_start(index, unit), bucket_start(index + 1, unit))
    except (ValueError, OverflowError):
        return None


def moment_of(value: Any) -> Moment | None:
    """A value as a moment: a date (or a date-only string) is its day, a date-time its instant."""
    if isinstance(value, Moment):
        return value
    if type(value) is date or (type(value) is str and len(value) == 10):
        start = instant(value)
        if start is None:
            return None
        try:
            return Moment(start, start + timedelta(days=1))
        except OverflowError:  # 9999-12-31: its day ends with the calendar
            return Moment(start, datetime.max.replace(tzinfo=UTC))
    start = instant(value)
    return None if start is None else Moment(start)


def today(now: datetime) -> date:
    """The UTC date of `now`."""
    return now.astimezone(UTC).date()


_WORDS: Final[dict[str, Callable[[datetime], Any]]] = {
    "now": lambda now: now,
    "today": today,
    "yesterday": lambda now: today(now) - timedelta(days=1),
    "tomorrow": lambda now: today(now) + timedelta(days=1),
}


def word(name: str) -> Callable[[Env], Any]:
    """The closure of `now`, `today`, `yesterday` or `tomorrow` (dates are whole days)."""
    make = _WORDS[name]
    return lambda env: MISSING if env.now is None else make(env.now)


def period_word(text: str) -> Callable[[Env], Any]:
    """The closure of `this week`, `last month`, `next year`..."""
    which, unit = text.split()
    offset = {"this": 0, "last": -1, "next": 1}[which]
    name = unit_name(unit)

    def moment(env: Env) -> Any:
        if env.now is None:
            return MISSING
        found = period(env.now, name, offset)
        return MISSING if found is None else found

    return moment


def occurs_on(when: Any, at: Any) -> Any:
    """`t occurs [on] M`: inside the period, or at the instant."""
    t, m = instant(when), moment_of(at)
    if t is None or m is None:
        return MISSING
    return t == m.start if m.end is None else m.start <= t < m.end


def occurs_before(when: Any, at: Any) -> Any:
    """`t occurs before M`: earlier than its start."""
    t, m = instant(when), moment_of(at)
    return MISSING if t is None or m is None else t < m.start


def occurs_after(when: Any, at: Any) -> Any:
    """`t occurs after M` (or `from M`): later than the instant or at/after the period's end."""
    t, m = instant(when), moment_of(at)
    if t is None or m is None:
        return MISSING
    return t > m.start if m.end is None else t >= m.end


def occurs_between(when: Any, low: Any, high: Any) -> Any:
    """`t occurs between A and B`: from the start of A to the end of B (inclusive of an instant B)."""
    t, a, b = instant(when), moment_of(low), moment_of(high)
    if t is None or a is None or b is None:
        return MISSING
    return a.start <= t and (t <= b.start if b.end is None else t < b.end)


def occurs_distance(compare: str, amount: int, unit: str, after: bool) -> Callable[[Any, Any], Any]:
    """`t occurs <cmp> N <unit> before|after M`: calendar units between t and M's start, t on that side."""
    test = COMPARISONS[compare]
    name = unit_name(unit)

    def distance(when: Any, at: Any) -> Any:
        t, m = instant(when), moment_of(at)
        if t is None or m is None:
            return MISSING
        if (t < m.start) if after else (t > m.start):
            return False
        gap = bucket(t, name) - bucket(m.start, name)
        return test(gap if after else -gap, amount)

    return distance


def _part(read: Callable[[datetime], int]) -> Callable[[Any], Any]:
    def part(value: Any) -> Any:
        when = instant(value)
        return MISSING if when is None else read(when)

    return part


get_year = _part(operator.attrgetter("year"))
get_month = _part(operator.attrgetter("month"))
get_day_of_month = _part(operator.attrgetter("day"))


def current(read: Callable[[Any], Any]) -> Callable[[Env], Any]:
    """A closure reading a part of the decision clock (MISSING without one)."""
    return lambda env: MISSING if env.now is None else read(env.now)
