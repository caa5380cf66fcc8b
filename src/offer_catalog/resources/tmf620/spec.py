"""What every TMF620 resource declares: path, class (@type), members' shapes, lifecycle, references."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from offer_catalog.errors import ValidationFailed
from offer_catalog.patch.pointer import parse_pointer
from offer_catalog.resources.lifecycle import Lifecycle
from offer_catalog.resources.shapes import Obj, Problem, Shape, Str
from offer_catalog.resources.tmf620.lifecycle import ENTITY_LIFECYCLE

# Problem codes of the shapes as the TMF620 error codes' first part (`invalid_type:isBundle`).
_CODES = {"type": "invalid_type", "required": "required"}


@dataclass(frozen=True, slots=True)
class TmfRef:
    """A member naming other resources of this API by id: a reference object (or an array of them)
    with an `id`, or an id string (`parentId`). Checked only in strict reference mode."""

    member: str
    target: str  # the path of the resource referenced

    def ids(self, body: dict[str, Any]) -> list[str]:
        """The ids body names through this member."""
        value = body.get(self.member)
        items = value if isinstance(value, list) else [value]
        found = (item.get("id") if isinstance(item, dict) else item for item in items)
        return [ref for ref in found if isinstance(ref, str) and ref]


def links(**targets: str) -> tuple[TmfRef, ...]:
    """The references of a resource, as member=target path."""
    return tuple(TmfRef(member, target) for member, target in targets.items())


@dataclass(frozen=True, slots=True)
class TmfResource:
    """A TMF620 collection: its path segment (also the stored document kind), its class name (@type),
    the shape of its body (members as the specification types them, `required` as `*_Create.required`),
    the lifecycle of its `lifecycleStatus` and the members that reference other resources.

    `api` is the TMF620 release that declares it ("v4", "v5"); one catalog serves every release, so a
    v5 collection names the kind of its v4 counterpart (`stored_kind`: v5's `productCatalog` is stored as
    `catalog`). `classes` are the release's resource classes (an `@type` naming another is refused)."""

    path: str
    cls: str
    shape: Obj
    lifecycle: Lifecycle = ENTITY_LIFECYCLE
    refs: tuple[TmfRef, ...] = ()
    default_version: str = "1.0"
    api: str = "v4"
    stored_kind: str = ""
    type_required: bool = False
    also_types: tuple[str, ...] = ()  # other classes an `@type` may name (v5 ProductCatalog: Catalog)

    @property
    def kind(self) -> str:
        """The document kind it is stored under."""
        return self.stored_kind or self.path

    def member(self, name: str) -> Shape | None:
        """The shape of a top-level member, or None when the specification does not name it."""
        return self.shape.props.get(name)

    def date_time(self, path: tuple[str, ...]) -> bool:
        """Whether the member at path, reached through objects only, is declared an RFC 3339 date-time."""
        shape: Shape | None = self.shape
        for name in path:
            shape = shape.props.get(name) if isinstance(shape, Obj) else None
        return isinstance(shape, Str) and shape.fmt == "date-time"

    def check_members(self, body: dict[str, Any]) -> None:
        """Raise ValidationFailed for the first member whose value breaks its shape."""
        out: list[Problem] = []
        self.shape.check(body, "", out)
        if out:
            raise failure(out[0], body)


def member_path(pointer: str, body: Any) -> str:
    """A JSON Pointer into body in the TMF620 error form: `category[1].id`, `validFor.startDateTime`."""
    text, value = "", body
    for token in parse_pointer(pointer):
        if isinstance(value, list) and token.isdigit():
            text += f"[{token}]"
            value = value[int(token)] if int(token) < len(value) else None
        else:
            text += f".{token}" if text else token
            value = value.get(token) if isinstance(value, dict) else None
    return text


def failure(problem: Problem, body: Any) -> ValidationFailed:
    """The TMF620 error of a shape problem: code `<kind>:<member path>`, the member named in the message."""
    member = member_path(problem.pointer, body)
    kind = _CODES.get(problem.code, "invalid_value")
    message = f"{member} is required" if kind == "required" else f"{member} {problem.message}"
    return ValidationFailed(message, code=f"{kind}:{member}", details={"member": member})
