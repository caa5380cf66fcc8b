"""User-supplied regular expressions: RE2 (linear time) and the subset both stores run in one meaning.

SQLite evaluates a pattern with RE2 in `oc_regexp`; PostgreSQL runs it in its own engine
(`like_regex`, `~`) after RE2 has accepted it and the subset rules below hold, so a pattern is
either refused on both stores or means the same on both. Every query also runs under the
store's time budget.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import re2
from re2 import _re2

from offer_catalog.errors import InvalidQuery

MAX_PATTERN_LENGTH = 1000
# PostgreSQL's engine refuses a repetition bound above 255 (RE2 allows 1000).
MAX_REPEAT = 255
_REPEAT = re.compile(r"\{(\d*)(?:,(\d*))?\}")
# Escapes with the same meaning in RE2 and PostgreSQL: punctuation (and space) as itself, \n \r \t,
# and the classes \d \s \w with their negations. Letters and digits otherwise differ (\b, \x, \1...).
_PORTABLE_ESCAPE = frozenset("nrtdDsSwW")
_META = re.compile(r"[.^$*+?{}\[\]()|\\]")
_UNANCHORED = _re2.RE2.Anchor.UNANCHORED


def _invalid(pattern: str, why: str) -> InvalidQuery:
    return InvalidQuery(f"regular expression {pattern[:100]!r} {why}", code="invalid_query")


def check_pattern(pattern: Any) -> str:
    """The pattern when RE2 compiles it and it stays inside the portable subset; else InvalidQuery."""
    if not isinstance(pattern, str):
        raise InvalidQuery("a regular expression must be a string", code="invalid_query")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise _invalid(pattern, f"is longer than {MAX_PATTERN_LENGTH} characters")
    if "\x00" in pattern:
        raise _invalid(pattern, "contains a NUL character")
    for match in re.finditer(r"\\(.)", pattern, re.S):
        char = match.group(1)
        if char.isascii() and (not char.isalnum() or char in _PORTABLE_ESCAPE):
            continue
        raise _invalid(pattern, f"uses the escape \\{char}, which is not supported")
    if re.search(r"\(\?(?!:)", pattern):
        raise _invalid(pattern, "uses a (? construct other than (?:, which is not supported")
    for match in _REPEAT.finditer(pattern):
        bounds = [int(b) for b in match.groups() if b]
        if not match.group(1) or any(b > MAX_REPEAT for b in bounds):
            raise _invalid(pattern, f"needs repetition bounds {{n}} or {{n,m}} up to {MAX_REPEAT}")
    try:
        compiled(pattern, False)
    except re2.error as exc:
        raise _invalid(pattern, f"is not valid: {exc}") from None
    return pattern


@lru_cache(maxsize=256)
def compiled(pattern: str, ignore_case: bool) -> Any:
    """The RE2 program for a pattern (cached); re2.error when RE2 cannot compile it."""
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.never_capture = True
    options.log_errors = False
    # The binding's own RE2 object: its Match on UTF-8 bytes skips the wrapper's per-call offset
    # bookkeeping (a several-fold cost per row in a scan).
    program = _re2.RE2(pattern.encode(), options)
    if not program.ok():
        error = program.error()
        raise re2.error(error.decode(errors="replace") if isinstance(error, bytes) else error)
    return program


@lru_cache(maxsize=256)
def literal_of(pattern: str) -> str | None:
    """The text a pattern matches when it is only literal characters (search terms), else None."""
    if _META.search(re.sub(r"\\[^A-Za-z0-9]", "", pattern)):
        return None
    return re.sub(r"\\([^A-Za-z0-9])", r"\1", pattern)


def regex_search(pattern: str, value: Any, ignore_case: int) -> int:
    """1 when the pattern occurs in a string value (the SQLite function `oc_regexp`), else 0."""
    if not isinstance(value, str):
        return 0
    literal = literal_of(pattern)
    if literal is not None:
        # A plain substring search (linear), several times cheaper per row than a call into RE2.
        return int(literal.lower() in value.lower() if ignore_case else literal in value)
    data = value.encode("utf-8", "surrogatepass")
    return 0 if compiled(pattern, bool(ignore_case)).Match(_UNANCHORED, data, 0, len(data))[0][0] < 0 else 1
