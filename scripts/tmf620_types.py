"""What scripts/tmf620_nested_types.py (v4.0.0) and scripts/tmf620_v5_nested_types.py (v5.0.0) share:
the member type codes, the walk from the resources to every definition they reach, and the module
written (`DEFINITIONS`, `REQUIRED`)."""

from __future__ import annotations

from collections.abc import Callable, Container
from pathlib import Path
from typing import Any

SCALARS = {"boolean": "bool", "integer": "int", "number": "num"}
STRING_FORMATS = {"date-time": "datetime", "uri": "uri"}
SRC = Path(__file__).resolve().parents[1] / "src/offer_catalog/resources/tmf620"

# One definition: its members (name -> type code) and the members a nested value of it must carry.
Described = tuple[dict[str, str], tuple[str, ...]]


def code(schema: dict[str, Any], untyped: str | None = None) -> str:
    """A member's type code: a scalar, `datetime`, `uri`, a definition name or `[code]` for an array;
    a schema of no known type is `untyped` (an error when None)."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    kind = schema.get("type")
    if kind == "array":
        return f"[{code(schema.get('items', {}), untyped)}]"
    if kind == "string":
        return STRING_FORMATS.get(schema.get("format", ""), "str")
    if untyped is None or kind in SCALARS:
        return SCALARS[str(kind)]
    return untyped


def reach(
    resources: tuple[str, ...], describe: Callable[[str], Described], known: Container[str]
) -> tuple[dict[str, dict[str, str]], dict[str, tuple[str, ...]]]:
    """Every definition the resources reach (breadth first), and what each nested one requires."""
    table: dict[str, dict[str, str]] = {}
    required: dict[str, tuple[str, ...]] = {}
    todo = list(resources)
    while todo:
        name = todo.pop(0)
        if name in table:
            continue
        members, needed = describe(name)
        table[name] = members
        if needed and name not in resources:
            required[name] = needed
        todo += [c.strip("[]") for c in members.values() if c.strip("[]") in known]
    return table, required


def entry(name: str, members: dict[str, str]) -> list[str]:
    """One definition as lines of at most 110 characters."""
    lines, line = [], f"    {name!r}: {{"
    for member, kind in members.items():
        item = f"{member!r}: {kind!r}, "
        if len(line) + len(item) > 108:
            lines.append(line.rstrip())
            line = "        "
        line += item
    lines.append(line.rstrip().rstrip(",") + "},")
    return lines


def write(
    target: Path, docstring: str, table: dict[str, dict[str, str]], required: dict[str, tuple[str, ...]]
) -> None:
    """Write the generated module: the docstring, then DEFINITIONS and REQUIRED sorted by name."""
    lines = [line for name, members in sorted(table.items()) for line in entry(name, members)]
    required_lines = [f"    {name!r}: {members!r}," for name, members in sorted(required.items())]
    target.write_text(
        f'"""{docstring}"""\n\nfrom __future__ import annotations\n\n'
        "DEFINITIONS: dict[str, dict[str, str]] = {\n" + "\n".join(lines) + "\n}  # fmt: skip\n\n"
        "# Members a nested value must carry (`required` of its definition; resources: rules.py).\n"
        "REQUIRED: dict[str, tuple[str, ...]] = {\n" + "\n".join(required_lines) + "\n}  # fmt: skip\n"
    )
