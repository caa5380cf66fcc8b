"""Storage: the only package that knows SQL. SQLite (default) and PostgreSQL behind one interface."""

from __future__ import annotations

from offer_catalog.settings import Settings
from offer_catalog.store.base import QueryLimits, Store, UnitOfWork


def query_limits(settings: Settings) -> QueryLimits:
    """The query limits the settings name (query_budget_ms, max_query_terms)."""
    return QueryLimits(budget_ms=settings.query_budget_ms, max_terms=settings.max_query_terms)


def open_store(database_url: str, *, pool_size: int = 10, limits: QueryLimits | None = None) -> Store:
    """Open the store a database URL names (sqlite:///path or postgresql://...)."""
    if database_url.startswith("sqlite:///"):
        from offer_catalog.store.sqlite import SqliteStore

        return SqliteStore(database_url.removeprefix("sqlite:///"), limits=limits)
    from offer_catalog.store.postgres import PostgresStore

    return PostgresStore(database_url, pool_size=pool_size, limits=limits)


__all__ = ["QueryLimits", "Store", "UnitOfWork", "open_store", "query_limits"]
