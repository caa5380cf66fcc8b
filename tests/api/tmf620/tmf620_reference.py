"""A brute-force evaluator of TMF630 list semantics over resource views, to check the server against.

A query is data: a list of AND groups, each a list of alternatives (path, op, values); it is rendered
into several URL syntaxes (suffix operators, literal operators, `,` / `;` / repeated-key OR) that must
all mean the same thing.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from support.reference_query import values_at

PARTIAL_DATETIME = re.compile(r"\d{4}-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?)?")
SUFFIX = {"eq": ".eq", "ne": ".ne", "gt": ".gt", "gte": ".gte", "lt": ".lt", "lte": ".lte"}
SYMBOL = {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "regex": "*="}


@dataclass(frozen=True)
class Atom:
    """One predicate: a dotted path, an operator name and the literal texts it is given (OR)."""

    path: str
    op: str
    values: tuple[str, ...]


Group = tuple[Atom, ...]  # alternatives (OR)


def readings(text: str) -> list[Any]:
    """The text and its JSON reading (number, boolean)."""
    if text in ("true", "false"):
        return [text, text == "true"]
    if re.fullmatch(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?", text):
        return [text, float(text) if any(c in text for c in ".eE") else int(text)]
    return [text]


def _same_kind(a: Any, b: Any) -> bool:
    def kind(v: Any) -> str:
        return "bool" if isinstance(v, bool) else "num" if isinstance(v, int | float) else type(v).__name__

    return kind(a) == kind(b)


def _compare(stored: Any, op: str, wanted: Any) -> bool:
    if op == "regex":
        return isinstance(stored, str) and re.search(wanted, stored) is not None
    if not _same_kind(stored, wanted) or isinstance(stored, dict | list) or stored is None:
        return False
    return bool(
        {
            "eq": stored == wanted,
            "gt": stored > wanted,
            "gte": stored >= wanted,
            "lt": stored < wanted,
            "lte": stored <= wanted,
        }[op]
    )


def atom_holds(view: dict[str, Any], atom: Atom) -> bool:
    """Whether a view satisfies one predicate."""
    found = values_at(view, atom.path.split("."))
    if atom.op == "regex":
        return any(_compare(v, "regex", atom.values[0]) for v in found)
    wanted = [(text, r) for text in atom.values for r in ([text] if atom.path == "id" else readings(text))]
    if atom.op == "ne":
        return not any(_compare(v, "eq", r) for v in found for _, r in wanted)
    if any(_compare(v, atom.op, r) for v in found for _, r in wanted):
        return True
    return atom.op == "eq" and any(
        PARTIAL_DATETIME.fullmatch(text) and isinstance(v, str) and v.startswith(text)
        for v in found
        for text in atom.values
    )


def run(views: list[dict[str, Any]], groups: list[Group]) -> list[dict[str, Any]]:
    """The views that match every group, in id order (the server's default order)."""
    kept = [v for v in views if all(any(atom_holds(v, a) for a in group) for group in groups)]
    return sorted(kept, key=lambda v: v["id"])


def _key(atom: Atom, style: str) -> str:
    if atom.op == "regex":
        return f"{atom.path}*="
    if style == "suffix" and atom.op != "eq":
        return f"{atom.path}{SUFFIX[atom.op]}="
    return f"{atom.path}{SYMBOL[atom.op]}"


def _text(text: str, quoted: bool) -> str:
    return quote(f'"{text}"' if quoted else text, safe="")


def render(groups: list[Group], rng: random.Random) -> str:
    """One of the equivalent query strings for the groups."""
    parts = []
    for group in groups:
        style = rng.choice(["suffix", "symbol"])
        alternatives = []
        for atom in group:
            key = quote(_key(atom, style), safe="=.@")
            if atom.op == "regex" or len(atom.values) == 1:
                alternatives.append(key + _text(atom.values[0], atom.op != "regex" and rng.random() < 0.3))
            elif atom.op != "eq" or rng.random() < 0.5:
                alternatives.append(key + ",".join(_text(t, False) for t in atom.values))
            else:  # OR of the values as repeated alternatives
                alternatives.extend(key + _text(t, rng.random() < 0.3) for t in atom.values)
        if len(alternatives) == 1:
            parts.append(alternatives[0])
        elif (
            len({a.path for a in group}) == 1
            and all(a.op == group[0].op in ("eq", "regex") for a in group)
            and rng.random() < 0.5
        ):
            parts.extend(alternatives)  # repeated key = OR
        else:
            parts.append(";".join(alternatives))
    return "&".join(parts)
