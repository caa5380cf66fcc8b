"""Schemathesis against the official TMF620 v5.0.0 specification, reduced to the operations served.

The `schemathesis` command over real HTTP against `offer-catalog serve` on SQLite and on PostgreSQL,
with the runner, checks, bounds and seed of tests/api/test_schemathesis.py (same servers: its fixtures
are reused), and the served v5 document too.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import test_schemathesis as v4_runs
import yaml
from test_schemathesis import HISTORY_AFTER_DELETE, KEPT_MEMBERS, schemathesis, served_operations

import support.schemathesis_hooks as hooks
from offer_catalog.events.jobs import CONTENT_TYPES
from offer_catalog.resources.tmf620.v5 import CLASSES as V5_CLASSES
from offer_catalog.tmf620.resources import V5_STANDARD_BASE
from support.shared import shared_dir

pytestmark = pytest.mark.slow

OFFICIAL_V5 = "tmf620/TMF620-Product_Catalog_Management-v5.0.0.oas.yaml"
# Generation from the v5 yaml is slow: each v5 run has a wall time of its own (the file stays within
# ~4 minutes of CI for both stores), still bounded by the examples per operation.
V5_SECONDS = int(os.environ.get("OFFER_CATALOG_FUZZ_V5_SECONDS", "45"))
# The v4 runs' fixtures: a migrated database per store, its fuzzing container, the served app.
database, container, served = v4_runs.database, v4_runs.container, v4_runs.served


def _nullable(schemas: dict[str, Any], schema: Any, kept: set[str]) -> None:
    """Every member of a (composed) schema but `kept` and the required ones also takes null, and so do
    those of a member holding an object (a merge patch merges it: RFC 7396), not of an array's items
    (a merge patch replaces an array whole)."""
    if not isinstance(schema, dict):
        return
    required = set(schema.get("required", ())) | kept
    for name, member in schema.get("properties", {}).items():
        if not isinstance(member, dict):
            continue
        if "$ref" in member:
            member = {"$ref": f"#/components/schemas/{_merged(schemas, member['$ref'].rsplit('/', 1)[-1])}"}
        elif member.get("type") == "object":
            _nullable(schemas, member, set())
        if name in required:
            schema["properties"][name] = member
        elif "$ref" in member:
            schema["properties"][name] = {"allOf": [member], "nullable": True}
        else:
            schema["properties"][name] = {**member, "nullable": True}
    for part in schema.get("allOf", ()):
        _nullable(schemas, part, kept)


def _merged(schemas: dict[str, Any], name: str) -> str:
    """The name of a copy of an object schema as a merge patch takes it (members nullable, at every
    depth: `_nullable`); any other schema's own name."""
    schema = schemas[name]
    if schema.get("type") not in (None, "object") or not ("properties" in schema or "allOf" in schema):
        return name
    copy_name = f"{name}_Merge"
    if copy_name not in schemas:
        merged = schemas[copy_name] = copy.deepcopy(schema)
        for part in merged.get("allOf", ()):
            if "$ref" in part:
                part["$ref"] = f"#/components/schemas/{_merged(schemas, part['$ref'].rsplit('/', 1)[-1])}"
        _nullable(schemas, merged, set())
    return copy_name


def _served_class(resource: str) -> str:
    """The served document's class for an official schema's resource (its `Catalog` is ProductCatalog)."""
    return "ProductCatalog" if resource == "Catalog" else resource


def _open_discriminators(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("discriminator", None)
        if "oneOf" in node:
            node["anyOf"] = node.pop("oneOf")
        for value in node.values():
            _open_discriminators(value)
    elif isinstance(node, list):
        for value in node:
            _open_discriminators(value)


def _types_required_at_the_top(schemas: dict[str, Any]) -> None:
    """`@type` required of what a create takes (a resource's `<Resource>_FVO`; a job's states it), not of
    the values nested in it, nor of a listener's event and what it carries (docs/tmf620.md, "Rules
    beyond the schemas"): v5's Extensible requires it of every value. (A TargetProductSchema_FVO
    requires its own, as v4's TargetProductSchema does: the service requires it.)"""
    for name in ("Extensible", "Extensible_FVO"):
        schemas[name].pop("required", None)
    for name, schema in schemas.items():
        resource, _, role = name.partition("_")
        if role == "FVO" and (resource in V5_CLASSES or resource == "Catalog"):
            schema["allOf"] = [*schema.get("allOf", ()), {"required": ["@type"]}]


def _examples_within_rules(official: dict[str, Any], paths: dict[str, Any]) -> None:
    examples = official["components"].get("examples", {})
    for path, operations in paths.items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}) if method in ("post", "patch") else {}
            if "$ref" in body:
                body = official["components"]["requestBodies"][body["$ref"].rsplit("/", 1)[-1]]
            for content in body.get("content", {}).values():
                for example in content.get("examples", {}).values():
                    shown = examples.get(example.get("$ref", "").rsplit("/", 1)[-1], example)
                    if isinstance(shown.get("value"), dict):
                        shown["value"] = hooks.tmf_rules(hooks.without_aliases(shown["value"]), path)


