"""References between instances: where a kind holds `@id`s of other instances, and how to read them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from offer_catalog.resources.shapes import child


@dataclass(frozen=True, slots=True)
class RefPath:
    """A member path (arrays are looked into at every step) holding @ids of the given kinds."""

    path: tuple[str, ...]
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reference:
    """One reference found in an instance: its pointer, the @id, the kinds it may name."""

    pointer: str
    target: str
    kinds: tuple[str, ...]


def _walk(value: Any, path: tuple[str, ...], pointer: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, path, child(pointer, index))
        return
    if not path:
        yield pointer, value
        return
    if isinstance(value, dict) and path[0] in value:
        yield from _walk(value[path[0]], path[1:], child(pointer, path[0]))


def find_references(instance: Any, paths: tuple[RefPath, ...], base: str = "/_instance") -> list[Reference]:
    """Every string @id the paths reach in instance (pointers are relative to base)."""
    found: list[Reference] = []
    for ref in paths:
        for pointer, value in _walk(instance, ref.path, base):
            if isinstance(value, str):
                found.append(Reference(pointer, value, ref.kinds))
    return found


def kind_of_id(at_id: str) -> str | None:
    """The kind an `xcore:<kind>:<hex>` @id names, or None for another form."""
    parts = at_id.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "xcore" else None
