"""The TMF620 resources: one module per resource (members, references, lifecycle), pure and I/O-free."""

from offer_catalog.resources.tmf620.kinds import ALL, BY_PATH, CLASSES
from offer_catalog.resources.tmf620.rules import SERVER_MANAGED, prepare
from offer_catalog.resources.tmf620.spec import TmfResource

__all__ = ["ALL", "BY_PATH", "CLASSES", "SERVER_MANAGED", "TmfResource", "prepare"]
