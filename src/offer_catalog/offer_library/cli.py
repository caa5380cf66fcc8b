"""`offer-catalog containers create|list`: containers are made by an operator, then used over the API."""

from __future__ import annotations

from typing import Annotated

import typer

from offer_catalog.documents.model import Actor
from offer_catalog.errors import DomainError, SettingsError
from offer_catalog.offer_library.containers import create_container, list_containers
from offer_catalog.settings import Settings, load_settings
from offer_catalog.store import Store, open_store
from offer_catalog.store.base import migrate_if_new

containers_app = typer.Typer(
    help="Offer Library containers (one organisation and sandbox each).", no_args_is_help=True
)

CLI_ACTOR = Actor(user="offer-catalog-cli", client="offer-catalog-cli")

Org = Annotated[str, typer.Option("--org", help="Organisation (the x-gw-ims-org-id callers send).")]
Sandbox = Annotated[str, typer.Option("--sandbox", help="Sandbox (the x-sandbox-name callers send).")]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="sqlite:///path or postgresql://... (OFFER_CATALOG_DATABASE_URL)"),
]


def _fail(message: str, status: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(status)


def _settings(database_url: str | None) -> Settings:
    try:
        return load_settings({"database_url": database_url})
    except SettingsError as exc:
        raise _fail(f"invalid configuration: {exc.message}", 2) from None


def _open(settings: Settings) -> Store:
    """Open the store, migrating an empty database (as `serve` does)."""
    try:
        store = open_store(settings.database_url, pool_size=1)
        migrate_if_new(store)
    except DomainError as exc:
        raise _fail(f"({exc.code}) {exc.message}") from None
    return store


@containers_app.command("create")
def create(
    org: Org,
    sandbox: Sandbox,
    name: Annotated[str, typer.Option("--name", help="Container name (repo:name).")],
    database_url: DatabaseUrl = None,
) -> None:
    """Create a container; its id is printed on the last line."""
    store = _open(_settings(database_url))
    try:
        with store.unit_of_work(write=True) as uow:
            doc = create_container(uow, org=org, sandbox=sandbox, name=name, actor=CLI_ACTOR)
    except DomainError as exc:
        raise _fail(f"({exc.code}) {exc.message}") from None
    finally:
        store.close()
    typer.echo(f"created container {name!r} for {org} / {sandbox}")
    typer.echo(doc.id)


@containers_app.command("list")
def list_(org: Org, sandbox: Sandbox, database_url: DatabaseUrl = None) -> None:
    """List a tenant's containers: id, name, creation date."""
    store = _open(_settings(database_url))
    try:
        with store.unit_of_work() as uow:
            docs = list_containers(uow, org=org, sandbox=sandbox)
    finally:
        store.close()
    for doc in docs:
        typer.echo(f"{doc.id}\t{doc.body.get('repo:name')}\t{doc.created_at}")
