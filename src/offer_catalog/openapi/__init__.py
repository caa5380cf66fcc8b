"""The OpenAPI kit: operations declare themselves on their routes; one generator writes the document.

`declare` holds what a route's operation says about itself (`Doc`, `Param`, `Reply`, `Body`) and
what an API says about its whole document (`ApiDoc`); `generate` walks an API's declared routes
into an OpenAPI document and serves it; `shapes` renders resource shape declarations as JSON Schema.
This package imports nothing of the HTTP kit, so the routing module can import these declarations.
"""

from offer_catalog.openapi.declare import ApiDoc, Body, Doc, ErrorDoc, Param, Reply, matching, ref

__all__ = ["ApiDoc", "Body", "Doc", "ErrorDoc", "Param", "Reply", "matching", "ref"]
