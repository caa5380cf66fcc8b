"""Absolute URIs as RFC 3986 writes them: the check behind every `format: uri` member of every API."""

from __future__ import annotations

import ipaddress
import re

# An absolute URI (RFC 3986: a scheme, then an authority and path, a query and a fragment, each of the
# characters its part takes), as JSON Schema's `uri` format reads it.
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
_AUTHORITY = (
    r"(?:(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*@)?"
    r"(?:\[(?:(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|[0-9]{1,3}(?:\.[0-9]{1,3}){3})"
    r"|v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)"
    r"(?::[0-9]*)?"
)
_TAIL = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*"
URI_PATTERN = (
    rf"^[A-Za-z][A-Za-z0-9+.\-]*:(?://{_AUTHORITY}(?:/{_PCHAR}*)*|/?(?:{_PCHAR}+(?:/{_PCHAR}*)*)?)"
    rf"(?:\?{_TAIL})?(?:#{_TAIL})?$"
)
"""The absolute URI a `uri` member must be (ECMA 262 and Python alike; documented as its pattern). An
IPv6 address between brackets is checked further (`is_uri`), which no short pattern can do."""
_URI = re.compile(URI_PATTERN[1:-1])
_IP_LITERAL = re.compile(r"[^:]*://(?:[^@/?#]*@)?\[([^\]]*)\]")


def is_uri(value: str) -> bool:
    """Whether `value` is an absolute URI, as the specification's `format: uri` means it."""
    if _URI.fullmatch(value) is None:
        return False
    literal = _IP_LITERAL.match(value)
    if literal is None or literal.group(1).startswith("v"):
        return True
    try:
        ipaddress.IPv6Address(literal.group(1))
    except ValueError:
        return False
    return True
