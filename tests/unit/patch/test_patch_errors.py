"""The error family: codes, HTTP statuses, context, messages; and the package's purity."""

from __future__ import annotations

import ast
import pickle
import sys
from pathlib import Path

import pytest

import offer_catalog.patch as patch_package
from offer_catalog.patch import (
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

EXPECTED = {
    MalformedPatch: ("malformed_patch", 400),
    InvalidPointer: ("invalid_pointer", 400),
    InvalidJson: ("invalid_json", 400),
    NumberOutOfRange: ("number_out_of_range", 400),
    JsonTooDeep: ("json_too_deep", 400),
    InvalidCharacter: ("invalid_character", 400),
    PathNotFound: ("path_not_found", 422),
    QueryNoMatch: ("query_no_match", 422),
    TestFailed: ("test_failed", 409),
    PatchConflict: ("conflict", 409),
}


@pytest.mark.parametrize("cls", EXPECTED)
def test_codes_and_statuses(cls: type[PatchError]) -> None:
    code, status = EXPECTED[cls]
    assert issubclass(cls, PatchError)
    assert cls.code == code
    assert HTTP_STATUS[code] == status


def test_every_code_has_a_status() -> None:
    assert set(HTTP_STATUS) == {cls.code for cls in EXPECTED} | {PatchError.code}


def test_message_and_context() -> None:
    err = PathNotFound("no member 'x'", op_index=2, op="remove", path="/x", member="path")
    assert str(err) == "operation 2 (remove), path '/x': no member 'x'"
    assert str(PathNotFound("bare")) == "bare"
    assert (
        str(MalformedPatch("missing member 'op'", op_index=0, member="op"))
        == "operation 0: missing member 'op'"
    )
    assert str(PatchConflict("c", path="/a", member="from")) == "from '/a': c"


def test_locate_keeps_what_is_already_known() -> None:
    err = PathNotFound("r", path="/from", member="from")
    err.locate(3, "move", "/path", "path")
    assert (err.op_index, err.op, err.path, err.member) == (3, "move", "/from", "from")
    err.locate(4, "copy", "/other", "path")
    assert (err.op_index, err.op) == (3, "move")


def test_errors_survive_pickling() -> None:
    err = TestFailed("expected 1", op_index=1, op="test", path="/a", member="path")
    copy = pickle.loads(pickle.dumps(err))
    assert (type(copy), copy.code, copy.reason, copy.op_index, copy.path) == (
        TestFailed,
        "test_failed",
        "expected 1",
        1,
        "/a",
    )


def test_package_imports_only_the_stdlib_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"offer_catalog"}
    for source in Path(patch_package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{source.name} imports {name}"
                if name.startswith("offer_catalog"):
                    assert name.startswith("offer_catalog.patch"), f"{source.name} imports {name}"
