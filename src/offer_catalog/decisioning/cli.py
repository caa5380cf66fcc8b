"""`offer-catalog decide` (one decision, printed as the API answers it) and `report` (a Rich table)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from offer_catalog.decisioning.batch import decide_batch
from offer_catalog.decisioning.feedback import report as build_report
from offer_catalog.decisioning.feedback import window
from offer_catalog.decisioning.request import DecisionRequestError
from offer_catalog.decisioning.service import Caches, decide_now, response_body
from offer_catalog.documents.model import Actor
from offer_catalog.errors import DomainError, NotFound
from offer_catalog.offer_library.containers import require_container
from offer_catalog.offer_library.tenancy import Caller
from offer_catalog.patch import PatchError, parse_json
from offer_catalog.settings import load_settings
from offer_catalog.store import Store, open_store
from offer_catalog.store.base import UnitOfWork

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="sqlite:///path or postgresql://... (OFFER_CATALOG_DATABASE_URL)"),
]
CLI_ACTOR = Actor(user="offer-catalog-cli", client="offer-catalog-cli")


def _fail(message: str, status: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(status)


def read_profile(path: str) -> dict[str, Any]:
    """The profile of a file (`-` for stdin): one `xdm:profiles` entry (identity map, profile data)."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read profile file {path!r}: {exc.strerror or exc}", 2) from None
    try:
        profile = parse_json(data)
    except PatchError as exc:
        raise _fail(f"profile file {path!r} is not valid JSON: {exc}", 2) from None
    if not isinstance(profile, dict):
        raise _fail(f"profile file {path!r} must hold a JSON object (one profile)", 2)
    return profile


def _open(database_url: str | None) -> Store:
    try:
        settings = load_settings({"database_url": database_url})
        store = open_store(settings.database_url, pool_size=2)
        pending = store.pending_migrations()
    except DomainError as exc:
        raise _fail(f"({exc.code}) {exc.message}", 2) from None
    if pending:
        store.close()
        raise _fail(f"the database is not ready (pending migrations {pending}): run `offer-catalog migrate`")
    return store


def decide(
    container: Annotated[str, typer.Option("--container", help="Container id.")],
    activity: Annotated[str, typer.Option("--activity", help="Activity (decision) @id.")],
    placement: Annotated[str, typer.Option("--placement", help="Placement @id.")],
    profile: Annotated[
        str,
        typer.Option(
            "--profile", help="JSON file with one profile (xdm:identityMap, xdm:profileData); - reads stdin."
        ),
    ],
    org: Annotated[
        str | None, typer.Option("--org", help="Check the container belongs to this organisation.")
    ] = None,
    sandbox: Annotated[str | None, typer.Option("--sandbox", help="... and to this sandbox.")] = None,
    items: Annotated[int, typer.Option("--items", help="Options wanted (1-30).")] = 1,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Obey caps but count nothing.")] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add why each candidate offer was proposed or left out.")
    ] = False,
    include_content: Annotated[
        bool, typer.Option("--content/--no-content", help="Include offer content.")
    ] = True,
    database_url: DatabaseUrl = None,
) -> None:
    """Decide offers for one profile and print the response JSON (counters count unless --dry-run)."""
    if (org is None) != (sandbox is None):
        raise _fail("give both --org and --sandbox, or neither", 2)
    body = {
        "xdm:propositionRequests": [
            {"xdm:activityId": activity, "xdm:placementId": placement, "xdm:itemCount": items}
        ],
        "xdm:profiles": [read_profile(profile)],
        "xdm:responseFormat": {"xdm:includeContent": include_content},
        "xdm:dryRun": dry_run,
        "xdm:explain": explain,
    }
    store = _open(database_url)
    try:
        result = _decide(store, container, body, org, sandbox)
    finally:
        store.close()
    typer.echo(orjson.dumps(response_body(result), option=orjson.OPT_INDENT_2).decode())


