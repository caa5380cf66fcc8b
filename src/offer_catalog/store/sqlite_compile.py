"""The SQLite dialect of the query compiler: JSON1 functions, member indexes, the path index table."""

from __future__ import annotations

from typing import Any

import orjson

from offer_catalog.documents.query import AllOf, Cond, Field, Op, Query
from offer_catalog.errors import InvalidQuery
from offer_catalog.store.sqlcompile import (
    COMPARE,
    MAX_INT64,
    Compiler,
    direct_string_compare,
    sqlite_json_path,
    sqlite_member_expr,
)


class SqliteCompiler(Compiler):
    """SQLite JSON1: json_extract/json_type/json_each; arrays expanded with EXISTS over json_each."""

    placeholder = ":{}"
    # Rows of a page in id order whose filter is one path equality (set by `where`), else None.
    bound: int | None = None

    @staticmethod
    def source(query: Query) -> str:
        """The FROM source: a lookup by "@id" is told to use its index.

        Without statistics SQLite prefers the (scope, id) index, which yields rows in id order, and
        scans the whole scope instead of looking the few ids up.
        """
        where = query.where
        terms = where.items if isinstance(where, AllOf) else (where,)
        for term in terms:
            if (
                isinstance(term, Cond)
                and term.field.meta == "at_id"
                and term.op in (Op.EQ, Op.IN)
                and not term.ignore_case
            ):
                return "documents INDEXED BY documents_scope_at_id"
        return "documents"

    def not_deleted(self) -> str:
        return "deleted = 0"

    def instant_expr(self, field: Field) -> str:
        return f"julianday(upper(json_extract(body, {self.param(sqlite_json_path(field.path))})))"

    def member_expr(self, member: str) -> str:
        return sqlite_member_expr(member)

    def value_expr(self, field: Field) -> str:
        return f"json_extract(body, {self.param(sqlite_json_path(field.path))})"

    def null_safe_eq(self, expr: str, placeholder: str) -> str:
        return f"{expr} IS {placeholder}"

    def cursor_param(self, field: Field, value: Any) -> str:
        if isinstance(value, dict | list):
            value = orjson.dumps(value).decode()
        return self.param(value)

    def where(self, scope: str, query: Query, *, with_cursor: bool = True) -> str:
        # A page in id order whose whole filter is equality on an indexed path: the path rows of the
        # value (live documents only, one per document) are in id order, so the page's documents are
        # the first offset + limit of them; the subquery reads those instead of every match. Not for a
        # query that asks its total, which counts with the same clause.
        cond = query.where
        self.bound = None
        if (
            isinstance(cond, Cond)
            and cond.op is Op.EQ
            and not query.sort
            and query.after is None
            and not query.with_total
            and not query.include_deleted
            and query.limit is not None
            and query.offset + query.limit <= MAX_INT64
        ):
            self.bound = query.offset + query.limit
        return super().where(scope, query, with_cursor=with_cursor)

    def body_predicate(self, cond: Cond) -> str:
        if (
            cond.field.path in self.paths
            and len(self.kinds) == 1
            and cond.op in COMPARE
            and isinstance(cond.value, str)
            and not cond.ignore_case
        ):
            # Only strings compare with a string: the path's indexed string values answer it.
            page = "" if self.bound is None else f" ORDER BY id LIMIT {int(self.bound)}"
            return (
                f"id IN (SELECT id FROM document_paths WHERE scope = {self.param(self.scope)} "
                f"AND kind = {self.param(self.kinds[0])} AND path = {self.param('.'.join(cond.field.path))} "
                f"AND value {COMPARE[cond.op]} {self.param(cond.value)}{page})"
            )
        if direct_string_compare(cond):
            # Only a JSON string extracts to TEXT: no type guard needed, and a member index applies.
            member = cond.field.path[0]
            if member in self.indexed:
                expr = sqlite_member_expr(member)
            else:
                expr = f"json_extract(body, {self.param(sqlite_json_path((member,)))})"
            return f"{expr} {COMPARE[cond.op]} {self.param(cond.value)}"
        leaf = self._leaf(cond)
        return self._walk("body", "$", cond.field.path, leaf, 0)

    def _walk(self, src: str, prefix: str, path: tuple[str, ...], leaf: Any, depth: int) -> str:
        jp = sqlite_json_path(path[:1], prefix)
        rest = path[1:]
        alias = f"j{depth}"
        bound = self.param(jp)
        each = f"EXISTS (SELECT 1 FROM json_each({src}, {bound}) AS {alias} WHERE "
        if not rest:
            if leaf.exists_only:
                return f"json_type({src}, {bound}) IS NOT NULL"
            # One JSON parse per row: json_each yields the value itself for a scalar and the
            # elements for an array; members of an object (text keys) are not values of the path.
            return f"{each}typeof({alias}.key) <> 'text' AND {leaf(f'{alias}.value', f'{alias}.type')})"
        nested = self._walk(f"{alias}.value", "$", rest, leaf, depth + 1)
        through = self._walk(src, jp, rest, leaf, depth)
        return (
            f"(CASE json_type({src}, {bound}) WHEN 'array' THEN {each}{alias}.type = 'object' AND {nested})"
            f" ELSE {through} END)"
        )

    def _leaf(self, cond: Cond) -> Any:
        compiler = self
        value = cond.value

        def leaf(value_sql: str, type_sql: str) -> str:
            if cond.op is Op.REGEX:
                return f"({type_sql} = 'text' AND {compiler.regex_sql(value_sql, value, cond.ignore_case)})"
            guard = _sqlite_type_guard(type_sql, value)
            if cond.ignore_case and isinstance(value, str):
                return f"({guard} AND lower({value_sql}) {COMPARE[cond.op]} lower({compiler.param(value)}))"
            bound = compiler.param(None if value is None else value)
            if value is None:
                return f"({type_sql} = 'null')" if cond.op is Op.EQ else "1=0"
            return f"({guard} AND {value_sql} {COMPARE[cond.op]} {bound})"

        leaf.exists_only = cond.op is Op.EXISTS  # type: ignore[attr-defined]
        return leaf

    def regex_sql(self, expr: str, pattern: str, ignore_case: bool) -> str:
        return f"oc_regexp({self.param(pattern)}, {expr}, {1 if ignore_case else 0})"

    def instant_predicate(self, cond: Cond) -> str:
        # julianday() reads the zone of an RFC 3339 stamp (Z or +hh:mm); anything else is NULL.
        stamp = f"upper(json_extract(body, {self.param(sqlite_json_path(cond.field.path))}))"
        return f"julianday({stamp}) {COMPARE[cond.op]} julianday({self.param(cond.value)})"


def _sqlite_type_guard(type_sql: str, value: Any) -> str:
    if isinstance(value, bool):
        return f"{type_sql} IN ('true', 'false')"
    if isinstance(value, int | float):
        return f"{type_sql} IN ('integer', 'real')"
    if isinstance(value, str):
        return f"{type_sql} = 'text'"
    if value is None:
        return f"{type_sql} = 'null'"
    raise InvalidQuery(f"cannot compare with a value of type {type(value).__name__}")
