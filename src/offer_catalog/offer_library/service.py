"""Instance operations of the xcore repository over a unit of work: read, create, replace, patch, delete.

Each checks the container belongs to the caller first (another tenant's container is a 404).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from offer_catalog.documents import service
from offer_catalog.documents.model import Document
from offer_catalog.errors import ValidationFailed
from offer_catalog.offer_library import integrity
from offer_catalog.offer_library.containers import check_container, require_container
from offer_catalog.offer_library.errors import InstanceReferenced
from offer_catalog.offer_library.hal import METADATA, instance_document
from offer_catalog.offer_library.tenancy import Caller
from offer_catalog.offer_library.validation import PqlCompiler, failed, instance_validator
from offer_catalog.patch import Plan, apply_json_patch
from offer_catalog.resources.offer_library import BY_NAME, KindSpec, Problem
from offer_catalog.resources.offer_library.spec import INSTANCE
from offer_catalog.resources.shapes import child
from offer_catalog.store.base import UnitOfWork
from offer_catalog.store.rows import Fetched

Expected = frozenset[int] | None
"""The etags If-Match lists (None: no condition): the write applies only to one of those versions."""

EDITABLE_TOP = ("_instance", "_links")  # `_links` is recomputed by the server: its content is ignored


def new_at_id(spec: KindSpec) -> str:
    """A fresh `xcore:<kind>:<16 hex>` @id: milliseconds since the epoch, then 20 random bits."""
    return f"{spec.id_prefix}{time.time_ns() // 1_000_000:011x}{secrets.randbits(20):05x}"


def get_instance(uow: UnitOfWork, *, caller: Caller, container_id: str, instance_id: str) -> Fetched:
    """The current version of an instance, its body decoded only if asked for (`Fetched.document()`:
    a GET whose answer is cached needs only the version)."""
    check_container(uow, caller, container_id)
    return service.get_lazy(uow, scope=container_id, kind=None, id=instance_id)


def create_instance(
    uow: UnitOfWork,
    *,
    caller: Caller,
    container_id: str,
    spec: KindSpec,
    instance: dict[str, Any],
    compile_pql: PqlCompiler | None,
    document: dict[str, Any] | None = None,
) -> Document:
    """Create an instance; the server assigns instanceId, @id and the HAL document's other members."""
    require_container(uow, caller, container_id)
    check_top_level(document, None)
    if "@id" in instance:
        raise _non_editable(
            [Problem(child(INSTANCE, "@id"), "non_editable", "@id is assigned by the server")]
        )
    validate = instance_validator(
        uow, container_id=container_id, spec=spec, instance_id=None, compile_pql=compile_pql
    )
    body = {"@id": new_at_id(spec), **instance}
    return service.create(
        uow, scope=container_id, kind=spec.name, body=body, actor=caller.actor, validate=validate
    )


def _non_editable(problems: list[Problem]) -> ValidationFailed:
    return failed(problems, code="non_editable")


def _of_kind(current: Document, spec: KindSpec | None) -> None:
    if spec is not None and spec.name != current.kind:
        raise ValidationFailed(
            f"the instance is a {current.kind}, not a {spec.name}",
            code="schema_mismatch",
            details={"schema": BY_NAME[current.kind].schema_id},
        )


def check_top_level(document: dict[str, Any] | None, current: dict[str, Any] | None) -> None:
    """Server-set members of a HAL document may only repeat current's values (nothing on create)."""
    problems = []
    for name, value in (document or {}).items():
        if name in EDITABLE_TOP:
            continue
        pointer = child("", name)
        if name not in METADATA:
            problems.append(
                Problem(pointer, "unknown_member", f"{name} is not a member of an instance document")
            )
        elif current is None or value != current[name]:
            problems.append(Problem(pointer, "non_editable", f"{name} is set by the server"))
    if problems:
        raise _non_editable(problems)


