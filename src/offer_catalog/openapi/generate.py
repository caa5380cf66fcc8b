"""The OpenAPI document of an API, generated from its declared routes and its `ApiDoc`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from offer_catalog.openapi.declare import ApiDoc, Doc, Param, Reply, Schema

_PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
_METHOD_ORDER = ("GET", "PUT", "POST", "PATCH", "DELETE")


class DocumentedOperation(Protocol):
    """What the generator reads of an operation."""

    @property
    def doc(self) -> Doc | None:
        """Its declaration."""
        ...

    @property
    def endpoint(self) -> Any:
        """The function that answers it."""
        ...


class DocumentedRoute(Protocol):
    """What the generator reads of a route: its path and its operations by method."""

    @property
    def path(self) -> str:
        """The route's path template."""
        ...

    @property
    def operations(self) -> Mapping[str, DocumentedOperation]:
        """Its operations by upper-case method."""
        ...


def _path_item(route: DocumentedRoute, spec: ApiDoc) -> tuple[str, Schema]:
    path = route.path
    if spec.base is not None:
        path = "/" + path.removeprefix(spec.base).lstrip("/")
    params = [spec.path_params.get(n, Param(n, "path")) for n in _PATH_PARAM.findall(path)]
    names = iter(params)
    documented = _PATH_PARAM.sub(lambda m: "{" + next(names).name + "}", path)
    item: Schema = {}
    if params:
        item["parameters"] = [p.render() for p in params]
    for method in sorted(route.operations, key=lambda m: (*_METHOD_ORDER, m).index(m)):
        operation = route.operations[method]
        doc = operation.doc or undeclared(route.path, method, operation.endpoint)
        item[method.lower()] = _operation(doc, spec)
    return documented, item


def undeclared(path: str, method: str, endpoint: Any) -> Doc:
    """What can be said of an operation that declares no `Doc`: its path, its docstring, a 200.

    Every route is documented even so; tests/api/test_openapi_documents.py asks each for its `Doc`.
    """
    function = getattr(endpoint, "func", endpoint)
    summary = (getattr(function, "__doc__", None) or path).strip().splitlines()[0]
    operation_id = method.lower() + re.sub(r"\W+", "_", path).rstrip("_")
    return Doc(operation_id, summary, {200: Reply("Success", {})}, (), tags=(UNDECLARED,))


UNDECLARED = "undeclared"
"""The tag of an operation documented without its own `Doc`."""


def _operation(doc: Doc, spec: ApiDoc) -> Schema:
    out: Schema = {"operationId": doc.operation_id, "summary": doc.summary}
    if doc.description:
        out["description"] = doc.description
    if doc.tags:
        out["tags"] = list(doc.tags)
    parameters = [*spec.headers, *doc.parameters]
    if parameters:
        out["parameters"] = [p.render() for p in parameters]
    if doc.body is not None:
        out["requestBody"] = doc.body.render()
    responses: Schema = {str(status): reply.render() for status, reply in sorted(doc.replies.items())}
    for status in sorted({*doc.errors, *spec.errors.always}):
        responses[str(status)] = _error(status, spec)
    out["responses"] = responses
    return out


def _error(status: int, spec: ApiDoc) -> Schema:
    if spec.errors.shared:
        return {"$ref": f"#/components/responses/{status}"}
    return _error_response(status, spec)


def _error_response(status: int, spec: ApiDoc) -> Schema:
    errors = spec.errors
    return {
        "description": errors.descriptions.get(status, "problem"),
        "content": {errors.media_type: {"schema": errors.schema}},
    }


def openapi_document(routes: Iterable[Any], spec: ApiDoc) -> Schema:
    """The document of every declared operation of `routes` (routes without operations are skipped)."""
    paths: Schema = {}
    operation_ids: set[str] = set()
    for route in routes:
        if not hasattr(route, "operations"):
            continue
        path, item = _path_item(route, spec)
        for method, operation in item.items():
            if method != "parameters":
                if operation["operationId"] in operation_ids:
                    raise ValueError(f"operationId {operation['operationId']} is declared twice")
                operation_ids.add(operation["operationId"])
        paths.setdefault(path, {}).update(item)
    components: Schema = {"schemas": spec.schemas()}
    if spec.errors.shared:
        used = {
            int(status)
            for item in paths.values()
            for op in item.values()
            if "responses" in op
            for status, answer in op["responses"].items()
            if "$ref" in answer
        }
        components["responses"] = {
            str(status): _error_response(status, spec)
            for status in sorted(used | set(spec.errors.descriptions))
        }
    document: Schema = {
        "openapi": spec.openapi,
        "info": {"title": spec.title, "version": spec.version, "description": spec.description},
    }
    if spec.base is not None:
        document["servers"] = [{"url": spec.base.rstrip("/")}]
    document["paths"] = paths
    document["components"] = components
    return spec.finish(document) if spec.finish is not None else document


SELF = Doc(
    operation_id="openapi",
    summary="This OpenAPI document",
    replies={200: Reply("This document", {"type": "object"})},
)
"""The declaration of the route that serves an API's own document."""
