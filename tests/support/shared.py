"""The ../shared folder beside the repository (specs, seeds, conformance data), when it is there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REASON = (
    "../shared (reference data: conformance suites, seeds, the TMF620 kit) is not beside this "
    "repository; set CI=true to make this a failure"
)


def required() -> bool:
    """Under CI the shared data must be there: its absence is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def shared_dir(*, module_level: bool = False) -> Path:
    """The shared folder; skip (or fail under CI) with one reason when it is missing."""
    if SHARED.is_dir():
        return SHARED
    if required():
        pytest.fail(f"{SHARED} is missing and CI=true: tests read the shared reference data there", False)
    pytest.skip(REASON, allow_module_level=module_level)
    raise AssertionError("unreachable")  # pragma: no cover
