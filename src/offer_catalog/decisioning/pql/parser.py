"""The Lark parser for PQL: built once, lazily, from the packaged grammar file."""

from __future__ import annotations

import functools
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from offer_catalog.decisioning.pql.errors import PqlSyntaxError

_PUNCTUATION = {
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "DOT": "'.'",
}


@functools.cache
def _parser() -> Lark:
    grammar = resources.files(__package__).joinpath("pql.lark").read_text(encoding="utf-8")
    # Reserved words never lex as names (see NAME), so `a and or b` fails at `or`; clause words are
    # keywords only where the grammar expects them (the contextual lexer).
    return Lark(grammar, parser="lalr", lexer="contextual", maybe_placeholders=True)


def parse(text: str) -> Tree[Token]:
    """Parse a PQL text into a Lark tree, or raise `PqlSyntaxError` naming the position."""
    try:
        return _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None


def _syntax_error(exc: UnexpectedInput, text: str) -> PqlSyntaxError:
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            return PqlSyntaxError("unexpected end of expression", text=text, position=len(text))
        expected = ", ".join(sorted(_describe(name) for name in exc.accepts or exc.expected))
        reason = f"unexpected {token.value!r}, expected one of {expected}"
        return PqlSyntaxError(reason, text=text, position=token.start_pos or 0)
    if isinstance(exc, UnexpectedCharacters):
        position = exc.pos_in_stream or 0
        char = text[position] if position < len(text) else ""
        return PqlSyntaxError(f"unexpected character {char!r}", text=text, position=position)
    if isinstance(exc, UnexpectedEOF):  # pragma: no cover - raised by the Earley parser only
        return PqlSyntaxError("unexpected end of expression", text=text, position=len(text))
    return PqlSyntaxError("invalid expression", text=text, position=0)  # pragma: no cover


def _describe(terminal: str) -> str:
    if terminal in _PUNCTUATION:
        return _PUNCTUATION[terminal]
    try:
        pattern = _parser().get_terminal(terminal).pattern
    except KeyError:  # pragma: no cover - every accepted terminal is declared
        return terminal
    name = terminal.lstrip("_")
    if pattern.type == "str":
        return repr(pattern.value)
    return name.lower() if name.isupper() else name
