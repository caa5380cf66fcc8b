"""The one seam between stored TMF620 documents and what each release's clients see and write.

The stored form holds what any release wrote; `read_view` gives one release's view of it and
`write_form` turns a release's (validated) body back into the stored form, keeping what that release
cannot see. The mapping itself is tmf620/v5_mapping.py (pure functions, docs/tmf620-v5.md).
"""

from __future__ import annotations

from typing import Any

from offer_catalog.tmf620.resources import Resource
from offer_catalog.tmf620.v5_mapping import to_stored, to_view


def read_view(resource: Resource, stored: dict[str, Any]) -> dict[str, Any]:
    """The body a client of the resource's release sees of a stored body (no id/href)."""
    return to_view(version=resource.api, resource=resource.kind, stored=stored)


def write_form(
    resource: Resource,
    body: dict[str, Any],
    previous: dict[str, Any] | None,
    previous_view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The stored form of a body a client of the resource's release wrote; previous: the stored body it
    replaces.

    previous_view: `read_view` of previous, when the caller has it (saves building it again)."""
    return to_stored(
        version=resource.api, resource=resource.kind, body=body, current=previous, current_view=previous_view
    )
