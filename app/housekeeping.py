"""Reset and prune: the one place that knows every table.

The bank's own tables are listed here; a part of the app with tables of its own (the
sandbox) registers them with `register_table`, so the bank never imports it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute

from .admin_sessions import delete_expired_admin_sessions
from .database import write_transaction
from .db_types import utcnow
from .extensions import Model, db
from .login_sessions import delete_expired_sessions
from .models import ALL_MODELS, MaintenanceRun, PendingAuthRequest

REQUEST_RETENTION = timedelta(days=1)
PRUNE_EVERY = timedelta(hours=1)
_registered: list[type[Model]] = []
# What makes a row prunable: this time REQUEST_RETENTION past (a request ends by then).
_stale_after: list[InstrumentedAttribute[datetime]] = [PendingAuthRequest.expires_at]


def register_table(
    model: type[Model], stale_after: InstrumentedAttribute[datetime] | None = None
) -> None:
    """Empty `model`'s table too on a reset (rows of it are deleted before the bank's);
    with `stale_after`, prune its rows once that time is REQUEST_RETENTION past."""
    if model not in _registered:
        _registered.append(model)
        if stale_after is not None:
            _stale_after.append(stale_after)


def reset_everything() -> None:
    """Empty every table of demo data in one transaction."""
    with write_transaction() as session:
        for model in (*_registered, *ALL_MODELS):
            session.execute(delete(model))


@dataclass(frozen=True)
class Pruned:
    sessions: int
    requests: int


def _prune_rows(now: datetime) -> Pruned:
    delete_expired_admin_sessions(now)
    deleted = [
        db.session.execute(
            delete(column.class_).where(column < now - REQUEST_RETENTION)
        ).rowcount  # type: ignore[attr-defined]
        for column in _stale_after
    ]
    # The bank's requests are counted; a registered table's rows (a verifier's record of
    # the same request) go with them.
    return Pruned(sessions=delete_expired_sessions(now), requests=deleted[0])


def prune(now: datetime | None = None) -> Pruned:
    """Delete expired sessions and verification requests older than a day."""
    now = now or utcnow()
    with write_transaction():
        _claim("prune", timedelta(0), now)
        return _prune_rows(now)


def _claim(job: str, period: timedelta, now: datetime) -> bool:
    """Record that `job` runs now unless it ran less than `period` ago; True for the one
    caller that did (a conditional update, or the first insert)."""
    claimed = db.session.execute(
        update(MaintenanceRun)
        .where(MaintenanceRun.name == job, MaintenanceRun.last_run_at <= now - period)
        .values(last_run_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if claimed:
        return True
    if db.session.get(MaintenanceRun, job) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(MaintenanceRun(name=job, last_run_at=now))
    except IntegrityError:
        return False  # another worker inserted it first
    return True


def prune_if_due(now: datetime | None = None) -> Pruned | None:
    """Prune when the last run is over an hour old. A read decides; only a due run takes
    the write lock, and of concurrent workers one wins the claim."""
    now = now or utcnow()
    last = db.session.scalar(
        select(MaintenanceRun.last_run_at).where(MaintenanceRun.name == "prune")
    )
    if last is not None and last > now - PRUNE_EVERY:
        return None
    with write_transaction():
        if not _claim("prune", PRUNE_EVERY, now):
            return None
        return _prune_rows(now)


class PruneTimer:
    """Looks at most once a minute (per app and process) whether pruning is due, so a
    request pays for that look only then."""

    CHECK_EVERY_SECONDS = 60.0

    def __init__(self) -> None:
        self._next_check = 0.0

    def tick(self) -> None:
        if time.monotonic() < self._next_check:
            return
        self._next_check = time.monotonic() + self.CHECK_EVERY_SECONDS
        prune_if_due()
