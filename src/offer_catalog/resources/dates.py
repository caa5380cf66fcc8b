"""RFC 3339 date-times: the one parser resources and query filters share, so instants compare as instants."""

from __future__ import annotations

import re
from datetime import datetime

_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")


def parse_date_time(text: str) -> datetime | None:
    """An RFC 3339 date-time with a zone as an aware datetime, or None when it is not one."""
    if not _DATE_TIME.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
