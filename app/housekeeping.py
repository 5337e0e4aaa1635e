"""Reset and prune: the one place that knows every table.

The bank's own tables are listed here; a part of the app with tables of its own (the
sandbox) registers them with `register_table`, so the bank never imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from .database import write_transaction
from .db_types import utcnow
from .extensions import Model
from .flows.requests import delete_stale_requests
from .login_sessions import delete_expired_sessions
from .models import ALL_MODELS

REQUEST_RETENTION = timedelta(days=1)
_registered: list[type[Model]] = []


def register_table(model: type[Model]) -> None:
    """Empty `model`'s table too on a reset (rows of it are deleted before the bank's)."""
    if model not in _registered:
        _registered.append(model)


def reset_everything() -> None:
    """Empty every table in one transaction."""
    with write_transaction() as session:
        for model in (*_registered, *ALL_MODELS):
            session.execute(delete(model))


@dataclass(frozen=True)
class Pruned:
    sessions: int
    requests: int


def prune(now: datetime | None = None) -> Pruned:
    """Delete expired login sessions and verification requests older than a day."""
    now = now or utcnow()
    with write_transaction():
        return Pruned(
            sessions=delete_expired_sessions(now),
            requests=delete_stale_requests(REQUEST_RETENTION, now),
        )
