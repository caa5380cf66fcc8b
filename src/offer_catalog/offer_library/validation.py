"""The write-time check of an instance: shape and kind rules, lifecycle, PQL, then container integrity.

It runs inside the write's unit of work (the documents service's `validate` hook), so the
reference checks see the same snapshot the write commits on. A reference that the previous version
already held is not looked up again: deletes refuse to leave references dangling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from offer_catalog.documents.model import Document
from offer_catalog.documents.service import Validator
from offer_catalog.errors import AlreadyExists, LifecycleViolation, ReferenceViolation, ValidationFailed
from offer_catalog.offer_library import integrity
from offer_catalog.resources.offer_library import KindSpec, Problem
from offer_catalog.resources.offer_library.spec import INSTANCE
from offer_catalog.resources.shapes import child
from offer_catalog.store.base import UnitOfWork

PqlCompiler = Callable[[str], object]
"""Compiles a PQL text, raising ValueError (with line, column, position when known) if it is invalid."""


def failed(problems: list[Problem], code: str = "validation_failed") -> ValidationFailed:
    """A 422 listing problems."""
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return ValidationFailed(
        f"{first.pointer}: {first.message}{more}",
        code=code,
        details={"errors": [p.as_dict() for p in problems]},
    )


def _pql_problems(spec: KindSpec, instance: dict[str, Any], compile_pql: PqlCompiler) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for pointer, text in spec.pql_texts(instance):
        try:
            compile_pql(text)
        except (ValueError, RecursionError) as exc:
            error: dict[str, Any] = {
                "path": pointer,
                "code": getattr(exc, "code", "pql_syntax_error"),
                "message": str(exc) if isinstance(exc, ValueError) else "the expression nests too deeply",
            }
            for name in ("line", "column", "position"):
                if isinstance(getattr(exc, name, None), int):
                    error[name] = getattr(exc, name)
            found.append(error)
    return found


def instance_validator(
    uow: UnitOfWork,
    *,
    container_id: str,
    spec: KindSpec,
    instance_id: str | None,
    compile_pql: PqlCompiler | None,
) -> Validator:
    """The validate hook for writing an instance of spec into a container."""

    def validate(instance: Any, previous: Document | None) -> Any:
        problems = spec.check(instance)
        if problems:
            raise failed(problems)
        _check_lifecycle(spec, instance, previous)
        if compile_pql is not None:
            errors = _pql_problems(spec, instance, compile_pql)
            if errors:
                raise ValidationFailed(
                    f"{errors[0]['path']}: {errors[0]['message']}",
                    code=errors[0]["code"],
                    details={"errors": errors},
                )
        _check_references(uow, container_id, spec, instance, previous)
        if spec.unique_name:
            holder = integrity.name_holder(uow, container_id, spec.name, instance["xdm:name"], instance_id)
            if holder is not None:
                raise AlreadyExists(
                    f"a {spec.name} named {instance['xdm:name']!r} already exists",
                    code="duplicate_name",
                    details={"instanceId": holder.id, "@id": holder.body.get("@id")},
                )
        if spec.name == "offer-activity":
            gaps = integrity.fallback_gaps(uow, container_id, instance)
            if gaps:
                raise failed(
                    [
                        Problem(
                            child(INSTANCE, "xdm:fallback"),
                            "fallback_not_qualified",
                            f"the fallback offer has no representation for placement {p}",
                        )
                        for p in gaps
                    ],
                    code="fallback_not_qualified",
                )
        return instance

    return validate


def _check_lifecycle(spec: KindSpec, instance: dict[str, Any], previous: Document | None) -> None:
    if spec.lifecycle is None:
        return
    member = spec.lifecycle.member
    old = None if previous is None else previous.body.get(member)
    new = instance.get(member)
    reason = spec.lifecycle.problem(old, new)
    if reason is not None:
        raise LifecycleViolation(reason, details={"path": child(INSTANCE, member), "from": old, "to": new})


def _check_references(
    uow: UnitOfWork, container_id: str, spec: KindSpec, instance: dict[str, Any], previous: Document | None
) -> None:
    refs = spec.references(instance)
    if previous is not None:
        held = {(ref.target, ref.kinds) for ref in spec.references(previous.body)}
        refs = [ref for ref in refs if (ref.target, ref.kinds) not in held]
    missing = integrity.dangling(uow, container_id, refs)
    if missing:
        errors = [
            {
                "path": ref.pointer,
                "code": "dangling_reference",
                "message": f"{ref.target} is not a {' or '.join(ref.kinds)} of this container",
                "reference": ref.target,
                "expected": list(ref.kinds),
            }
            for ref in missing
        ]
        raise ReferenceViolation(
            f"{missing[0].pointer}: {missing[0].target} does not exist in this container",
            code="dangling_reference",
            details={"errors": errors},
        )
