"""PostgreSQL connection checks: one direct connection with a short timeout, its failure named in one line."""

from __future__ import annotations

import logging
import re

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from offer_catalog.errors import StoreUnavailable

log = logging.getLogger("offer_catalog.store")

CONNECT_TIMEOUT = 5  # seconds: a server that has not answered by then is reported, not waited for

# (pattern in libpq's message, the cause in one line); {where} is host:port, {name} the pattern's group.
_CAUSES: tuple[tuple[str, str], ...] = (
    (
        r'database "([^"]+)" does not exist',
        'database "{name}" does not exist on {where}: run `offer-catalog migrate` to create it',
    ),
    (r'role "([^"]+)" does not exist', 'role "{name}" does not exist on {where}: check the user in the URL'),
    (r"password authentication failed for user \"([^\"]+)\"", 'wrong password for user "{name}" on {where}'),
    (r"(no password supplied)", "the server on {where} asks for a password and the URL gives none"),
    (
        r"(invalid sslmode value: \"[^\"]*\")",
        "{name}: use disable, allow, prefer, require, verify-ca or verify-full",
    ),
    (r"(server does not support SSL)", "the server on {where} does not support SSL but sslmode requires it"),
    (r"(Connection refused)", "nothing listens on {where} (connection refused): is PostgreSQL running?"),
    (r"(timeout expired)", "no answer from {where} within the connect timeout"),
    (r"(could not translate host name \"[^\"]+\")", "{name}: unknown host"),
    (r"failed to resolve host '([^']+)'", 'unknown host "{name}"'),
    (r"(No such file or directory)", "no PostgreSQL socket at {where}"),
    (r"(no pg_hba.conf entry[^\n]*)", "the server refuses this client: {name}"),
)


def _where(url: str) -> str:
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return "the server"
    return f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"


def explain(url: str, exc: BaseException) -> str:
    """One line naming the real cause of a failed connection."""
    text = str(exc)
    where = _where(url)
    for pattern, cause in _CAUSES:
        found = re.search(pattern, text)
        if found:
            return "cannot connect to PostgreSQL: " + cause.format(name=found.group(1), where=where)
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    return f"cannot connect to PostgreSQL on {where}: {first}"


def _connect(url: str, **overrides: str | int) -> psycopg.Connection[tuple[object, ...]]:
    params = conninfo_to_dict(url)
    params.setdefault("connect_timeout", CONNECT_TIMEOUT)
    params.update(overrides)
    return psycopg.connect(make_conninfo("", **params), autocommit=True)


def check_connection(url: str) -> None:
    """Connect once directly; raise StoreUnavailable with the cause in one line when that fails."""
    try:
        _connect(url).close()
    except (psycopg.Error, ValueError) as exc:
        raise StoreUnavailable(explain(url, exc), details={"reason": "connect"}) from None


def database_missing(url: str) -> bool:
    """True when the server answers but the URL's database does not exist."""
    try:
        _connect(url).close()
    except psycopg.OperationalError as exc:
        return re.search(r'database "[^"]+" does not exist', str(exc)) is not None
    except (psycopg.Error, ValueError):
        return False
    return False


def create_database_if_missing(url: str) -> str | None:
    """Create the URL's database (connecting to the server's `postgres` database); return its name if made."""
    if not database_missing(url):
        return None
    name = str(conninfo_to_dict(url).get("dbname") or "")
    try:
        with _connect(url, dbname="postgres") as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.errors.DuplicateDatabase:
        return None  # another migrator made it first
    except (psycopg.Error, ValueError) as exc:
        raise StoreUnavailable(
            f'cannot create database "{name}" on {_where(url)}: {str(exc).strip().splitlines()[0]}',
            details={"reason": "create_database"},
        ) from None
    log.info("created database", extra={"database": name, "server": _where(url)})
    return name
