"""Write src/offer_catalog/resources/tmf620/nested.py from the official TMF620 v4.0.0 swagger (dev time).

Usage: python scripts/tmf620_nested_types.py ../shared/tmf620/TMF620-ProductCatalog-v4.0.0.swagger.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tmf620_types import SRC, Described, code, reach, write

RESOURCES = ("Catalog", "Category", "ProductOffering", "ProductOfferingPrice", "ProductSpecification")
DOCSTRING = (
    "Member types of every TMF620 v4.0.0 definition a resource reaches (generated, do not edit).\n\n"
    "Written by scripts/tmf620_nested_types.py from `TMF620-ProductCatalog-v4.0.0.swagger.json`:\n"
    "`str`, `bool`, `num`, `int`, `datetime` (format date-time), `uri` (format uri), a definition name,\n"
    "or `[code]` for an array; and the members each nested definition requires. `rules.py` checks\n"
    "bodies against both at every depth.\n"
)


def main(swagger: Path) -> None:
    definitions = json.loads(swagger.read_text())["definitions"]

    def describe(name: str) -> Described:
        definition = definitions[name]
        members = {member: code(s) for member, s in definition.get("properties", {}).items()}
        return members, tuple(definition.get("required", ()))

    write(SRC / "nested.py", DOCSTRING, *reach(RESOURCES, describe, definitions))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
