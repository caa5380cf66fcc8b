"""`offer-catalog keys create|list|revoke`: API keys, made and revoked by an operator."""

from __future__ import annotations

from typing import Annotated

import typer

from offer_catalog.auth.keys import create_key, list_keys, revoke_key
from offer_catalog.documents.model import Actor
from offer_catalog.errors import DomainError
from offer_catalog.settings import load_settings
from offer_catalog.store import Store, open_store
from offer_catalog.store.base import migrate_if_new

keys_app = typer.Typer(help="API keys (x-api-key or Authorization: Bearer).", no_args_is_help=True)
CLI_ACTOR = Actor(user="offer-catalog-cli", client="offer-catalog-cli")
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="sqlite:///path or postgresql://... (OFFER_CATALOG_DATABASE_URL)"),
]


def _fail(exc: DomainError) -> typer.Exit:
    typer.echo(f"error ({exc.code}): {exc.message}", err=True)
    return typer.Exit(2 if exc.code == "invalid_settings" else 1)


def _open(database_url: str | None) -> Store:
    try:
        store = open_store(load_settings({"database_url": database_url}).database_url, pool_size=1)
        migrate_if_new(store)
    except DomainError as exc:
        raise _fail(exc) from None
    return store


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="What the key is for (recorded as repo:createdBy).")],
    scopes: Annotated[
        str,
        typer.Option("--scopes", help="Comma-separated: catalog:read,catalog:write,decisions,events,admin"),
    ],
    org: Annotated[str, typer.Option("--org", help="The organisation the key acts in.")],
    sandbox: Annotated[
        str | None, typer.Option("--sandbox", help="Restrict the key to one sandbox (default: all).")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a key; its secret is printed once, on the last line, and never stored."""
    store = _open(database_url)
    try:
        with store.unit_of_work(write=True) as uow:
            key, secret = create_key(
                uow,
                name=name,
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                org=org,
                sandbox=sandbox,
                actor=CLI_ACTOR,
            )
    except DomainError as exc:
        raise _fail(exc) from None
    finally:
        store.close()
    typer.echo(f"created key {key.id} {key.name!r} ({', '.join(key.scopes)}) for {org} / {sandbox or '*'}")
    typer.echo("the secret below is shown only now:", err=True)
    typer.echo(secret)


@keys_app.command("list")
def list_(database_url: DatabaseUrl = None) -> None:
    """List keys: id, name, scopes, org, sandbox, created, revoked (never the secret)."""
    store = _open(database_url)
    try:
        with store.unit_of_work() as uow:
            keys = list_keys(uow)
    finally:
        store.close()
    for k in keys:
        fields = (
            k.id,
            k.name,
            ",".join(k.scopes),
            k.org,
            k.sandbox or "*",
            k.created_at,
            k.revoked_at or "-",
        )
        typer.echo("\t".join(fields))


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (keys list).")], database_url: DatabaseUrl = None
) -> None:
    """Revoke a key: it stops working within about a second on every worker."""
    store = _open(database_url)
    try:
        with store.unit_of_work(write=True) as uow:
            key = revoke_key(uow, key_id=key_id, actor=CLI_ACTOR)
    except DomainError as exc:
        raise _fail(exc) from None
    finally:
        store.close()
    typer.echo(f"revoked key {key.id} {key.name!r} at {key.revoked_at}")