def _body(current: Document, instance: Any) -> dict[str, Any]:
    """The stored body of a new instance content: @id may be repeated, never changed."""
    if not isinstance(instance, dict):
        raise failed([Problem(INSTANCE, "type", "_instance must be an object")])
    at_id = current.body.get("@id")
    if instance.get("@id", at_id) != at_id:
        raise _non_editable([Problem(child(INSTANCE, "@id"), "non_editable", "@id cannot change")])
    return instance if "@id" in instance else {"@id": at_id, **instance}


@dataclass(frozen=True, slots=True)
class Edit:
    """What a PUT or PATCH addresses: who, which container and instance, the kind it names, If-Match."""

    caller: Caller
    container_id: str
    instance_id: str
    spec: KindSpec | None
    expected: Expected
    compile_pql: PqlCompiler | None


def _update(uow: UnitOfWork, edit: Edit, change: Callable[[Document], dict[str, Any]]) -> Document:
    """The instance write path: the core's one update (row fetched once), validated as its kind."""
    require_container(uow, edit.caller, edit.container_id)

    def apply(current: Document) -> dict[str, Any]:
        _of_kind(current, edit.spec)
        return change(current)

    def validate(body: Any, previous: Document | None) -> Any:
        assert previous is not None
        check = instance_validator(
            uow,
            container_id=edit.container_id,
            spec=BY_NAME[previous.kind],
            instance_id=previous.id,
            compile_pql=edit.compile_pql,
        )
        return check(body, previous)

    return service.update(
        uow,
        scope=edit.container_id,
        kind=None,
        id=edit.instance_id,
        change=apply,
        actor=edit.caller.actor,
        expected_version=edit.expected,
        validate=validate,
    )


def replace_instance(
    uow: UnitOfWork, edit: Edit, *, document: dict[str, Any] | None, instance: Any
) -> Document:
    """Replace the whole instance (PUT); server-set members of a HAL document may only be repeated."""

    def change(current: Document) -> dict[str, Any]:
        if document is not None:
            check_top_level(document, instance_document(current, edit.caller.sandbox))
        return _body(current, instance)

    return _update(uow, edit, change)


def hal_view(current: Document, sandbox: str, edit: Callable[[Any], Any]) -> dict[str, Any]:
    """Edit an instance through its HAL document view: document -> edit -> checked -> stored body."""
    document = instance_document(current, sandbox)
    edited = edit(document)
    if not isinstance(edited, dict) or "_instance" not in edited:
        raise failed([Problem("/_instance", "required", "the patched document has no _instance")])
    check_top_level(edited, document)
    return _body(current, edited["_instance"])


def patch_instance(uow: UnitOfWork, edit: Edit, *, plan: Plan) -> Document:
    """Apply a JSON Patch to the instance's HAL document atomically, then validate it like a PUT."""
    sandbox = edit.caller.sandbox
    return _update(
        uow, edit, lambda current: hal_view(current, sandbox, lambda doc: apply_json_patch(doc, plan))
    )


def delete_instance(
    uow: UnitOfWork, *, caller: Caller, container_id: str, instance_id: str, expected: Expected
) -> Document:
    """Delete an instance no other instance references; otherwise refuse, listing the referrers."""
    require_container(uow, caller, container_id)

    def unreferenced(current: Document) -> None:
        # The core fetched the row locked: a write adding a reference to it holds it share-locked,
        # so this check runs after that write committed and sees its reference.
        found, total = integrity.referrers(uow, container_id, current)
        if found:
            raise InstanceReferenced(
                f"{current.body.get('@id')} is referenced by {total} instance(s); nothing was deleted",
                details={"referrers": [integrity.referrer_summary(doc) for doc in found], "total": total},
            )

    return service.delete(
        uow,
        scope=container_id,
        kind=None,
        id=instance_id,
        actor=caller.actor,
        expected_version=expected,
        check=unreferenced,
    )
