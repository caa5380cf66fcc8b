"""The TMF620 resources served (declared in resources/tmf620), their base paths, the scope, the href form.

Two releases are served from one catalog: v4 (resources/tmf620) and v5 (resources/tmf620/v5), each
under a standard and an Oracle-style base path; a v5 collection is stored as its v4 counterpart's kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote

from offer_catalog.resources.tmf620 import BY_PATH, TmfResource
from offer_catalog.resources.tmf620.v5 import BY_PATH as V5_BY_PATH

# With authentication off, every TMF620 document lives in this scope; with it on, in `tmf620:<org>`
# (tmf620/tenancy.py). The kind is the v4 resource's path name.
SCOPE = "tmf620"
STANDARD_BASE = "/tmf-api/productCatalogManagement/v4/"
ORACLE_BASE = "/productCatalogManagement/v4/"
BASE_PATHS = (STANDARD_BASE, ORACLE_BASE)
V5_STANDARD_BASE = "/tmf-api/productCatalogManagement/v5/"
V5_ORACLE_BASE = "/productCatalogManagement/v5/"
V5_BASE_PATHS = (V5_STANDARD_BASE, V5_ORACLE_BASE)
ALL_BASE_PATHS = BASE_PATHS + V5_BASE_PATHS


# A served collection is its declaration (resources/tmf620/<resource>.py): path, class, members, lifecycle.
Resource = TmfResource
RESOURCES: dict[str, Resource] = dict(BY_PATH)
V5_RESOURCES: dict[str, Resource] = dict(V5_BY_PATH)


@dataclass(frozen=True, slots=True)
class Release:
    """One TMF620 release served: its name, base paths, collections (by path) and OpenAPI version."""

    name: str
    bases: tuple[str, ...]
    resources: Mapping[str, Resource]
    spec_version: str

    def by_kind(self, kind: str) -> Resource | None:
        """The collection of this release stored as `kind`."""
        return next((r for r in self.resources.values() if r.kind == kind), None)


V4 = Release("v4", BASE_PATHS, RESOURCES, "4.1.0")
V5 = Release("v5", V5_BASE_PATHS, V5_RESOURCES, "5.0.0")
RELEASES = (V4, V5)


def release_of(base: str) -> Release:
    """The release served under a base path (v4 for any other)."""
    return V5 if base in V5_BASE_PATHS else V4


def served_resources(extra_states: Iterable[str] = (), release: Release = V4) -> dict[str, Resource]:
    """The resources as a deployment serves them: with its extra lifecycle states, if any."""
    extra = tuple(extra_states)
    return {
        path: replace(r, lifecycle=r.lifecycle.with_states(extra)) for path, r in release.resources.items()
    }


def href(base: str, resource: Resource, id: str) -> str:
    """The relative href of a resource under the base path a request came through."""
    return f"{base}{resource.path}/{quote(id, safe=_ID_SAFE)}"


def id_from_href(value: str, resource: Resource) -> str | None:
    """The id an href under any served base path of any release names, or None."""
    for release in RELEASES:
        target = release.by_kind(resource.kind)
        if target is None:
            continue
        for base in release.bases:
            prefix = f"{base}{target.path}/"
            position = value.find(prefix)
            if position >= 0 and (position == 0 or value[:position].startswith(("http://", "https://"))):
                return unquote(value[position + len(prefix) :])
    return None


_ID_SAFE = "-._~!$&'()*+,;=:@"
