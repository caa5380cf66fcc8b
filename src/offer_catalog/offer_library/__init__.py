"""The Offer Library ("xcore") repository API: containers of typed instances, HAL, receipts, JSON Patch.

`offer_library_routes(settings, compile_pql=...)` gives the routes; `load_container_instances(uow,
container_id)` gives the decisioning engine a container's instances as plain data.
"""

from offer_catalog.offer_library.catalog import load_container_instances
from offer_catalog.offer_library.routes import offer_library_routes

__all__ = ["load_container_instances", "offer_library_routes"]
