"""Compile the query model into SQL: the shared shape (AND/OR trees, sort, keyset) and two dialects."""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Collection
from typing import Any

import orjson

from offer_catalog.documents.query import AllOf, AnyOf, Cond, Condition, Field, Op, Query, check_path
from offer_catalog.errors import InvalidQuery
from offer_catalog.store.patterns import check_pattern

DEFAULT_MAX_TERMS = 100
RFC3339_PATTERN = r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$"
MAX_INT64 = 2**63 - 1

_COMPARE = {Op.EQ: "=", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}
_META_COLUMNS = {
    "id": "id",
    "kind": "kind",
    "version": "version",
    "created_at": "created_at",
    "modified_at": "modified_at",
    "created_by": "created_by",
    "modified_by": "modified_by",
    "created_by_client": "created_by_client",
    "modified_by_client": "modified_by_client",
    "at_id": "at_id",
}
# The dialect modules' view of the two tables above.
COMPARE = _COMPARE
META_COLUMNS = _META_COLUMNS


class Compiler(ABC):
    """Builds a WHERE clause and ORDER BY with named parameters; subclasses know the JSON functions.

    Request text never becomes SQL text: values and JSON paths are bound parameters; the only
    member names written into SQL are those of `indexed` (the store's member indexes, a list
    declared in code), so that a query can use the index built on the very same expression.
    """

    placeholder = ":{}"

    def __init__(
        self,
        *,
        indexed: Collection[str] = (),
        max_terms: int = DEFAULT_MAX_TERMS,
        paths: Collection[tuple[str, ...]] = (),
    ) -> None:
        self.params: dict[str, Any] = {}
        self.indexed = indexed
        self.max_terms = max_terms
        # Nested / array paths with an index of their values (SQLite: the document_paths table).
        self.paths = paths
        self.scope = ""
        self.kinds: tuple[str, ...] = ()

    def param(self, value: Any) -> str:
        """Bind a value and return its placeholder."""
        _refuse_nul(value)
        name = f"p{len(self.params)}"
        self.params[name] = value
        return self.placeholder.format(name)

    def check_size(self, query: Query) -> None:
        """InvalidQuery (`too_many_terms`) when the filter or the sort has more terms than allowed."""
        terms = _count_terms(query.where) if query.where is not None else 0
        if terms > self.max_terms or len(query.sort) > self.max_terms:
            raise InvalidQuery(
                f"a query may hold at most {self.max_terms} filter terms and {self.max_terms} sort keys",
                code="too_many_terms",
            )

        if query.offset > MAX_INT64 or (query.limit or 0) > MAX_INT64:
            raise InvalidQuery("offset and limit must fit in 64 bits", code="number_out_of_range")

    def where(self, scope: str, query: Query, *, with_cursor: bool = True) -> str:
        """The full WHERE clause (without the keyword)."""
        self.check_size(query)
        self.scope, self.kinds = scope, query.kinds
        parts = [f"scope = {self.param(scope)}"]
        if query.kinds:
            parts.append("kind IN (" + ", ".join(self.param(k) for k in query.kinds) + ")")
        if not query.include_deleted:
            parts.append(self.not_deleted())
        if query.where is not None:
            parts.append(self.condition(query.where))
        if with_cursor and query.after is not None:
            parts.append(self.keyset(query))
        return " AND ".join(parts)

    def condition(self, cond: Condition) -> str:
        """SQL for an AND/OR tree of predicates."""
        if isinstance(cond, AllOf):
            return "(" + " AND ".join(self.condition(c) for c in cond.items) + ")" if cond.items else "1=1"
        if isinstance(cond, AnyOf):
            return "(" + " OR ".join(self.condition(c) for c in cond.items) + ")" if cond.items else "1=0"
        _refuse_nul(cond.value)
        if cond.op is Op.NE:
            # SQL's NULL would make NOT(unknown) unknown: a missing field must count as "not equal".
            equal = self.condition(Cond(cond.field, Op.EQ, cond.value, cond.ignore_case))
            return f"NOT COALESCE({equal}, FALSE)"
        if cond.op is Op.NOT_EXISTS:
            return f"NOT COALESCE({self.condition(Cond(cond.field, Op.EXISTS))}, FALSE)"
        if cond.op is Op.IN:
            if not isinstance(cond.value, list | tuple) or not cond.value:
                raise InvalidQuery("IN needs a non-empty list of values")
            if cond.field.meta is not None and not cond.ignore_case:
                # A plain IN list lets the planner use the column's index (an OR chain may not).
                column = _META_COLUMNS[cond.field.meta]
                return f"{column} IN (" + ", ".join(self.param(v) for v in cond.value) + ")"
            return self.condition(
                AnyOf(tuple(Cond(cond.field, Op.EQ, v, cond.ignore_case) for v in cond.value))
            )
        if cond.op is Op.REGEX:
            check_pattern(cond.value)
        if cond.field.meta is not None:
            return self.meta_predicate(_META_COLUMNS[cond.field.meta], cond)
        if cond.field.instant and cond.op in _COMPARE:
            if not isinstance(cond.value, str) or cond.ignore_case:
                raise InvalidQuery("a date-time member compares with a date-time string only")
            return self.instant_predicate(cond)
        return self.body_predicate(cond)

    def meta_predicate(self, column: str, cond: Cond) -> str:
        """A predicate on a plain column."""
        if cond.op is Op.EXISTS:
            return f"{column} IS NOT NULL"
        if cond.op is Op.REGEX:
            return self.regex_sql(column, cond.value, cond.ignore_case)
        if cond.ignore_case and isinstance(cond.value, str):
            return f"lower({column}) {_COMPARE[cond.op]} lower({self.param(cond.value)})"
        return f"{column} {_COMPARE[cond.op]} {self.param(cond.value)}"

    @abstractmethod
    def body_predicate(self, cond: Cond) -> str:
        """A predicate on a body path (dialect-specific)."""
        ...

    @abstractmethod
    def regex_sql(self, expr: str, pattern: str, ignore_case: bool) -> str:
        """A regex match on a text expression (dialect-specific)."""
        ...

    @abstractmethod
    def instant_predicate(self, cond: Cond) -> str:
        """Compare the instants of a date-time member and a date-time string (dialect-specific)."""

    @abstractmethod
    def not_deleted(self) -> str:
        """The predicate that hides tombstones."""
        ...

    def sort_expr(self, field: Field) -> str:
        """The SQL expression a sort key orders by: a metadata column, a date-time member's instant, an
        indexed member's own index expression (the same value: the page is read from the index), else
        the member's JSON value."""
        if field.meta is not None:
            return _META_COLUMNS[field.meta]
        if field.instant:
            return self.instant_expr(field)
        if len(field.path) == 1 and field.path[0] in self.indexed:
            return self.member_expr(field.path[0])
        return self.value_expr(field)

    @abstractmethod
    def instant_expr(self, field: Field) -> str:
        """The instant of a date-time member (NULL for a value of another form)."""
        ...

    @abstractmethod
    def member_expr(self, member: str) -> str:
        """The expression a top-level member's index is built on."""
        ...

    @abstractmethod
    def value_expr(self, field: Field) -> str:
        """A body member's JSON value, as sorted."""
        ...

    @abstractmethod
    def null_safe_eq(self, expr: str, placeholder: str) -> str:
        """expr equals the parameter, NULL equal to NULL."""
        ...

    def cursor_param(self, field: Field, value: Any) -> str:
        """Bind a cursor value for comparison with sort_expr(field)."""
        return self.param(value)

    def order_by(self, query: Query) -> str:
        """ORDER BY for the sort keys, with id as the final tie-breaker."""
        parts = []
        for key in query.sort:
            expr = self.sort_expr(key.field)
            parts.append(f"{expr} DESC NULLS LAST" if key.descending else f"{expr} ASC NULLS FIRST")
        parts.append("id ASC")
        return ", ".join(parts)

    def keyset(self, query: Query) -> str:
        """Rows strictly after the cursor in the sort order (null-aware, mixed directions).

        The cursor holds a value per sort key then the id, or a prefix of those: rows strictly after
        the values it holds.
        """
        after = query.after or ()
        if not 1 <= len(after) <= len(query.sort) + 1:
            raise InvalidQuery("the cursor does not match the sort keys")
        alternatives = []
        equal_prefix: list[str] = []
        for key, value in zip(query.sort, after, strict=False):
            if key.field.instant:
                raise InvalidQuery("a keyset cursor cannot follow a date-time sort key")
            expr = self.sort_expr(key.field)
            placeholder = "NULL" if value is None else self.cursor_param(key.field, value)
            if key.descending:
                beyond = "1=0" if value is None else f"({expr} < {placeholder} OR {expr} IS NULL)"
            else:
                beyond = f"{expr} IS NOT NULL" if value is None else f"{expr} > {placeholder}"
            alternatives.append(" AND ".join([*equal_prefix, beyond]))
            equal_prefix.append(f"{expr} IS NULL" if value is None else self.null_safe_eq(expr, placeholder))
        if len(after) > len(query.sort):
            alternatives.append(" AND ".join([*equal_prefix, f"id > {self.param(str(after[-1]))}"]))
        return "(" + " OR ".join(f"({a})" for a in alternatives) + ")"


