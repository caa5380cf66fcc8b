"""JSON Pointer (RFC 6901): parse once into reference tokens, resolve against a document."""

from __future__ import annotations

import re
from functools import lru_cache

from offer_catalog.patch._json import JSONValue, type_name
from offer_catalog.patch.errors import InvalidPointer, PatchConflict, PathNotFound

Tokens = tuple[str, ...]

# "~" must be followed by "0" or "1" (RFC 6901 section 3).
_BAD_ESCAPE = re.compile(r"~(?![01])")
# Longer than any list can be; also keeps int() away from its 4300-digit limit.
_MAX_INDEX_DIGITS = 18


@lru_cache(maxsize=4096)
def parse_pointer(pointer: str) -> Tokens:
    """Split a JSON Pointer into unescaped reference tokens (cached: patches repeat pointers)."""
    if pointer == "":
        return ()
    if pointer[0] != "/":
        raise InvalidPointer("a JSON Pointer must be empty or start with '/'", path=pointer)
    parts = pointer[1:].split("/")
    if "~" not in pointer:
        return tuple(parts)
    if _BAD_ESCAPE.search(pointer):
        raise InvalidPointer("'~' must be followed by '0' or '1'", path=pointer)
    # "~1" first, then "~0": "~01" is the key "~1", not "/".
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in parts)


def escape_token(token: str) -> str:
    """Escape one reference token ("~" -> "~0", "/" -> "~1")."""
    return token.replace("~", "~0").replace("/", "~1")


def format_pointer(tokens: Tokens) -> str:
    """Build the JSON Pointer string of a token sequence."""
    return "".join("/" + escape_token(token) for token in tokens)


def array_index(token: str, length: int, *, allow_end: bool = False) -> int:
    """Turn a reference token into an index of an array of ``length`` elements.

    ``allow_end`` admits ``-`` and ``length`` itself (the position after the last element), as ``add`` does.
    """
    if token.isdigit() and token.isascii() and (token[0] != "0" or len(token) == 1):
        if len(token) <= _MAX_INDEX_DIGITS:
            index = int(token)
            if index < length or (allow_end and index == length):
                return index
        raise PathNotFound(f"array index {token} is out of range (array has {length} elements)")
    if token == "-":
        if allow_end:
            return length
        raise PathNotFound("'-' names the element after the last one, which only 'add' can use")
    raise PathNotFound(f"{token!r} is not an array index ('0' or digits without a leading zero)")


def walk(doc: JSONValue, tokens: Tokens) -> JSONValue:
    """Return the value the tokens reference; raise PathNotFound or PatchConflict if there is none."""
    node = doc
    for depth, token in enumerate(tokens):
        t = type(node)
        if t is dict:
            try:
                node = node[token]
            except KeyError:
                raise PathNotFound(f"no member {token!r} at {where(tokens, depth)}") from None
        elif t is list:
            node = node[index_at(token, node, tokens, depth, allow_end=False)]
        else:
            raise descend_error(node, tokens, depth)
    return node


def index_at(token: str, array: list[JSONValue], tokens: Tokens, depth: int, *, allow_end: bool) -> int:
    """``array_index`` for ``tokens[depth]``, with the error saying where in the pointer it failed."""
    try:
        return array_index(token, len(array), allow_end=allow_end)
    except PathNotFound as err:
        err.reason += f" at {where(tokens, depth)}"
        raise


def descend_error(node: JSONValue, tokens: Tokens, depth: int) -> PatchConflict:
    """Build the error for a token applied to a scalar (the document's shape does not match)."""
    return PatchConflict(f"cannot look up {tokens[depth]!r} in a {type_name(node)} at {where(tokens, depth)}")


def where(tokens: Tokens, depth: int) -> str:
    """Describe the location of ``tokens[:depth]`` for error messages."""
    prefix = format_pointer(tokens[:depth])
    return repr(prefix) if prefix else "the document root"


def resolve_pointer(doc: JSONValue, pointer: str) -> JSONValue:
    """Return the value at ``pointer`` in ``doc`` (shared, not copied); raise a PatchError if absent."""
    try:
        return walk(doc, parse_pointer(pointer))
    except (PathNotFound, PatchConflict) as err:
        err.path = pointer
        raise
