"""The patch engine: JSON Pointer, JSON Patch, JSON Merge Patch, JSON Patch Query, diff, strict JSON.

Pure and stdlib-only: it imports nothing else from the project. See docs/patch.md.

Contract:

* Documents and patches are plain JSON values (dict with str keys, list, str, int, float, bool,
  None), treated as immutable. No function mutates its arguments.
* Every apply returns a new document built copy-on-write: containers on the paths a patch changes are
  new; untouched subtrees are shared with the input (``result["untouched"] is doc["untouched"]``). The
  top-level container of a result is always new, so a caller may set top-level members on it; anything
  deeper must be copied before being mutated. Values taken from a patch are copied, never shared.
* A JSON Patch is atomic: when an operation fails an error is raised and nothing is returned; the
  input is unchanged because it was never modified.
* Every failure raises a ``PatchError`` subclass with a stable ``code``, ``op_index`` (0-based, or
  None), ``op``, ``path`` (the pointer as written), ``member`` ("path", "from", "value", "op") and
  ``reason``. Suggested HTTP statuses, also in ``HTTP_STATUS``:

  ==================  ===================  ======
  class               code                 status
  ==================  ===================  ======
  MalformedPatch      malformed_patch      400
  InvalidPointer      invalid_pointer      400
  InvalidJson         invalid_json         400
  NumberOutOfRange    number_out_of_range  400
  JsonTooDeep         json_too_deep        400
  InvalidCharacter    invalid_character    400
  PathNotFound        path_not_found       422
  QueryNoMatch        query_no_match       422
  TestFailed          test_failed          409
  PatchConflict       conflict             409
  ==================  ===================  ======

  ``NumberOutOfRange``, ``JsonTooDeep`` and ``InvalidCharacter`` are ``InvalidJson`` raised by
  ``parse_json``: an integer outside signed 64 bits (or a float beyond double range), nesting deeper
  than ``MAX_DEPTH`` (64), a string or member name holding NUL.

  400: the body is not a valid patch; 422: a valid patch naming a location that does not exist
  (including an array index out of range); 409: the document's state rejects it (a failed ``test``,
  a pointer descending into a string or number, a move into its own child, removing the root).
"""

from offer_catalog.patch.diff import diff
from offer_catalog.patch.errors import (
    HTTP_STATUS,
    InvalidCharacter,
    InvalidJson,
    InvalidPointer,
    JsonTooDeep,
    MalformedPatch,
    NumberOutOfRange,
    PatchConflict,
    PatchError,
    PathNotFound,
    QueryNoMatch,
    TestFailed,
)
from offer_catalog.patch.json_patch import Plan, apply_json_patch, compile_json_patch
from offer_catalog.patch.merge_patch import apply_merge_patch
from offer_catalog.patch.patch_query import QueryPlan, apply_patch_query, compile_patch_query
from offer_catalog.patch.pointer import resolve_pointer
from offer_catalog.patch.strict_json import parse_json

__all__ = [
    "HTTP_STATUS",
    "InvalidCharacter",
    "InvalidJson",
    "InvalidPointer",
    "JsonTooDeep",
    "MalformedPatch",
    "NumberOutOfRange",
    "PatchConflict",
    "PatchError",
    "PathNotFound",
    "Plan",
    "QueryNoMatch",
    "QueryPlan",
    "TestFailed",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_patch_query",
    "compile_json_patch",
    "compile_patch_query",
    "diff",
    "parse_json",
    "resolve_pointer",
]
