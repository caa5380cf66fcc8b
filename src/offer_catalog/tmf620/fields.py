"""TMF630 attribute selection (`fields=`): keep the named members; `id` and `href` are always kept.

v5 also keeps `@type` (and a nested object's `id`) at every level: its schemas require them."""

from __future__ import annotations

from typing import Any

from offer_catalog.tmf620.query import Fields

ALWAYS = ("id", "href")
V5_ALWAYS = ("id", "href", "@type")
V5_NESTED = ("id", "@type")
Tree = dict[str, Any]


def selection_tree(fields: Fields) -> Tree:
    """The member paths as a tree; an empty subtree keeps the whole member."""
    tree: Tree = {}
    for path in fields:
        node = tree
        for i, step in enumerate(path):
            if step in node and not node[step]:
                break  # the whole member is already selected
            child = {} if i == len(path) - 1 else node.get(step, {"": True})
            node[step] = child
            node = child
    return tree


def _select(value: Any, tree: Tree, nested: tuple[str, ...]) -> Any:
    subtree = {k: v for k, v in tree.items() if k}
    if not subtree:
        return value
    if isinstance(value, list):
        return [_select(item, tree, nested) for item in value]
    if isinstance(value, dict):
        out = {k: value[k] for k in nested if k in value}
        out.update({k: _select(value[k], subtree[k], nested) for k in subtree if k in value})
        return out
    return value


def project(view: dict[str, Any], tree: Tree | None, *, v5: bool = False) -> dict[str, Any]:
    """The view reduced to the selected members (tree None: unchanged)."""
    if tree is None:
        return view
    out = {k: view[k] for k in (V5_ALWAYS if v5 else ALWAYS) if k in view}
    nested = V5_NESTED if v5 else ()
    for key, subtree in tree.items():
        if key in view and key not in out:
            out[key] = _select(view[key], subtree, nested)
    return out
