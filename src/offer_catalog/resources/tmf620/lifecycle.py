"""The TM Forum entity lifecycle every TMF620 resource declares: the recommended states and their moves.

States, spelling and machine from the TMF620 user guide ("Entity Lifecycle States"):
In Study -> In Design -> In Test -> Active | Rejected; Active -> Launched | Retired;
Launched -> Retired; Retired -> Obsolete; Rejected and Obsolete are final.
A create may start in any state; staying in the same state is always allowed; input in any letter case
(and with runs of blanks) names the state as the guide spells it. A deployment may add its own states
(`OFFER_CATALOG_TMF_EXTRA_STATES`, `Lifecycle.with_states`).
"""

from __future__ import annotations

from offer_catalog.resources.lifecycle import Lifecycle

STATES = ("In Study", "In Design", "In Test", "Active", "Launched", "Retired", "Obsolete", "Rejected")
DEFAULT_STATE = "In Study"

ENTITY_LIFECYCLE = Lifecycle(
    statuses=STATES,
    initial=frozenset(STATES),
    moves={
        "In Study": frozenset({"In Design"}),
        "In Design": frozenset({"In Test"}),
        "In Test": frozenset({"Active", "Rejected"}),
        "Active": frozenset({"Launched", "Retired"}),
        "Launched": frozenset({"Retired"}),
        "Retired": frozenset({"Obsolete"}),
        "Rejected": frozenset(),
        "Obsolete": frozenset(),
    },
    member="lifecycleStatus",
    default=DEFAULT_STATE,
    any_case=True,
)
