"""RFC 3339 date-times: the one parser resources and query filters share, so instants compare as instants."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")


def parse_date_time(text: str) -> datetime | None:
    """An RFC 3339 date-time with a zone as an aware datetime, or None when it is not one."""
    if not _DATE_TIME.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


FIRST = datetime.min.replace(tzinfo=UTC)
LAST = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
"""The first and last instants both stores compare (SQLite's julianday() ends at this millisecond)."""


def in_utc(moment: datetime) -> datetime:
    """An aware moment in UTC, held within FIRST and LAST: `0001-01-01T00:00:00+01:00` is a valid RFC 3339
    stamp whose instant is earlier than any UTC datetime (it reads as FIRST), and a year-9999 stamp with
    a negative offset is later than any (it reads as LAST)."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return FIRST if moment.year == FIRST.year else LAST
    return min(utc, LAST)
