"""`offer-catalog hub ...` (subscriptions, dead letters, replay) and `offer-catalog export|import`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from offer_catalog.errors import DomainError, SettingsError
from offer_catalog.events import subscriptions
from offer_catalog.events.transfer import APIS, OFFER_LIBRARY, count, export_lines, export_plan, import_lines
from offer_catalog.settings import load_settings
from offer_catalog.store import Store, open_store
from offer_catalog.store.base import migrate_if_new

hub_app = typer.Typer(help="TMF620 event hub: subscriptions, dead letters, replay.", no_args_is_help=True)
err = Console(stderr=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="sqlite:///path or postgresql://... (OFFER_CATALOG_DATABASE_URL)"),
]
SubscriptionId = Annotated[str, typer.Argument(help="The subscription (hub listener) id.")]


def _fail(exc: DomainError) -> typer.Exit:
    err.print(f"[red]error ({exc.code}):[/red] {exc.message}")
    return typer.Exit(1)


_POOL = 4
"""PostgreSQL connections of a command (opened as needed): an import loads 4 groups side by side."""


def _open(database_url: str | None) -> Store:
    try:
        settings = load_settings({"database_url": database_url})
    except SettingsError as exc:
        err.print(f"[red]invalid configuration:[/red] {exc.message}")
        raise typer.Exit(2) from None
    try:
        store = open_store(settings.database_url, pool_size=_POOL)
        migrate_if_new(store)
    except DomainError as exc:
        raise _fail(exc) from None
    return store


@hub_app.command("list")
def list_(database_url: DatabaseUrl = None) -> None:
    """List subscriptions: id, callback, query."""
    store = _open(database_url)
    try:
        with store.unit_of_work() as uow:
            subs = subscriptions.list_subscriptions(uow)
    finally:
        store.close()
    for sub in subs:
        typer.echo(f"{sub.id}\t{sub.callback}\t{sub.query or ''}")


@hub_app.command("dead-letters")
def dead_letters(subscription: SubscriptionId, database_url: DatabaseUrl = None) -> None:
    """Print a subscription's dead letters as NDJSON (delivery id, event, attempts, last error, payload)."""
    store = _open(database_url)
    try:
        with store.unit_of_work() as uow:
            dead = subscriptions.dead_letters(uow, id=subscription)
    except DomainError as exc:
        raise _fail(exc) from None
    finally:
        store.close()
    for d in dead:
        line = {"delivery": d.id, "eventId": d.event_id, "eventType": d.event_type}
        line.update(attempts=d.attempts, lastError=d.last_error, payload=orjson.loads(d.payload))
        typer.echo(orjson.dumps(line).decode())


@hub_app.command("replay")
def replay(subscription: SubscriptionId, database_url: DatabaseUrl = None) -> None:
    """Queue a subscription's dead letters again (fresh attempts); the running service sends them."""
    store = _open(database_url)
    try:
        with store.unit_of_work(write=True) as uow:
            queued = subscriptions.replay_dead_letters(uow, id=subscription)
    except DomainError as exc:
        raise _fail(exc) from None
    finally:
        store.close()
    typer.echo(f"queued {queued} dead letters again")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )


def export(
    out: Annotated[Path, typer.Option("--out", help="The NDJSON file to write.")],
    api: Annotated[str, typer.Option("--api", help="tmf620 | offer-library")] = "tmf620",
    org: Annotated[str, typer.Option("--org", help="Offer Library organisation.")] = "",
    sandbox: Annotated[str, typer.Option("--sandbox", help="Offer Library sandbox.")] = "",
    container: Annotated[
        str | None, typer.Option("--container", help="One container (default: all).")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Export TMF620 resources or Offer Library containers as NDJSON, one document per line."""
    if api not in APIS:
        err.print(f"[red]error:[/red] --api must be one of {', '.join(APIS)}")
        raise typer.Exit(2)
    if api == OFFER_LIBRARY and not (org and sandbox):
        err.print("[red]error:[/red] --api offer-library needs --org and --sandbox")
        raise typer.Exit(2)
    store = _open(database_url)
    written = 0
    try:
        plan = export_plan(store, api=api, org=org, sandbox=sandbox, container=container)
        with _progress() as progress, out.open("wb") as file:
            task = progress.add_task("export", total=count(store, plan))
            for line in export_lines(store, api=api, plan=plan):
                file.write(line)
                written += 1
                progress.advance(task)
    except DomainError as exc:
        raise _fail(exc) from None
    finally:
        store.close()
    typer.echo(f"exported {written} documents to {out}")


def import_(
    file: Annotated[Path, typer.Argument(help="An NDJSON file made by `offer-catalog export`.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; change nothing.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Import an export file: create or update by id; lines that cannot be applied are reported."""
    if not file.is_file():
        err.print(f"[red]error:[/red] {file} is not a file")
        raise typer.Exit(2)
    store = _open(database_url)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=err) as progress, file.open("rb") as lines:
            task = progress.add_task("dry run" if dry_run else "import", total=file.stat().st_size)
            report = import_lines(store, lines, dry_run=dry_run, advance=lambda n: progress.advance(task, n))
    finally:
        store.close()
    for number, code, message in report.problems:
        typer.echo(f"line {number}: {code}: {message}")
    verb = "would be " if dry_run else ""
    typer.echo(
        f"{verb}created {report.created}, {verb}updated {report.updated}, unchanged {report.unchanged}, "
        f"conflicts {len(report.problems)}"
    )
    if report.problems:
        raise typer.Exit(1)
