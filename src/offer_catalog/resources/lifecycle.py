"""A status lifecycle, declared: the statuses, those a new instance may start in, and the allowed moves.

Each API's resources declare their own (Offer Library offers and activities, TMF620 entities); keeping
the same status is always allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """A status member, its statuses, the statuses a new instance may have, and the allowed moves.

    `default` is the status a create without one gets; with `any_case`, input in any letter case (and
    with runs of blanks) names the status spelled as declared.
    """

    statuses: tuple[str, ...]
    initial: frozenset[str]
    moves: Mapping[str, frozenset[str]]
    member: str = "xdm:status"
    default: str | None = None
    any_case: bool = False
    _spelled: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_spelled", {self._key(s): s for s in self.statuses})

    def _key(self, text: str) -> str:
        return " ".join(text.split()).lower() if self.any_case else text

    def spelled(self, value: str) -> str | None:
        """The status value names, spelled as declared, or None when it names none."""
        return self._spelled.get(self._key(value))

    def allowed_from(self, old: str) -> tuple[str, ...]:
        """The statuses old may move to, in declaration order (the same status not listed)."""
        targets = self.moves.get(old, frozenset())
        return tuple(s for s in self.statuses if s in targets)

    def final(self, status: str) -> bool:
        """Whether no move leaves status."""
        return not self.moves.get(status)

    def with_states(self, extra: Iterable[str]) -> Lifecycle:
        """This lifecycle with extra statuses a deployment uses: a new instance may start in one, and
        every status that is not final may move to one and back (their own order is the deployment's)."""
        added = tuple(dict.fromkeys(s for s in extra if self.spelled(s) is None))
        if not added:
            return self
        statuses = self.statuses + added
        moves = {s: targets | frozenset(added) if targets else targets for s, targets in self.moves.items()}
        moves.update({s: frozenset(statuses) - {s} for s in added})
        return replace(self, statuses=statuses, initial=self.initial | frozenset(added), moves=moves)

    def problem(self, old: object, new: object) -> str | None:
        """Why moving from old (None on create) to new is not allowed, or None when it is."""
        if not isinstance(new, str) or new not in self.statuses:
            return None  # the shape check reports a missing or unknown status
        if old is None:
            if new in self.initial:
                return None
            allowed = ", ".join(s for s in self.statuses if s in self.initial)
            return f"a new instance cannot start as {new!r}; start as one of {allowed}"
        if old == new or not isinstance(old, str) or new in self.moves.get(old, frozenset()):
            return None
        targets = ", ".join(self.allowed_from(old)) or "none"
        return f"status cannot change from {old!r} to {new!r} (allowed from {old!r}: {targets})"
