"""What every Offer Library kind declares: its schema id, shape, references, lifecycle and extra rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from offer_catalog.resources.lifecycle import Lifecycle
from offer_catalog.resources.offer_library.references import Reference, RefPath, find_references
from offer_catalog.resources.shapes import Obj, Problem, Str, child

SCHEMA_BASE = "https://ns.adobe.com/experience/offer-management/"
INSTANCE = "/_instance"

Rules = Callable[[dict[str, Any]], list[Problem]]


def pql_text(max_length: int) -> Obj:
    """The shape of a PQL text member (a rule's condition, a ranking formula's expression)."""
    return Obj(
        {
            "xdm:type": Str(enum=("PQL",)),
            "xdm:format": Str(enum=("pql/text",)),
            "xdm:value": Str(min_length=1, max_length=max_length),
        },
        required=("xdm:value",),
    )


def no_rules(instance: dict[str, Any]) -> list[Problem]:
    """The rules of a kind that has none beyond its shape."""
    return []


def exactly_one(instance: dict[str, Any], members: tuple[str, str], conflict: str) -> list[Problem]:
    """Two spellings of one member: the first is required when neither is given, both is a conflict."""
    present = [name for name in members if name in instance]
    if not present:
        return [Problem(child(INSTANCE, members[0]), "required", f"{members[0]} is required")]
    if len(present) > 1:
        return [Problem(child(INSTANCE, members[1]), "conflict", conflict)]
    return []


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One instance kind. `name` is the stored kind, the schema's last segment and the @id's middle."""

    name: str
    version: str
    title: str
    shape: Obj
    refs: tuple[RefPath, ...] = ()
    refs_of: Callable[[dict[str, Any]], tuple[RefPath, ...]] | None = None  # narrower, per instance
    lifecycle: Lifecycle | None = None
    rules: Rules = no_rules
    pql: tuple[tuple[str, ...], ...] = ()
    search_fields: tuple[tuple[str, ...], ...] = (("xdm:name",),)
    unique_name: bool = False

    @property
    def schema_base(self) -> str:
        """The schema id without version, e.g. https://ns.adobe.com/experience/offer-management/tag."""
        return SCHEMA_BASE + self.name

    @property
    def schema_id(self) -> str:
        """The schema id with the version this server answers with."""
        return f"{self.schema_base};version={self.version}"

    @property
    def id_prefix(self) -> str:
        """The prefix of the @ids of this kind."""
        return f"xcore:{self.name}:"

    def check(self, instance: Any) -> list[Problem]:
        """Every problem of an instance: its shape first, then (when the shape holds) the kind's rules."""
        out: list[Problem] = []
        self.shape.check(instance, INSTANCE, out)
        if not out:
            out.extend(self.rules(instance))
        return out

    def references(self, instance: Any) -> list[Reference]:
        """The @ids of other instances this instance names, with the kinds each may name."""
        paths = self.refs if self.refs_of is None else self.refs_of(instance)
        return find_references(instance, paths, INSTANCE)

    def pql_texts(self, instance: dict[str, Any]) -> list[tuple[str, str]]:
        """(pointer, text) of every PQL expression the instance holds."""
        found: list[tuple[str, str]] = []
        for path in self.pql:
            value: Any = instance
            pointer = INSTANCE
            for step in path:
                value = value.get(step) if isinstance(value, dict) else None
                pointer = child(pointer, step)
            if isinstance(value, str):
                found.append((pointer, value))
        return found