def _refuse_nul(value: Any) -> None:
    # PostgreSQL text and JSONB cannot hold NUL: refused the same way on both stores.
    values = value if isinstance(value, list | tuple) else (value,)
    if any(type(v) is str and "\x00" in v for v in values):
        raise InvalidQuery("a query value may not contain NUL characters", code="invalid_character")


def _count_terms(cond: Condition) -> int:
    if isinstance(cond, AllOf | AnyOf):
        return sum(_count_terms(c) for c in cond.items)
    return 1


def member_index_name(member: str) -> str:
    """The name of the index on one top-level member (hex of the name: any member is safe)."""
    return "documents_member_" + member.encode().hex()


def sqlite_member_expr(member: str) -> str:
    """The expression a SQLite member index is built on; queries must use the very same text.

    Only for the member names the code declares (FILTER_INDEXES), which pass the member grammar
    (no quotes or backslashes) before they are written into SQL.
    """
    return f"json_extract(body, '$.\"{check_path((member,))[0]}\"')"


def postgres_member_expr(member: str) -> str:
    """The expression a PostgreSQL member index is built on (a declared member name, as above).

    The JSONB value, not its text: a sort on the member orders by JSONB (as on any path), so one
    index serves the member's filters and its sorts.
    """
    return f"(body -> '{check_path((member,))[0]}')"


