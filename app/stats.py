"""Row counts and database size, for the admin page and `flask demobank stats`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from .db_types import utcnow
from .extensions import db
from .models import Activity, LoginSession, PendingAuthRequest, User


@dataclass(frozen=True)
class Stats:
    users: int
    active_sessions: int
    sessions: int
    requests_by_status: dict[str, int]
    activities: int
    database_bytes: int | None


def database_size() -> int | None:
    engine = db.engine
    if engine.dialect.name == "postgresql":
        return int(db.session.scalar(text("SELECT pg_database_size(current_database())")) or 0)
    path = engine.url.database
    if not path or path == ":memory:":
        return None
    files = [Path(path), Path(path + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists())


def _count(model: type[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def collect() -> Stats:
    by_status = dict(
        db.session.execute(
            select(PendingAuthRequest.status, func.count()).group_by(PendingAuthRequest.status)
        ).all()
    )
    active = db.session.scalar(
        select(func.count()).select_from(LoginSession).where(LoginSession.expires_at > utcnow())
    )
    return Stats(
        users=_count(User),
        active_sessions=active or 0,
        sessions=_count(LoginSession),
        requests_by_status={k: int(v) for k, v in by_status.items()},
        activities=_count(Activity),
        database_bytes=database_size(),
    )


def human_bytes(size: int | None) -> str:
    if size is None:
        return "unknown"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover
