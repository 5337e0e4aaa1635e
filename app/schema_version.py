"""Start-up schema check: upgrade to head under a lock, or refuse to serve when behind."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from .extensions import db

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_PG_LOCK_KEY = 742_031_118  # any constant shared by every worker of this app


def head_revisions() -> set[str]:
    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
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
            log.info("upgrading the database schema to %s", ", ".join(sorted(head_revisions())))
            flask_migrate.upgrade(directory=str(MIGRATIONS_DIR))


def ensure_schema(auto_migrate: bool) -> bool:
    """Return True when the schema is at head (after upgrading, if allowed)."""
    engine = db.engine
    if auto_migrate:
        upgrade_to_head(engine)
        return True
    if schema_is_current(engine):
        return True
    log.error("the database schema is not up to date: run `flask db upgrade`")
    return False
