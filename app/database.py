"""Engine set-up and transactions that take the write lock up front."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from .extensions import db

SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
)

_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)


def configure_engine(engine: Engine) -> None:
    """Per-connection pragmas on SQLite, and our own BEGIN so it can be IMMEDIATE."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN; we emit it ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if _immediate.get():
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # seen by statement listeners
        else:
            # Every request's first read starts here: straight to the driver, which costs
            # a tenth of what a statement through SQLAlchemy's execution path does.
            connection.connection.driver_connection.execute("BEGIN")


@contextmanager
def write_transaction(keep_loaded: bool = False) -> Iterator[Session]:
    """Run a read-then-write unit of work in one transaction that commits or rolls back.

    On SQLite the transaction starts with BEGIN IMMEDIATE, taking the write lock before
    the first read, so two writers never both read the old state. On PostgreSQL the
    callers use row locks (`with_for_update`) or conditional updates instead.

    The commits expire what the session has loaded, so it is read again when next used.
    `keep_loaded` keeps it as it is, for a write whose effect the caller already holds: an
    INSERT of the object it returns, a conditional UPDATE of a column checked only before.
    """
    session = db.session()
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = expire_on_commit and not keep_loaded
    token = _immediate.set(True)
    try:
        if session.in_transaction():
            session.commit()
        with session.begin():
            yield session
    finally:
        _immediate.reset(token)
        session.expire_on_commit = expire_on_commit


def in_write_transaction() -> bool:
    return _immediate.get()


def database_ok(timeout_seconds: float = 2.0) -> bool:
    """`SELECT 1` on a fresh connection, bounded in time so /health never hangs."""
    engine = db.engine
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET statement_timeout = {int(timeout_seconds * 1000)}")
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
