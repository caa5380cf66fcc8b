"""Property tests on generated JSON documents, against a naive deep-copying reference implementation."""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from offer_catalog.patch import (
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_patch_query,
    diff,
)

# Keys include the characters pointers must escape; no "?" so plain patches are also valid queries.
KEYS = st.text(alphabet="ab/~01- é", max_size=3)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4)
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)
OBJECTS = st.dictionaries(KEYS, JSON, max_size=5)
SETTINGS = settings(max_examples=200, deadline=None)


def norm(value: Any) -> Any:
    """A form whose == is JSON equality: 1 == 1.0, but true != 1 (independent of the engine's own)."""
    t = type(value)
    if t is bool:
        return ("bool", value)
    if t is int or t is float:
        return ("number", value)
    if t is str:
        return ("string", value)
    if value is None:
        return ("null",)
    if t is list:
        return ("array", [norm(item) for item in value])
    return ("object", {key: norm(item) for key, item in value.items()})


# --- a naive reference JSON Patch: deep copy, then follow RFC 6902 literally ----------------------


class Fail(Exception):
    pass


def ref_tokens(pointer: str) -> list[str]:
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]


def ref_index(token: str, length: int, *, end: bool) -> int:
    if end and token == "-":
        return length
    if not re.fullmatch(r"0|[1-9][0-9]*", token) or int(token) > length or (int(token) == length and not end):
        raise Fail
    return int(token)


def ref_get(doc: Any, tokens: list[str]) -> Any:
    for token in tokens:
        if type(doc) is dict and token in doc:
            doc = doc[token]
        elif type(doc) is list:
            doc = doc[ref_index(token, len(doc), end=False)]
        else:
            raise Fail
    return doc


def ref_add(doc: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent = ref_get(doc, tokens[:-1])
    if type(parent) is dict:
        parent[tokens[-1]] = value
    elif type(parent) is list:
        parent.insert(ref_index(tokens[-1], len(parent), end=True), value)
    else:
        raise Fail
    return doc


def ref_remove(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        raise Fail
    parent = ref_get(doc, tokens[:-1])
    if type(parent) is dict and tokens[-1] in parent:
        del parent[tokens[-1]]
    elif type(parent) is list:
        del parent[ref_index(tokens[-1], len(parent), end=False)]
    else:
        raise Fail
    return doc


def ref_apply(doc: Any, patch: list[dict[str, Any]]) -> Any:
    doc = copy.deepcopy(doc)
    for op in patch:
        path = ref_tokens(op["path"])
        kind = op["op"]
        value = copy.deepcopy(op.get("value"))
        if kind == "add":
            doc = ref_add(doc, path, value)
        elif kind == "remove":
            doc = ref_remove(doc, path)
        elif kind == "replace":
            ref_get(doc, path)
            doc = ref_add(ref_remove(doc, path), path, value) if path else value
        elif kind == "test":
            if norm(ref_get(doc, path)) != norm(value):
                raise Fail
        else:
            source = ref_tokens(op["from"])
            moved = copy.deepcopy(ref_get(doc, source))
            if kind == "move" and source != path:
                if path[: len(source)] == source:
                    raise Fail
                doc = ref_add(ref_remove(doc, source), path, moved)
            elif kind == "copy":
                doc = ref_add(doc, path, moved)
    return doc


def all_pointers(doc: Any, prefix: str = "") -> list[str]:
    found = [prefix]
    if type(doc) is dict:
        for key, value in doc.items():
            found += all_pointers(value, prefix + "/" + key.replace("~", "~0").replace("/", "~1"))
    elif type(doc) is list:
        for index, value in enumerate(doc):
            found += all_pointers(value, f"{prefix}/{index}")
    return found


@st.composite
def doc_and_patch(draw: st.DrawFn) -> tuple[Any, list[dict[str, Any]]]:
    doc = draw(JSON)
    pointers = all_pointers(doc)

    def pointer() -> str:
        base = draw(st.sampled_from(pointers))
        if draw(st.booleans()):
            base += "/" + draw(st.sampled_from(["-", "0", "1", "2", "01", "x", "a~1b", "~0", ""]))
        return base

    patch = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["add", "remove", "replace", "move", "copy", "test"]))
        op: dict[str, Any] = {"op": kind, "path": pointer()}
        if kind in ("add", "replace", "test"):
            op["value"] = draw(JSON)
            if kind == "test" and draw(st.booleans()):
                with contextlib.suppress(Fail):  # often test against the value that is really there
                    op["value"] = copy.deepcopy(ref_get(doc, ref_tokens(op["path"])))
        if kind in ("move", "copy"):
            op["from"] = pointer()
        patch.append(op)
    return doc, patch


