"""The TM Forum entity lifecycle: the eight recommended states and the transitions between them.

States and machine from the TMF620 user guide ("Entity Lifecycle States"):
In study -> In design -> In test -> Active | Rejected; Active -> Launched | Retired;
Launched -> Retired; Retired -> Obsolete; Rejected and Obsolete are final.
A create may start in any state; staying in the same state is always allowed.
"""

from __future__ import annotations

from offer_catalog.errors import LifecycleViolation, ValidationFailed

STATES = ("In study", "In design", "In test", "Active", "Launched", "Retired", "Obsolete", "Rejected")
DEFAULT_STATE = "In study"

NEXT_STATES: dict[str, tuple[str, ...]] = {
    "In study": ("In design",),
    "In design": ("In test",),
    "In test": ("Active", "Rejected"),
    "Active": ("Launched", "Retired"),
    "Launched": ("Retired",),
    "Retired": ("Obsolete",),
    "Rejected": (),
    "Obsolete": (),
}

_CANONICAL = {state.lower(): state for state in STATES}


def canonical_state(value: object) -> str:
    """The canonical spelling of a lifecycle state given in any letter case; ValidationFailed otherwise."""
    if not isinstance(value, str):
        raise ValidationFailed(
            "lifecycleStatus must be a string",
            code="invalid_type:lifecycleStatus",
            details={"member": "lifecycleStatus"},
        )
    state = _CANONICAL.get(" ".join(value.split()).lower())
    if state is None:
        raise ValidationFailed(
            f"lifecycleStatus {value!r} is not one of: {', '.join(STATES)}",
            code="invalid_value:lifecycleStatus",
            details={"member": "lifecycleStatus", "allowed": list(STATES)},
        )
    return state


def check_transition(current: str, target: str) -> None:
    """Raise LifecycleViolation, naming the allowed next states, when current -> target is not allowed."""
    if current == target or current not in NEXT_STATES:
        return
    allowed = NEXT_STATES[current]
    if target in allowed:
        return
    following = ", ".join(allowed) if allowed else f"none ({current} is a final state)"
    raise LifecycleViolation(
        f"lifecycleStatus cannot change from {current!r} to {target!r}; allowed next states: {following}",
        code="invalid_transition:lifecycleStatus",
        details={"member": "lifecycleStatus", "from": current, "to": target, "allowed": list(allowed)},
    )
