"""`flask demobank ...`: reset, backup, prune, stats and presentation for operators."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import click
from flask.cli import AppGroup

from .extensions import db
from .housekeeping import prune, reset_everything
from .models import PendingAuthRequest
from .stats import collect, human_bytes
from .verification import current_authorizer

demobank_cli = AppGroup(
    "demobank", help="Operate Demo Bank: reset, backup, prune, stats, presentation."
)


@demobank_cli.command("reset")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset_command(yes: bool) -> None:
    """Delete all accounts, sessions, requests and activity."""
    if not yes:
        click.confirm("Delete ALL demo data (every account and its history)?", abort=True)
    reset_everything()
    click.echo("All demo data deleted.")


@demobank_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Copy the SQLite database to PATH, consistently, while the server runs."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise click.ClickException(
            "backup copies SQLite files only; for PostgreSQL use pg_dump, "
            'for example: pg_dump --format=custom --file=demobank.dump "$DATABASE_URL"'
        )
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise click.ClickException("the database is in memory: nothing to back up")
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source_path) as source, sqlite3.connect(path) as target:
        source.backup(target)  # SQLite's online backup API: consistent under concurrent writes
    click.echo(f"Backed up {source_path} to {path} ({human_bytes(path.stat().st_size)}).")


@demobank_cli.command("prune")
def prune_command() -> None:
    """Delete expired login sessions and verification requests older than a day."""
    pruned = prune()
    click.echo(
        f"Deleted {pruned.sessions} expired sessions and {pruned.requests} "
        "old verification requests."
    )


@demobank_cli.command("stats")
def stats_command() -> None:
    """Row counts and database size."""
    stats = collect()
    click.echo(f"users: {stats.users}")
    click.echo(f"sessions: {stats.sessions} ({stats.active_sessions} active)")
    for status, count in sorted(stats.requests_by_status.items()):
        click.echo(f"verification requests {status}: {count}")
    click.echo(f"activities: {stats.activities}")
    click.echo(f"database size: {human_bytes(stats.database_bytes)}")


@demobank_cli.command("presentation")
@click.argument("request_id")
def presentation_command(request_id: str) -> None:
    """Print what the wallet presented for REQUEST_ID (pending_auth_requests.id) as JSON,
    with everything needed to verify it again independently."""
    from .verification.local.authorizer import LocalAuthorizer
    from .verification.local.export import presentation_document

    authorizer = current_authorizer()
    if not isinstance(authorizer, LocalAuthorizer):
        raise click.ClickException(
            "presentations are kept by the bank's own verifier (AUTHORIZER=sandbox or local); "
            "with Vidos, the authorizer holds them"
        )
    request = db.session.get(PendingAuthRequest, request_id)
    if request is None:
        raise click.ClickException(f"no verification request {request_id}")
    try:
        document = presentation_document(authorizer, request.authorization_id)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))
