"""PQL: the subset of Adobe's Profile Query Language used by decision rules and ranking formulas.

`compile_rule(text)` parses once (Lark, LALR) and returns a `CompiledExpr` whose `evaluate(env)` /
`test(env)` run closures over an `Env`. See docs/pql.md for the supported language.
"""

from offer_catalog.decisioning.pql.compiler import CompiledExpr, compile_rule
from offer_catalog.decisioning.pql.errors import PqlCompileError, PqlSyntaxError, PqlUnsupportedError
from offer_catalog.decisioning.pql.values import MISSING, Env, segment_ids

__all__ = [
    "MISSING",
    "CompiledExpr",
    "Env",
    "PqlCompileError",
    "PqlSyntaxError",
    "PqlUnsupportedError",
    "compile_rule",
    "segment_ids",
]
