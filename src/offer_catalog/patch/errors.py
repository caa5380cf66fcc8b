"""The one error family of the patch engine, with stable codes and suggested HTTP statuses."""

from __future__ import annotations

from typing import ClassVar


class PatchError(Exception):
    """Base of every error the patch engine raises; ``code`` is stable, the message is not."""

    code: ClassVar[str] = "patch_error"

    def __init__(
        self,
        reason: str,
        *,
        op_index: int | None = None,
        op: str | None = None,
        path: str | None = None,
        member: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        # Which operation of the patch failed (0-based) and its "op" name, when known.
        self.op_index = op_index
        self.op = op
        # The pointer (as written in the patch) that failed, and which member held it
        # ("path" or "from"; for a malformed operation, the offending member).
        self.path = path
        self.member = member

    def locate(self, op_index: int, op: str, path: str | None, member: str | None) -> None:
        """Fill in the operation context that the raising code did not know."""
        if self.op_index is None:
            self.op_index = op_index
        if self.op is None:
            self.op = op
        if self.path is None:
            self.path = path
        if self.member is None:
            self.member = member

    def __str__(self) -> str:
        where: list[str] = []
        if self.op_index is not None:
            where.append(f"operation {self.op_index}" + (f" ({self.op})" if self.op else ""))
        if self.path is not None:
            where.append(f"{self.member or 'path'} {self.path!r}")
        return ", ".join(where) + ": " + self.reason if where else self.reason


class MalformedPatch(PatchError):
    """The patch document is not a valid patch (not an array, missing or mistyped member, unknown op)."""

    code = "malformed_patch"


class InvalidPointer(PatchError):
    """A JSON Pointer (or patch-query path) is syntactically invalid."""

    code = "invalid_pointer"


class PathNotFound(PatchError):
    """A pointer names a member or array element that does not exist."""

    code = "path_not_found"


class TestFailed(PatchError):
    """A ``test`` operation found a different value."""

    __test__ = False  # not a pytest test class despite the name
    code = "test_failed"


class PatchConflict(PatchError):
    """The patch does not fit the document's shape (descending into a scalar, move into own child)."""

    code = "conflict"


class InvalidJson(PatchError):
    """A request body is not strict JSON (syntax, duplicate member names, NaN/Infinity, bad UTF-8)."""

    code = "invalid_json"


class NumberOutOfRange(InvalidJson):
    """A JSON number that both stores cannot hold exactly (an integer beyond 64 bits)."""

    code = "number_out_of_range"


class JsonTooDeep(InvalidJson):
    """JSON nested deeper than the service accepts."""

    code = "json_too_deep"


class InvalidCharacter(InvalidJson):
    """A string holding a character no store can keep (NUL)."""

    code = "invalid_character"


class QueryNoMatch(PatchError):
    """A JSON Patch Query path selected no array element."""

    code = "query_no_match"


# Suggested HTTP status per error code, so every HTTP dialect maps them the same way.
# 400: the request body itself is wrong; 422: well-formed but names something absent;
# 409: the document's current state does not allow it (RFC 5789 "conflicting state").
HTTP_STATUS: dict[str, int] = {
    PatchError.code: 400,
    MalformedPatch.code: 400,
    InvalidPointer.code: 400,
    InvalidJson.code: 400,
    NumberOutOfRange.code: 400,
    JsonTooDeep.code: 400,
    InvalidCharacter.code: 400,
    PathNotFound.code: 422,
    QueryNoMatch.code: 422,
    TestFailed.code: 409,
    PatchConflict.code: 409,
}
