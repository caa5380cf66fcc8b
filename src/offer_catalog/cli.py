"""The command line: serve, migrate, and the dialects' own commands."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from offer_catalog.decisioning.cli import decide, decide_batch_command, report
from offer_catalog.errors import DomainError, SettingsError
from offer_catalog.offer_library.cli import containers_app
from offer_catalog.settings import Settings, load_settings, settings_to_env

app = typer.Typer(
    name="offer-catalog",
    help="Self-hosted offer catalog and offer decisioning (Offer Library API and TMF620).",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(containers_app, name="containers")
app.command("decide")(decide)
app.command("report")(report)
app.command("decide-batch")(decide_batch_command)
err = Console(stderr=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="sqlite:///path or postgresql://... (OFFER_CATALOG_DATABASE_URL)"),
]


def settings_or_exit(**overrides: Any) -> Settings:
    """Load settings, or print what is wrong and exit with status 2."""
    try:
        return load_settings(overrides)
    except SettingsError as exc:
        err.print(f"[red]invalid configuration:[/red] {exc.message}")
        raise typer.Exit(2) from None


def fail(exc: DomainError) -> typer.Exit:
    """Print a domain error and give the exit to raise."""
    err.print(f"[red]error ({exc.code}):[/red] {exc.message}")
    return typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 8080).")] = None,
    database_url: DatabaseUrl = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (more than 1 needs PostgreSQL).")
    ] = None,
    log_level: Annotated[str | None, typer.Option(help="critical|error|warning|info|debug")] = None,
) -> None:
    """Start the HTTP service (migrates an empty database first)."""
    import uvicorn

    from offer_catalog import protocol
    from offer_catalog.app import create_app, prepare_store
    from offer_catalog.store import open_store

    settings = settings_or_exit(
        host=host, port=port, database_url=database_url, workers=workers, log_level=log_level
    )
    try:
        store = open_store(settings.database_url, pool_size=settings.pool_size)
        prepare_store(store)
        store.close()
    except DomainError as exc:
        raise fail(exc) from None
    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,
        "server_header": False,
        "http": protocol.PROTOCOL,
    }
    protocol.configure(settings)
    if settings.workers > 1:
        os.environ.update(settings_to_env(settings))
        uvicorn.run("offer_catalog.app:app_from_env", factory=True, workers=settings.workers, **common)
    else:
        uvicorn.run(create_app(settings), **common)


@app.command()
def migrate(database_url: DatabaseUrl = None) -> None:
    """Apply pending schema migrations (and create the list filters' member indexes)."""
    from offer_catalog.app import MEMBER_INDEXES
    from offer_catalog.store import open_store

    settings = settings_or_exit(database_url=database_url)
    try:
        store = open_store(settings.database_url, pool_size=1)
        applied = store.migrate()
        store.ensure_member_indexes(MEMBER_INDEXES)
        store.close()
    except DomainError as exc:
        raise fail(exc) from None
    if applied:
        typer.echo(f"applied migrations: {', '.join(map(str, applied))}")
    else:
        typer.echo("database is up to date")


def main() -> None:
    """Entry point of the `offer-catalog` command."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        sys.exit(130)
