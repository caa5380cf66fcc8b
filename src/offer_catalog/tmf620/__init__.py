"""The TMF620 Product Catalog Management v4 dialect: routes, TMF630 queries, patch, lifecycle, TMF Errors."""

from offer_catalog.tmf620.routes import tmf620_routes

__all__ = ["tmf620_routes"]
