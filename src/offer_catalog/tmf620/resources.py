"""The TMF620 resources served, their base paths, the document scope and the href form."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

# With authentication off, every TMF620 document lives in this scope; with it on, in `tmf620:<org>`
# (tmf620/tenancy.py). The kind is the resource's path name.
SCOPE = "tmf620"
STANDARD_BASE = "/tmf-api/productCatalogManagement/v4/"
ORACLE_BASE = "/productCatalogManagement/v4/"
BASE_PATHS = (STANDARD_BASE, ORACLE_BASE)


@dataclass(frozen=True, slots=True)
class Resource:
    """A TMF620 collection: its path segment (also the document kind) and its class name (@type)."""

    path: str
    cls: str

    @property
    def kind(self) -> str:
        """The document kind it is stored under."""
        return self.path


RESOURCES: dict[str, Resource] = {
    r.path: r
    for r in (
        Resource("catalog", "Catalog"),
        Resource("category", "Category"),
        Resource("productOffering", "ProductOffering"),
        Resource("productOfferingPrice", "ProductOfferingPrice"),
        Resource("productSpecification", "ProductSpecification"),
    )
}


def href(base: str, resource: Resource, id: str) -> str:
    """The relative href of a resource under the base path a request came through."""
    return f"{base}{resource.path}/{quote(id, safe=_ID_SAFE)}"


def id_from_href(value: str, resource: Resource) -> str | None:
    """The id an href under any served base path names, or None."""
    for base in BASE_PATHS:
        prefix = f"{base}{resource.path}/"
        position = value.find(prefix)
        if position >= 0 and (position == 0 or value[:position].startswith(("http://", "https://"))):
            return unquote(value[position + len(prefix) :])
    return None


_ID_SAFE = "-._~!$&'()*+,;=:@"