def postgres_value_index_name(member: str) -> str:
    """The name of a PostgreSQL member index (live documents, JSONB value; hex of the name)."""
    return "documents_value_" + member.encode().hex()


def sqlite_json_path(steps: tuple[str, ...], prefix: str = "$") -> str:
    """A SQLite JSON path for validated member names (bound as a parameter, never pasted)."""
    return prefix + "".join(f'."{s}"' for s in check_path(steps))


def direct_string_compare(cond: Cond) -> bool:
    """A case-sensitive comparison of a schema-scalar top-level member with a string."""
    return (
        cond.field.scalar
        and len(cond.field.path) == 1
        and cond.op in _COMPARE
        and isinstance(cond.value, str)
        and not cond.ignore_case
    )


def _jsonpath_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _jsonpath_literal(value: str | int | float | bool) -> str:
    """A JSON scalar as a jsonpath literal (JSON's string escapes are jsonpath's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return orjson.dumps(value).decode()
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidQuery("cannot compare with a non-finite number")
    return repr(value) if isinstance(value, float) else str(value)


class PostgresCompiler(Compiler):
    """PostgreSQL: SQL/JSON path in lax mode (arrays unwrap on their own) for body predicates."""

    placeholder = "%({})s"

    def not_deleted(self) -> str:
        return "NOT deleted"

    def member_expr(self, member: str) -> str:
        return postgres_member_expr(member)

    def value_expr(self, field: Field) -> str:
        return f"(body #> {self.param(list(check_path(field.path)))}::text[])"

    def null_safe_eq(self, expr: str, placeholder: str) -> str:
        return f"{expr} IS NOT DISTINCT FROM {placeholder}"

    def cursor_param(self, field: Field, value: Any) -> str:
        if field.meta is not None:
            return self.param(value)
        return self.param(orjson.dumps(value).decode()) + "::jsonb"

    def body_predicate(self, cond: Cond) -> str:
        if direct_string_compare(cond):
            member = cond.field.path[0]
            if member in self.indexed:
                # JSONB strings compare as their text does (the database's collation), so the
                # member index answers; other JSON types sort apart and the guard drops them.
                expr = postgres_member_expr(member)
                bound = self.param(orjson.dumps(cond.value).decode()) + "::jsonb"
                if cond.op is Op.EQ:  # equal to a string is a string: counted from the index alone
                    return f"{expr} = {bound}"
                return f"({expr} {_COMPARE[cond.op]} {bound} AND jsonb_typeof({expr}) = 'string')"
            expr = f"(body ->> {self.param(member)})"
            guard = f"jsonb_typeof(body -> {self.param(member)}) = 'string'"
            return f"({expr} {_COMPARE[cond.op]} {self.param(cond.value)} AND {guard})"
        path = "$" + "".join("." + _jsonpath_string(s) for s in check_path(cond.field.path))
        if cond.op is Op.EXISTS:
            return f"jsonb_path_exists(body, {self.param(path)}::jsonpath)"
        value = cond.value
        if cond.op is Op.REGEX:
            flag = ' flag "i"' if cond.ignore_case else ""
            expr = f"{path} ? (@ like_regex {_jsonpath_string(value)}{flag})"
            return f"jsonb_path_exists(body, {self.param(expr)}::jsonpath)"
        if cond.ignore_case and isinstance(value, str):
            pattern = "^" + re.escape(value) + "$"
            expr = f'{path} ? (@ like_regex {_jsonpath_string(pattern)} flag "i")'
            if cond.op is not Op.EQ:
                raise InvalidQuery("case-insensitive comparison supports equality only")
            return f"jsonb_path_exists(body, {self.param(expr)}::jsonpath)"
        if value is not None and not isinstance(value, str | int | float | bool):
            raise InvalidQuery(f"cannot compare with a value of type {type(value).__name__}")
        if cond.op is Op.EQ and value is not None:
            # `@?` with the value inside the (bound) path: the GIN jsonb_path_ops index answers it
            # (migration 0011); same lax semantics as jsonb_path_exists with a variable.
            return f"body @? {self.param(f'{path} ? (@ == {_jsonpath_literal(value)})')}::jsonpath"
        operator = "==" if cond.op is Op.EQ else _COMPARE[cond.op]
        expr = f"{path} ? (@ {operator} $v)"
        variables = orjson.dumps({"v": value}).decode()
        return f"jsonb_path_exists(body, {self.param(expr)}::jsonpath, {self.param(variables)}::jsonb)"

    def regex_sql(self, expr: str, pattern: str, ignore_case: bool) -> str:
        operator = "~*" if ignore_case else "~"
        return f"{expr} {operator} {self.param(pattern)}"

    def instant_predicate(self, cond: Cond) -> str:
        return f"({self.instant_expr(cond.field)} {_COMPARE[cond.op]} {self.param(cond.value)}::timestamptz)"

    def instant_expr(self, field: Field) -> str:
        # Cast only what has the form of an RFC 3339 stamp (CASE is lazy): no cast error on other text.
        text = f"(body #>> {self.param(list(check_path(field.path)))}::text[])"
        return f"(CASE WHEN {text} ~ {self.param(RFC3339_PATTERN)} THEN {text}::timestamptz END)"
