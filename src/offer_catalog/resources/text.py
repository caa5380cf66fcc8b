"""Spaces as the served documents' patterns read them: ECMA 262's `\\s`, not Python's whitespace."""

from __future__ import annotations

ECMA_SPACE = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
"""What ECMA 262's `\\s` matches (its WhiteSpace and LineTerminator). Python's `str.strip()` also takes
U+001C-U+001F and U+0085, which a pattern such as `\\S` counts as text."""


def strip_space(value: str) -> str:
    """`value` without the leading and trailing spaces a document's pattern (`\\S`, `^\\s*…\\s*$`) reads."""
    return value.strip(ECMA_SPACE)