def mutate_everything(value: Any) -> None:
    """Change every container reachable from value."""
    if type(value) is dict:
        for item in list(value.values()):
            mutate_everything(item)
        value["\x00mutated"] = True
    elif type(value) is list:
        for item in list(value):
            mutate_everything(item)
        value.append("\x00mutated")


# --- properties ------------------------------------------------------------------------------------


@SETTINGS
@given(JSON, JSON)
def test_diff_then_apply_gives_the_target(a: Any, b: Any) -> None:
    a_before = copy.deepcopy(a)
    ops = diff(a, b)
    assert norm(apply_json_patch(a, ops)) == norm(b)
    assert norm(a) == norm(a_before)


@SETTINGS
@given(JSON)
def test_diff_of_equal_documents_is_empty(a: Any) -> None:
    assert diff(a, copy.deepcopy(a)) == []


def strip_nulls(value: Any) -> Any:
    """What merging a document into itself yields: null members of objects are deleted (not in arrays)."""
    if type(value) is dict:
        return {key: strip_nulls(item) for key, item in value.items() if item is not None}
    return value


@SETTINGS
@given(OBJECTS)
def test_merge_patch_of_a_document_with_itself(a: dict[str, Any]) -> None:
    assert norm(apply_merge_patch(a, a)) == norm(strip_nulls(a))
    without_nulls = strip_nulls(a)
    assert norm(apply_merge_patch(without_nulls, without_nulls)) == norm(without_nulls)


@SETTINGS
@given(JSON, JSON)
def test_merge_patch_never_fails_and_never_mutates(doc: Any, patch: Any) -> None:
    doc_before, patch_before = copy.deepcopy(doc), copy.deepcopy(patch)
    apply_merge_patch(doc, patch)
    assert norm(doc) == norm(doc_before)
    assert norm(patch) == norm(patch_before)


@SETTINGS
@given(doc_and_patch())
def test_json_patch_matches_the_reference_and_never_mutates(case: tuple[Any, list[dict[str, Any]]]) -> None:
    doc, patch = case
    doc_before, patch_before = copy.deepcopy(doc), copy.deepcopy(patch)
    try:
        expected = ref_apply(doc, patch)
    except Fail:
        expected = Fail
    for engine in (apply_json_patch, apply_patch_query):
        try:
            result = engine(doc, patch)
        except PatchError:
            assert expected is Fail, f"{engine.__name__} failed where the reference succeeded"
        else:
            assert expected is not Fail, f"{engine.__name__} succeeded where the reference failed"
            assert norm(result) == norm(expected)
        # Success or failure, the caller's document and patch are as they were.
        assert norm(doc) == norm(doc_before)
        assert norm(patch) == norm(patch_before)


@SETTINGS
@given(doc_and_patch())
def test_untouched_members_are_shared(case: tuple[Any, list[dict[str, Any]]]) -> None:
    doc, patch = case
    try:
        result = apply_json_patch(doc, patch)
    except PatchError:
        return
    pointers = [op[member] for op in patch for member in ("path", "from") if member in op]
    if type(doc) is not dict or type(result) is not dict or "" in pointers:
        return  # only object documents whose root is not replaced have "untouched members"
    touched = {ref_tokens(pointer)[0] for pointer in pointers}
    for key in doc.keys() - touched:
        if key in result:
            assert result[key] is doc[key]


def assert_never_alias(
    apply: Callable[[Any, Any], Any], doc: Any, patch: Any, refused: tuple[type[Exception], ...] = ()
) -> None:
    """Mutating a result leaves the patch as it was, and mutating the patch leaves a result as it was.

    A patch `apply` refuses with one of `refused` proves nothing and passes.
    """
    patch_before = copy.deepcopy(patch)
    try:
        result = apply(copy.deepcopy(doc), patch)
    except refused:
        return
    mutate_everything(result)
    assert norm(patch) == norm(patch_before)
    result = apply(copy.deepcopy(doc), patch)
    result_before = copy.deepcopy(result)
    mutate_everything(patch)
    assert norm(result) == norm(result_before)


@SETTINGS
@given(doc_and_patch())
def test_result_and_patch_never_alias(case: tuple[Any, list[dict[str, Any]]]) -> None:
    doc, patch = case
    assert_never_alias(apply_json_patch, doc, patch, refused=(PatchError,))


@SETTINGS
@given(JSON, JSON)
def test_merge_result_and_patch_never_alias(doc: Any, patch: Any) -> None:
    assert_never_alias(apply_merge_patch, doc, patch)


@SETTINGS
@given(JSON, JSON)
def test_diff_never_aliases_its_inputs(a: Any, b: Any) -> None:
    ops = diff(a, b)
    ops_before = copy.deepcopy(ops)
    b_before = copy.deepcopy(b)
    mutate_everything(b)
    assert norm(ops) == norm(ops_before)
    mutate_everything(ops)
    b = b_before
    assert norm(diff(a, b)) == norm(ops_before)
