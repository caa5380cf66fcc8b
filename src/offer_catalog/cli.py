"""The command line: serve, migrate, and the dialects' own commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from offer_catalog.auth.cli import keys_app
from offer_catalog.decisioning.cli import decide, decide_batch_command, report
from offer_catalog.errors import DomainError, SettingsError
from offer_catalog.events import cli as events_cli
from offer_catalog.offer_library.cli import containers_app
from offer_catalog.settings import Settings, load_settings, settings_to_env

app = typer.Typer(
    name="offer-catalog",
    help="Self-hosted offer catalog and offer decisioning (Offer Library API and TMF620).",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(containers_app, name="containers")
app.add_typer(keys_app, name="keys")
app.command("decide")(decide)
app.add_typer(events_cli.hub_app, name="hub")
app.command("export")(events_cli.export)
app.command("import")(events_cli.import_)
app.command("report")(report)
app.command("decide-batch")(decide_batch_command)
err = Console(stderr=True, soft_wrap=True)  # one message, one line: no wrapping at 80 columns


def package_version() -> str:
    """The installed distribution's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("offer-catalog")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"offer-catalog {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Self-hosted offer catalog and offer decisioning (Offer Library API and TMF620)."""


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
    insecure: Annotated[
        bool | None, typer.Option("--insecure", help="Serve a non-loopback address without authentication.")
    ] = None,
) -> None:
    """Start the HTTP service (migrates an empty database first)."""
    import uvicorn

    from offer_catalog import protocol
    from offer_catalog.app import create_app, prepare_store
    from offer_catalog.auth.exposure import check_exposure
    from offer_catalog.store import open_store

    settings = settings_or_exit(
        host=host,
        port=port,
        database_url=database_url,
        workers=workers,
        log_level=log_level,
        insecure=insecure,
    )
    from offer_catalog.logs import configure_logging

    configure_logging(settings.log_level)  # what start-up logs is JSON too
    try:
        store = open_store(settings.database_url, pool_size=settings.pool_size)
        prepare_store(store)
        check_exposure(settings, store)
        store.close()
    except DomainError as exc:
        raise fail(exc) from None
    from offer_catalog.logs import uvicorn_log_config

    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "log_config": uvicorn_log_config(settings.log_level),
        "access_log": False,
        "server_header": False,
        "http": protocol.PROTOCOL,
    }
    protocol.configure(settings)
    made = None
    if settings.workers > 1:
        os.environ.update(settings_to_env(settings))
        made = prepare_multiprocess_metrics()
        config = uvicorn.Config(
            "offer_catalog.app:app_from_env", factory=True, workers=settings.workers, **common
        )
    else:
        config = uvicorn.Config(create_app(settings), **common)
    try:
        serve_bound(config)
    finally:
        if made is not None:
            import shutil

            shutil.rmtree(made, ignore_errors=True)


def prepare_multiprocess_metrics() -> str | None:
    """Give the workers a fresh folder for their metric samples (unless one is set); return it if made."""
    import tempfile

    from offer_catalog.metrics import MULTIPROC_ENV

    if os.environ.get(MULTIPROC_ENV):
        return None
    made = os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="offer-catalog-metrics-")
    return made


def serve_bound(config: Any) -> None:
    """Bind the listening socket first (a port in use fails here, before start-up), then serve on it."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    sock = config.bind_socket()  # logs the bind error and exits with status 3
    server = uvicorn.Server(config)
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            server.run(sockets=[sock])
    finally:
        sock.close()
    if not server.started and config.workers == 1:
        raise typer.Exit(3)


@app.command()
def migrate(database_url: DatabaseUrl = None) -> None:
    """Apply pending schema migrations (and create the list filters' member indexes)."""
    from offer_catalog.app import MEMBER_INDEXES, PATH_INDEXES
    from offer_catalog.store import open_store

    settings = settings_or_exit(database_url=database_url)
    try:
        if not settings.is_sqlite:
            from offer_catalog.store.pg_connect import create_database_if_missing

            created = create_database_if_missing(settings.database_url)
            if created:
                typer.echo(f'created database "{created}"')
        store = open_store(settings.database_url, pool_size=1)
        applied = store.migrate()
        store.ensure_member_indexes(MEMBER_INDEXES)
        store.ensure_path_indexes(PATH_INDEXES)
        store.close()
    except DomainError as exc:
        raise fail(exc) from None
    if applied:
        typer.echo(f"applied migrations: {', '.join(map(str, applied))}")
    else:
        typer.echo("database is up to date")


Force = Annotated[bool, typer.Option("--force", help="Overwrite an existing file or database.")]


def _on_database_file(database_url: str | None, copy: Callable[[Path], int]) -> int:
    """Run a backup or restore against the configured SQLite file; a refusal exits with its error."""
    from offer_catalog.store.backup import sqlite_path

    settings = settings_or_exit(database_url=database_url)
    try:
        return copy(sqlite_path(settings.database_url))
    except DomainError as exc:
        raise fail(exc) from None


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the copy.")],
    database_url: DatabaseUrl = None,
    force: Force = False,
) -> None:
    """Copy the SQLite database (also while the service runs) to FILE, consistent as of one commit."""
    from offer_catalog.store.backup import backup as copy_out

    count = _on_database_file(database_url, lambda database: copy_out(database, file, force=force))
    typer.echo(f"backed up {count} documents to {file}")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `offer-catalog backup`.")],
    database_url: DatabaseUrl = None,
    force: Force = False,
) -> None:
    """Put a backup in place of the SQLite database (an existing database only with --force)."""
    from offer_catalog.store.backup import restore as copy_in

    count = _on_database_file(database_url, lambda database: copy_in(file, database, force=force))
    typer.echo(f"restored {count} documents from {file}")


def main() -> None:
    """Entry point of the `offer-catalog` command."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        sys.exit(130)
