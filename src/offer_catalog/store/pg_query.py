"""PostgreSQL list queries: a page from the indexes, deep offsets through an index, totals from the counts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from offer_catalog.documents.model import Document
from offer_catalog.documents.query import AllOf, Cond, Condition, Op, Page, Query
from offer_catalog.errors import InvalidQuery
from offer_catalog.store import pg_counts, pg_fences, pg_ranges
from offer_catalog.store.base import QueryLimits
from offer_catalog.store.pg_write import LazyTransaction
from offer_catalog.store.rows import DOC_COLUMNS, row_to_document
from offer_catalog.store.sqlcompile import PostgresCompiler, direct_string_compare

SELECT = DOC_COLUMNS.replace("body", "body::text")
IDLE = TransactionStatus.IDLE
# From this offset on, a page is found by skipping index entries (kind, id) before reading any row.
_DEEP_OFFSET = 1000


class PostgresQueries:
    """List queries of a PostgreSQL unit of work (mixed into it: its connection, limits, indexes)."""

    conn: psycopg.Connection[tuple[Any, ...]] | LazyTransaction
    limits: QueryLimits
    indexed: set[str]
    paths: set[tuple[str, ...]]
    fenced: set[str]

    def query(self, scope: str, query: Query) -> Page:
        """Documents of the scope that match the query (and their number, when asked)."""
        try:
            if not query.with_total or isinstance(self.conn, LazyTransaction):
                return self._query(scope, query)  # a write unit's statements share its transaction
            if self.conn.info.transaction_status != TransactionStatus.IDLE:
                return self._query(scope, query)
            with self.conn.transaction():
                self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                page = self._query(scope, query, promote=True)
            if page.total is None:
                # Many matches of a countable value: counted from now on, then read from the counts
                # (the first time only, in a snapshot taken after the page's).
                page = Page(items=page.items, total=self._promoted_total(scope, query))
            return page
        except psycopg.errors.QueryCanceled:
            # Every statement runs under the session's statement_timeout (the query budget).
            raise self.limits.exceeded() from None
        except psycopg.errors.InvalidRegularExpression as exc:
            raise InvalidQuery(f"invalid regular expression: {exc}", code="invalid_query") from None

    def _compiler(self) -> PostgresCompiler:
        """A compiler knowing this store's member indexes and query limits."""
        return PostgresCompiler(indexed=self.indexed, max_terms=self.limits.max_terms)

    def _query(self, scope: str, query: Query, *, promote: bool = False) -> Page:
        compiler = self._compiler()
        where = compiler.where(scope, query)
        order = compiler.order_by(query)
        if not query.sort and _path_anchored(query.where) and not self._walk_pays(scope, query):
            # An equality on a body path (GIN) ordered by id only: without statistics on the bodies
            # the planner would walk the id index and filter, visiting the whole scope for a rare
            # value. Sorting the (already counted) matches instead bounds the page by the matches.
            order = "(id || '') ASC"
        page = "" if query.limit is None else f" LIMIT {int(query.limit)}"
        page += f" OFFSET {int(query.offset)}" if query.offset else ""
        sql = f"SELECT {SELECT} FROM documents WHERE {where} ORDER BY {order}{page}"
        if query.offset > _DEEP_OFFSET and pg_fences.applies(query) and query.limit != 0:
            return self._fenced_page(scope, query, promote=promote)
        if query.offset > _DEEP_OFFSET:
            # Skip through an index alone (kind, id: the live index covers them), then read the page.
            inner = f"SELECT kind, id FROM documents WHERE {where} ORDER BY {order}{page}"
            sql = (
                f"SELECT {SELECT} FROM documents WHERE scope = {compiler.param(scope)} "
                f"AND (kind, id) IN ({inner}) ORDER BY {order}"
            )
        if query.lock:
            sql += " FOR SHARE"
        items: list[Document] = []
        if query.limit != 0:
            items = [row_to_document(r) for r in self.conn.execute(sql.encode(), compiler.params).fetchall()]
        total = self._total(scope, query, promote=promote) if query.with_total else None
        return Page(items=items, total=total)

    def _walk_pays(self, scope: str, query: Query) -> bool:
        """True when walking the id order finds the page sooner than sorting every match.

        Spread evenly, the matches of a counted value turn up every live / matches documents: the
        walk reads about window x live / matches rows, the sort every match (20,000 for a category of
        1,000,000 offerings, where the walk reads about 1,000).
        """
        count = pg_counts.counted(query, self.indexed, self.paths)
        if count is None or count.key == "":
            return False
        matches = pg_counts.read(self.conn, scope, count)
        live = pg_counts.read(self.conn, scope, pg_counts.Counted(count.kind, "", "", ("",), None))
        if not matches or not live:
            return False
        window = query.offset + (live if query.limit is None else query.limit)
        return matches * matches > window * live

    def _fenced_page(self, scope: str, query: Query, *, promote: bool) -> Page:
        """A deep page in id order: jump by the fences' counts, then walk the rest of the index."""
        params = pg_fences.page_params(scope, query.kinds[0], query.offset)
        rows = self.conn.execute(pg_fences.page_sql(SELECT, query.limit).encode(), params).fetchall()
        items = [row_to_document(r[:-1]) for r in rows]
        conn = self.conn
        long_walk = bool(rows) and int(rows[0][-1]) > pg_fences.SPLIT_AT
        if long_walk and isinstance(conn, psycopg.Connection) and conn.info.transaction_status == IDLE:
            # The walk past the fence was long: its bucket is split for the next pages (once).
            pg_fences.split(conn, scope, query.kinds[0], query.offset)
        total = self._total(scope, query, promote=promote) if query.with_total else None
        return Page(items=items, total=total)

    def _total(self, scope: str, query: Query, *, promote: bool = False) -> int | None:
        """The number of matches: from the counts, else counted (bounded first, then in full).

        None (with `promote`) when the matches are many and their value countable: the caller
        promotes it (pg_counts.promote needs transactions of its own), then reads the counts.
        """
        count = pg_counts.counted(query, self.indexed, self.paths)
        if count is not None:
            total = pg_counts.read(self.conn, scope, count)
            if total is not None:
                return total
        fenced = pg_ranges.bounds(query, self.fenced)
        if fenced is not None:
            # A range: the buckets inside it, and the matches of the bucket at each end; values of
            # many matches: their own buckets.
            total = pg_ranges.total(self.conn, scope, query.kinds[0], fenced, opening=not fenced.ranged)
            if total is not None:
                return total
        counter = self._compiler()
        where = counter.where(scope, query)
        bounded = (
            f"SELECT count(*) FROM (SELECT 1 FROM documents WHERE {where} LIMIT {pg_counts.THRESHOLD + 1}) m"
        )
        row = self.conn.execute(bounded.encode(), counter.params).fetchone()
        if row is not None and int(row[0]) <= pg_counts.THRESHOLD:
            return int(row[0])
        if fenced is not None and not fenced.ranged:
            # Many matches of a member's values: their buckets, no promotion needed.
            total = pg_ranges.total(self.conn, scope, query.kinds[0], fenced)
            if total is not None:
                return total
        if count is not None and promote:
            return None
        row = self.conn.execute(
            f"SELECT count(*) FROM documents WHERE {where}".encode(), counter.params
        ).fetchone()
        return int(row[0]) if row else 0

    def _promoted_total(self, scope: str, query: Query) -> int:
        """Promote the query's countable value(s), then its total from the counts (or counted in full)."""
        count = pg_counts.counted(query, self.indexed, self.paths)
        assert count is not None and isinstance(self.conn, psycopg.Connection)

        def where(value: str) -> tuple[str, Any]:
            compiler = self._compiler()
            one = replace(query, where=Cond(count.field, Op.EQ, value)) if count.field else query
            return compiler.where(scope, one), compiler.params

        pg_counts.promote(self.conn, scope, count, where)
        total = pg_counts.read(self.conn, scope, count)
        if total is not None:
            return total
        counter = self._compiler()
        sql = f"SELECT count(*) FROM documents WHERE {counter.where(scope, query)}"
        row = self.conn.execute(sql.encode(), counter.params).fetchone()
        return int(row[0]) if row else 0


def _path_anchored(where: Condition | None) -> bool:
    """True when the filter requires an equality that compiles to `body @? path` (the GIN index)."""
    if isinstance(where, AllOf):
        return any(_path_anchored(item) for item in where.items)
    return (
        isinstance(where, Cond)
        and where.field.meta is None
        and where.op is Op.EQ
        and not where.ignore_case
        and type(where.value) in (str, int, float, bool)
        and not direct_string_compare(where)
    )