def official_v5_served(base: str, workdir: Path) -> Path:
    """The official v5.0.0 OpenAPI reduced to the operations the v5 base path serves (same schemas)."""
    official = yaml.safe_load((shared_dir() / OFFICIAL_V5).read_text())
    ours = httpx.get(f"{base}{V5_STANDARD_BASE}openapi.json", timeout=10).json()
    keep = served_operations(ours)
    paths: dict[str, Any] = {}
    for path, operations in official["paths"].items():
        kept = {m: op for m, op in operations.items() if m == "parameters" or (m, path) in keep}
        if set(kept) - {"parameters"}:
            paths[path] = kept
    assert paths, "no official v5 operation is served"
    schemas = official["components"]["schemas"]
    _types_required_at_the_top(schemas)
    # Rules the service keeps beyond the schemas (docs/tmf620.md, "Rules beyond the schemas"), as the
    # served document states them: a new `id` is 1-200 printable characters without `/`, a hub
    # callback is a URL the hub may call, and `lastUpdate` is the server's (v4's `_Update` lacks it).
    served_schemas = ours["components"]["schemas"]
    for name, schema in schemas.items():
        resource, _, role = name.partition("_")
        if resource in V5_CLASSES or resource == "Catalog":
            if role == "FVO":
                new_id = served_schemas[f"{_served_class(resource)}_Create"]["properties"]["id"]
                schema["properties"] = {**schema.get("properties", {}), "id": new_id}
            elif role == "MVO":
                for part in schema.get("allOf", ()):
                    part.get("properties", {}).pop("lastUpdate", None)
    # As for v4 (test_schemathesis.py): a merge PATCH (RFC 7396) removes a member with `null`, so null is
    # a value of every member of a resource's update schema (`<Resource>_MVO`) it may lack, but name,
    # lifecycleStatus and @type; a create with an explicit null in a declared member stays a 400. Only
    # as a PATCH body: a `<Resource>_MVO` nested in another (an array's item) is a value, no null in it.
    for name, schema in list(schemas.items()):
        resource, _, role = name.partition("_")
        if role == "MVO" and (resource in V5_CLASSES or resource == "Catalog"):
            schemas[f"{name}_Patch"] = patch = copy.deepcopy(schema)
            _nullable(schemas, patch, set(KEPT_MEMBERS))
    for body in official["components"]["requestBodies"].values():
        for media, content in body.get("content", {}).items():
            target = content.get("schema", {}).get("$ref", "")
            if "json-patch" not in media and f"{target.rsplit('/', 1)[-1]}_Patch" in schemas:
                content["schema"] = {"$ref": f"{target}_Patch"}
    callback = served_schemas["EventSubscriptionInput"]["properties"]["callback"]
    schemas["Hub_FVO"]["properties"] = {**schemas["Hub_FVO"].get("properties", {}), "callback": callback}
    # An `@type` names the resource's class or a class extending it (TMF's Extensible pattern, with
    # its @schemaLocation; docs/tmf620.md, "v5"), and so does a nested value's: the discriminator
    # mappings list only the standard classes, so they are not read as closed lists here. Without
    # them a `oneOf` of a reference and a value (`*RefOrValue`) matches a reference twice (the
    # specification's own examples too): read as `anyOf`, which is what the discriminator meant.
    _open_discriminators(official)
    # A JSON Patch operation is RFC 6902's (docs/tmf620.md, "Rules beyond the schemas"): `path` and
    # `from` JSON Pointers, the `value` or `from` its op needs; v5's JsonPatch leaves them any string
    # and optional: the served document's operation replaces it (with the values it takes).
    schemas["JsonPatch"] = json.loads(
        json.dumps(served_schemas["JsonPatchOperation"]).replace(
            "/schemas/Extension", "/schemas/ServedExtension"
        )
    )
    schemas["ServedExtension"] = json.loads(
        json.dumps(served_schemas["Extension"]).replace("/schemas/Extension", "/schemas/ServedExtension")
    )
    # ... and a JSON Patch Query path is TMF630's (a `?member=value&...` query ending a token).
    schemas["JsonPatchQuery"] = json.loads(
        json.dumps(served_schemas["JsonPatchQueryOperation"]).replace(
            "/schemas/Extension", "/schemas/ServedExtension"
        )
    )
    for body in official["components"]["requestBodies"].values():
        query_form = body.get("content", {}).get("application/json-patch-query+json")
        if query_form is not None:
            query_form["schema"] = {"type": "array", "items": {"$ref": "#/components/schemas/JsonPatchQuery"}}
    # The specification's request examples are sent as written (no hook sees them): they are kept inside
    # the documented rules as the hooks keep generated bodies (a `validFor` with both bounds, ...).
    _examples_within_rules(official, paths)
    # A job's contentType is a format the service reads and writes (any other: 400, docs/events.md);
    # the specification leaves it any string.
    for job in ("ExportJob_FVO", "ImportJob_FVO"):
        member = schemas[job]["allOf"][1]["properties"]["contentType"]
        member["enum"] = list(CONTENT_TYPES)
    reduced = {**official, "paths": paths, "servers": [{"url": f"{base}{V5_STANDARD_BASE}"}]}
    target = workdir / "tmf620-v5.0.0-served.json"
    target.write_text(json.dumps(reduced))
    return target


@pytest.fixture
def v5_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """The v5 runs' wall time in place of the v4 runs' (the runner reads it when it runs)."""
    monkeypatch.setattr(v4_runs, "MAX_SECONDS", V5_SECONDS)


@pytest.mark.usefixtures("v5_bound")
def test_tmf620_official_v5_specification(served: str, tmp_path: Path) -> None:
    spec = official_v5_served(served, tmp_path)
    schemathesis(str(spec), f"{served}{V5_STANDARD_BASE.rstrip('/')}", tmp_path, excluded=())


@pytest.mark.usefixtures("v5_bound")
def test_tmf620_v5_served_document(served: str, tmp_path: Path) -> None:
    url = f"{served}{V5_STANDARD_BASE}openapi.json"
    base = f"{served}{V5_STANDARD_BASE.rstrip('/')}"
    schemathesis(url, base, tmp_path, excluded=(), config_lines=HISTORY_AFTER_DELETE)
