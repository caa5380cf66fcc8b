"""Approximate the memory held by a snapshot (or any object graph), for capacity planning."""

from __future__ import annotations

import gc
import sys
import types
from typing import Any


def approximate_size(root: Any) -> int:
    """Bytes reachable from `root` (each object once), excluding modules, classes and globals."""
    skip = {id(module.__dict__) for module in list(sys.modules.values()) if module is not None}
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        obj = stack.pop()
        ident = id(obj)
        if ident in seen or ident in skip or isinstance(obj, type | types.ModuleType):
            continue
        seen.add(ident)
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total
