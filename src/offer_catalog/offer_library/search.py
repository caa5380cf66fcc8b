"""Full-text search (`q`, `qop`, `field`) as a condition of the query model, and a simple `_score`.

`q` is split into lowercase terms on blanks; a double-quoted part is one term (a phrase); a
backslash escapes the next character. A term matches when it occurs, case-insensitively, inside
one of the searched string members: the `field` paths given (repeatable, e.g.
`_instance.xdm:name`), else the kind's text members (name, description, status, content...).
`qop=AND` needs every term, `qop=OR` (the default) any. `_score` counts the terms an item matched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from offer_catalog.documents.query import AllOf, AnyOf, Cond, Condition, Op, body
from offer_catalog.errors import InvalidQuery
from offer_catalog.offer_library.listing import field_of
from offer_catalog.resources.offer_library import ALL, BY_NAME
from offer_catalog.resources.text import strip_space

MAX_TERMS = 20


def terms_of(q: str) -> list[str]:
    """The lowercase terms of a query text."""
    terms: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in q:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
            if not quoted:
                terms.append("".join(current))
                current = []
        elif char.isspace() and not quoted:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    found = list(dict.fromkeys(t.strip().lower() for t in terms if t.strip()))
    if len(found) > MAX_TERMS:
        raise InvalidQuery(f"q may hold at most {MAX_TERMS} terms", code="invalid_search")
    return found


def search_paths(kinds: tuple[str, ...], fields: Sequence[str]) -> list[tuple[str, ...]]:
    """The member paths searched: the given fields, else the text members of the kinds."""
    if fields:
        paths = []
        for name in fields:
            field = field_of(name)
            if field.meta is not None:
                raise InvalidQuery(f"field {name!r} is not an instance member", code="invalid_search")
            paths.append(field.path)
        return list(dict.fromkeys(paths))
    specs = [BY_NAME[k] for k in kinds] if kinds else list(ALL)
    return list(dict.fromkeys(path for spec in specs for path in spec.search_fields))


def search_condition(q: str, qop: str | None, paths: list[tuple[str, ...]]) -> Condition | None:
    """The condition a search needs, or None when q holds no term."""
    op = strip_space(qop or "").upper() or "OR"
    if op not in ("AND", "OR"):
        raise InvalidQuery(f"qop must be AND or OR, not {qop!r}", code="invalid_search")
    terms = terms_of(q)
    if not terms:
        return None
    per_term = tuple(
        AnyOf(tuple(Cond(body(*path), Op.REGEX, re.escape(term), ignore_case=True) for path in paths))
        for term in terms
    )
    return AllOf(per_term) if op == "AND" else AnyOf(per_term)


def _strings(value: Any, path: tuple[str, ...]) -> list[str]:
    if isinstance(value, list):
        return [s for item in value for s in _strings(item, path)]
    if not path:
        return [value] if isinstance(value, str) else []
    if isinstance(value, dict) and path[0] in value:
        return _strings(value[path[0]], path[1:])
    return []


def score(instance: Any, q: str, paths: list[tuple[str, ...]]) -> int:
    """How many of the query's terms occur in the searched members of an instance."""
    texts = [text.lower() for path in paths for text in _strings(instance, path)]
    return sum(1 for term in terms_of(q) if any(term in text for text in texts))