def _decide(store: Store, container: str, body: dict[str, Any], org: str | None, sandbox: str | None) -> Any:
    def check(uow: UnitOfWork) -> None:
        if org is not None and sandbox is not None:
            require_container(uow, Caller(org=org, sandbox=sandbox, actor=CLI_ACTOR), container)
        elif uow.last_event_seq(container) == 0:
            raise NotFound(f"container {container!r} holds no instances (unknown id?)")

    try:
        decision = decide_now(store, container_id=container, request_body=body, caches=Caches(), check=check)
    except DecisionRequestError as exc:
        where = f" at {exc.pointer}" if exc.pointer else ""
        raise _fail(f"({exc.code}) {exc.message}{where}") from None
    except DomainError as exc:
        raise _fail(f"({exc.code}) {exc.message}") from None
    return decision.result


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2%}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
    return str(value)


REPORT_COLUMNS = (
    ("decisions", "Decisions"),
    ("proposals", "Proposed"),
    ("impressions", "Impressions"),
    ("clicks", "Clicks"),
    ("ctr", "CTR"),
    ("fallbackRate", "Fallback rate"),
    ("cappedOut", "Capped out"),
    ("customEvents", "Custom events"),
)


def report(
    container: Annotated[str, typer.Option("--container", help="Container id.")],
    group_by: Annotated[str, typer.Option("--group-by", help="activity, placement or offer.")] = "activity",
    start: Annotated[
        str | None, typer.Option("--from", help="Window start, RFC 3339 (default: 7 days before --to).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Window end, RFC 3339 (default: now).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON the HTTP API answers.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Decisions, impressions, clicks, CTR, fallback rate and caps met per group, as a table."""
    store = _open(database_url)
    try:
        lower, upper = window(start, end, datetime.now(UTC))
        data = build_report(store, container_id=container, start=lower, end=upper, group_by=group_by)
    except DomainError as exc:
        raise _fail(f"({exc.code}) {exc.message}") from None
    finally:
        store.close()
    if as_json:
        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=f"{container}: {data['from']} .. {data['to']} by {group_by}")
    table.add_column(group_by.capitalize(), overflow="fold")
    for _key, title in REPORT_COLUMNS:
        table.add_column(title, justify="right")
    for row in data["rows"]:
        table.add_row(row[group_by], *(_cell(row[key]) for key, _title in REPORT_COLUMNS))
    Console(width=200).print(table)


def decide_batch_command(
    profiles: Annotated[Path, typer.Argument(help="NDJSON file: one xdm:profiles entry per line.")],
    out: Annotated[Path, typer.Option("--out", help="NDJSON file to write, one response per line.")],
    container: Annotated[str, typer.Option("--container", help="Container id.")],
    activity: Annotated[
        list[str], typer.Option("--activity", help="Activity @id (repeat, paired with --placement).")
    ],
    placement: Annotated[
        list[str], typer.Option("--placement", help="Placement @id for the --activity at the same position.")
    ],
    items: Annotated[int, typer.Option("--items", help="Options wanted per scope (1-30).")] = 1,
    database_url: DatabaseUrl = None,
) -> None:
    """Decide for every profile of an NDJSON file with counters frozen for the job (nothing counted)."""
    if len(activity) != len(placement):
        raise _fail("give one --placement per --activity", 2)
    try:
        total = sum(1 for line in profiles.open("rb") if line.strip())
    except OSError as exc:
        raise _fail(f"cannot read profiles file {str(profiles)!r}: {exc.strerror or exc}", 2) from None
    store = _open(database_url)
    try:
        with (
            profiles.open("rb") as source,
            out.open("wb") as sink,
            Progress(
                TextColumn("deciding"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
            ) as bar,
        ):
            task = bar.add_task("deciding", total=total)
            result = decide_batch(
                store,
                container_id=container,
                scopes=[(a, p, items) for a, p in zip(activity, placement, strict=True)],
                lines=source,
                out=sink,
                now=datetime.now(UTC),
                caches=Caches(),
                check=lambda uow: _known(uow, container),
                progress=lambda done: bar.update(task, completed=done),
            )
    except DecisionRequestError as exc:
        where = f" at {exc.pointer}" if exc.pointer else ""
        raise _fail(f"({exc.code}) {exc.message}{where}") from None
    except DomainError as exc:
        raise _fail(f"({exc.code}) {exc.message}") from None
    finally:
        store.close()
    typer.echo(f"{result.decided} decided, {result.failed} failed -> {out}")
    if result.failed:
        raise typer.Exit(1)


def _known(uow: UnitOfWork, container: str) -> None:
    if uow.last_event_seq(container) == 0:
        raise NotFound(f"container {container!r} holds no instances (unknown id?)")
