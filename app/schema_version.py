"""Start-up schema check: upgrade to head under a lock, or refuse to serve when behind.

Alembic (with Mako and Pygments, about 11 MB) is loaded only where it is used: `flask db ...`
loads it when it runs, and a process that has not loaded it runs the start-up
check in a forked child, so a serving process (and every gunicorn worker forked from it)
never carries the migration tooling.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo
from sqlalchemy import Engine, text

from .extensions import db

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_PG_LOCK_KEY = 742_031_118  # any constant shared by every worker of this app


def init_migrate(app: Flask) -> None:
    """Flask-Migrate on `app` (its `db` commands and settings), once."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)


class _MigrateCommands(click.Group):
    """`flask db ...`: stands in for Flask-Migrate's command group until it is used, then
    sets Flask-Migrate up on the app and hands over (parsing, help and all)."""

    def _real(self, ctx: click.Context | None) -> click.Group:
        app = ctx.ensure_object(ScriptInfo).load_app() if ctx is not None else current_app
        init_migrate(app)
        from flask_migrate.cli import db as group

        assert isinstance(group, click.Group)
        return group

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        return self._real(parent).make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        return ctx.command.invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real(ctx.parent).list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._real(ctx.parent).get_command(ctx, cmd_name)


def register_migrate_commands(app: Flask) -> None:
    """`flask db ...` without loading Flask-Migrate (or Alembic) until it runs."""
    app.cli.add_command(_MigrateCommands("db", help="Perform database migrations."))


def head_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def schema_is_current(engine: Engine) -> bool:
    return current_revisions(engine) == head_revisions()


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise upgrades of workers that start together (advisory lock or lock file)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database or ""
    lock_path = Path(database + ".migrate.lock") if database and database != ":memory:" else None
    if lock_path is None:
        yield
        return
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade_to_head(engine: Engine) -> None:
    with migration_lock(engine):
        if not schema_is_current(engine):
            import flask_migrate

            log.info("upgrading the database schema to %s", ", ".join(sorted(head_revisions())))
            init_migrate(current_app)
            flask_migrate.upgrade(directory=str(MIGRATIONS_DIR))


def _check(auto_migrate: bool) -> bool:
    engine = db.engine
    if auto_migrate:
        upgrade_to_head(engine)
        return True
    if schema_is_current(engine):
        return True
    log.error("the database schema is not up to date: run `flask db upgrade`")
    return False


def _in_child(work: Callable[[], bool]) -> bool:
    """`work()` in a forked child (exit status 0 for True, 1 for False, 2 for an error)."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 2
        try:
            db.engine.dispose(close=False)  # the parent's pooled connections stay its own
            code = 0 if work() else 1
            # Close what the child opened: SQLite folds its write-ahead log into the file
            # when the last connection closes, which os._exit would skip.
            db.engine.dispose()
        except BaseException:
            log.exception("the database schema check failed")
        finally:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise RuntimeError(f"the database schema check failed (status {code}); see the log")
    return code == 0


def ensure_schema(auto_migrate: bool) -> bool:
    """Return True when the schema is at head (after upgrading, if allowed).

    In a process that has not loaded Alembic (a server starting), in a forked child."""
    if "alembic" in sys.modules or not hasattr(os, "fork"):
        return _check(auto_migrate)
    return _in_child(lambda: _check(auto_migrate))
