"""Write src/offer_catalog/resources/tmf620/v5/nested.py from the official TMF620 v5.0.0 OpenAPI (dev time).

Usage:
  python scripts/tmf620_v5_nested_types.py \
      ../shared/tmf620/TMF620-Product_Catalog_Management-v5.0.0.oas.yaml

v5 composes its schemas (`allOf` of Entity, Extensible, Addressable ...) and makes some polymorphic
(`oneOf` with an `@type` discriminator): a definition's members are those of all its parts; a `oneOf`
takes the members of every alternative (the first alternative's type wins) and requires what all
alternatives require. The member type codes are those of scripts/tmf620_nested_types.py.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from tmf620_types import entry

RESOURCES = ("ProductCatalog", "Category", "ProductOffering", "ProductOfferingPrice", "ProductSpecification")
EVENT_BASES = ("Event", "BaseEvent")
"""Not events a listener receives: every `<Class><Kind>Event` is an `Event` with its own payload."""
SCALARS = {"boolean": "bool", "integer": "int", "number": "num"}
STRING_FORMATS = {"date-time": "datetime", "uri": "uri"}
TARGET = Path(__file__).resolve().parents[1] / "src/offer_catalog/resources/tmf620/v5/nested.py"


def code(schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        target = schemas[name]
        # A definition of one scalar (an enumeration: JobStateType) is that scalar's code.
        scalar = target.get("type") not in (None, "object", "array") and "properties" not in target
        return code(target, schemas) if scalar else name
    kind = schema.get("type")
    if kind == "array":
        return f"[{code(schema.get('items', {}), schemas)}]"
    if kind == "string":
        return STRING_FORMATS.get(schema.get("format", ""), "str")
    return SCALARS.get(str(kind), "any")


def flatten(schemas: dict[str, Any], name: str) -> tuple[dict[str, str], set[str]]:
    """The members (name -> code) and the required members of one composed definition."""
    return _flat(schemas, schemas[name])


def _flat(schemas: dict[str, Any], schema: dict[str, Any]) -> tuple[dict[str, str], set[str]]:
    if "$ref" in schema:
        return flatten(schemas, str(schema["$ref"]).rsplit("/", 1)[-1])
    members: dict[str, str] = {}
    required: set[str] = set(schema.get("required", ()))
    for part in schema.get("allOf", ()):
        found, needed = _flat(schemas, part)
        members.update(found)
        required |= needed
    alternatives = [_flat(schemas, part) for part in schema.get("oneOf", ())]
    for found, _ in alternatives:
        members.update({k: v for k, v in found.items() if k not in members})
    if alternatives:
        required |= set.intersection(*(needed for _, needed in alternatives))
    members.update({member: code(s, schemas) for member, s in schema.get("properties", {}).items()})
    return members, required


def _first_alternative(schema: dict[str, Any]) -> str | None:
    """The definition a `oneOf` definition (of alternatives only) names first, if it names one."""
    parts = schema.get("oneOf", ())
    if not parts or "allOf" in schema or "properties" in schema or "$ref" not in parts[0]:
        return None
    return str(parts[0]["$ref"]).rsplit("/", 1)[-1]


def _extension(name: str, base: str, table: dict[str, dict[str, str]]) -> str:
    """`name`'s entry as `base`'s members (its first alternative) and those the other alternatives add."""
    members, first = table[name], table[base]
    assert list(members.items())[: len(first)] == list(first.items()), name
    added = "".join(f", {member!r}: {kind!r}" for member, kind in members.items() if member not in first)
    return f"    {name!r}: {{**DEFINITIONS[{base!r}]{added}}},"


def _payload(event: dict[str, Any]) -> str:
    """The payload schema of an `<Class><Kind>Event` (its `event` member)."""
    parts = [part for part in event.get("allOf", ()) if "event" in part.get("properties", {})]
    return str(parts[0]["properties"]["event"]["$ref"]).rsplit("/", 1)[-1]


def main(document: Path) -> None:
    schemas = yaml.safe_load(document.read_text())["components"]["schemas"]
    table: dict[str, dict[str, str]] = {}
    required: dict[str, tuple[str, ...]] = {}
    events = {
        name: _payload(schemas[name])
        for name in schemas
        if name.endswith("Event") and name not in EVENT_BASES
    }
    todo = [*RESOURCES, "Event", *events.values()]
    while todo:
        name = todo.pop(0)
        if name in table:
            continue
        members, needed = flatten(schemas, name)
        table[name] = members
        # Every v5 definition extends Extensible, which requires `@type`: on input the service gives a
        # nested value without one its declared type (v4 clients never send it), so it is not required here.
        needed -= {"@type"}
        if needed and name not in RESOURCES:
            required[name] = tuple(sorted(needed))
        todo += [c.strip("[]") for c in members.values() if c.strip("[]") in schemas]
    # A `oneOf` definition whose first alternative is a definition here too is written as that one's
    # members and the other alternatives' (the first alternative's type wins).
    bases = {name: _first_alternative(schemas[name]) for name in table}
    extended = {name: base for name, base in bases.items() if base in table}
    lines = [
        line
        for name, members in sorted(table.items())
        if name not in extended
        for line in entry(name, members)
    ]
    extension_lines = [_extension(name, base, table) for name, base in sorted(extended.items())]
    required_lines = [f"    {name!r}: {members!r}," for name, members in sorted(required.items())]
    event_lines = [f"    {name!r}: {payload!r}," for name, payload in sorted(events.items())]
    TARGET.write_text(
        '"""Member types of every TMF620 v5.0.0 definition a resource or listener event reaches (generated,\n'
        "do not edit).\n\n"
        "Written by scripts/tmf620_v5_nested_types.py from\n"
        "`TMF620-Product_Catalog_Management-v5.0.0.oas.yaml` (allOf parts merged, oneOf alternatives\n"
        "united): codes as resources/tmf620/nested.py (`any`: not typed by the specification); and the\n"
        "members each nested definition requires (`@type` left out).\n"
        '"""\n\nfrom __future__ import annotations\n\n'
        "DEFINITIONS: dict[str, dict[str, str]] = {\n" + "\n".join(lines) + "\n}  # fmt: skip\n\n"
        "# `oneOf` definitions: every member of the first alternative, then those the others add.\n"
        "DEFINITIONS.update({\n" + "\n".join(extension_lines) + "\n})  # fmt: skip\n\n"
        "# Members a nested value must carry (`required` of its definition; resources: rules.py).\n"
        "REQUIRED: dict[str, tuple[str, ...]] = {\n" + "\n".join(required_lines) + "\n}  # fmt: skip\n\n"
        "# The payload of each event a listener receives: an `Event` whose `event` member holds it.\n"
        "EVENTS: dict[str, str] = {\n" + "\n".join(event_lines) + "\n}  # fmt: skip\n"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
