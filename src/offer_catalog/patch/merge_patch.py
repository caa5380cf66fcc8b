"""JSON Merge Patch (RFC 7396), copy-on-write: only objects the patch touches are copied."""

from __future__ import annotations

from offer_catalog.patch._json import JSONValue, clone


def apply_merge_patch(doc: JSONValue, patch: JSONValue) -> JSONValue:
    """Merge ``patch`` into ``doc`` per RFC 7396 and return the new document (never fails)."""
    if type(patch) is not dict:
        # A non-object patch (array, scalar, null) replaces the whole target.
        return clone(patch) if type(patch) is list else patch
    return _merge(doc, patch)


def _merge(target: JSONValue, patch: dict[str, JSONValue]) -> dict[str, JSONValue]:
    # A non-object target is replaced by an empty object before merging (RFC 7396 section 2).
    result: dict[str, JSONValue] = target.copy() if type(target) is dict else {}
    for key, value in patch.items():
        t = type(value)
        if value is None:
            result.pop(key, None)
        elif t is dict:
            result[key] = _merge(result.get(key), value)
        elif t is list:
            # Arrays are data: they replace whole, and a null inside them is kept.
            result[key] = clone(value)
        else:
            result[key] = value
    return result
