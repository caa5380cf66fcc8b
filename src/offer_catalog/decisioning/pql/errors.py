"""Errors raised when a PQL text cannot be compiled; evaluation itself never raises."""

from __future__ import annotations


class PqlSyntaxError(ValueError):
    """The text is not valid PQL; carries where (1-based line/column, 0-based offset) and why."""

    code = "pql_syntax_error"

    def __init__(self, reason: str, *, text: str, position: int) -> None:
        position = max(0, min(position, len(text)))
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        super().__init__(f"{reason} at line {line}, column {column} (offset {position})")
        self.reason = reason
        self.text = text
        self.position = position
        self.line = line
        self.column = column


class PqlCompileError(PqlSyntaxError):
    """The text parses but cannot be compiled: unknown function or method, wrong arity, bad literal."""

    code = "pql_compile_error"


class PqlUnsupportedError(PqlCompileError):
    """Valid PQL that rules here cannot use (docs/pql.md says why); raised when the rule is saved."""

    code = "pql_unsupported_function"
