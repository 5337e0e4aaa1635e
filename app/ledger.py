"""Activity history and balance movements. Each movement is one activity row plus a balance
update in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select, update

from .db_types import utcnow
from .extensions import db
from .models import Activity, User
from .schemas import ActivityMeta, ActivityType

PAGE_SIZE = 20


class InsufficientFunds(Exception):
    """The balance is lower than the amount to debit."""


def record_movement(
    user_id: str,
    activity_type: ActivityType,
    title: str,
    amount_cents: int,
    meta: ActivityMeta,
    created_at: datetime | None = None,
) -> Activity:
    """Append an activity and move the balance by `amount_cents` (negative debits).

    The balance update is conditional, so a debit larger than the balance changes nothing
    and raises `InsufficientFunds`, whatever else runs at the same time. Runs in the
    caller's transaction: use it inside `write_transaction()`.
    """
    stmt = (
        update(User)
        .where(User.id == user_id)
        .values(balance_cents=User.balance_cents + amount_cents)
    )
    if amount_cents < 0:
        stmt = stmt.where(User.balance_cents >= -amount_cents)
    if db.session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        raise InsufficientFunds()
    activity = Activity(
        user_id=user_id,
        type=activity_type,
        title=title,
        amount_cents=amount_cents,
        meta=meta,
        created_at=created_at or utcnow(),
    )
    db.session.add(activity)
    db.session.flush()
    return activity


class ActivityItem(NamedTuple):
    """One row of the history as a page lists it (no metadata: the list never shows it)."""

    id: int
    type: ActivityType
    title: str
    amount_cents: int
    created_at: datetime


@dataclass(frozen=True)
class ActivityPage:
    items: list[ActivityItem]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


# Built once (building the statement cost about as much as running it), newest first; the
# (user_id, created_at) and (user_id, type, created_at) indexes serve both.
_PAGE = (
    select(Activity.id, Activity.type, Activity.title, Activity.amount_cents, Activity.created_at)
    .where(Activity.user_id == bindparam("user_id"))
    .order_by(Activity.created_at.desc(), Activity.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_PAGE_OF_TYPE = _PAGE.where(Activity.type == bindparam("type"))


def list_activity(
    user_id: str,
    activity_type: ActivityType | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> ActivityPage:
    """A user's activity, newest first, optionally of one type, one page at a time.

    No total count: counting a long history costs more than the page itself, so the page
    fetches one row extra to learn whether an older page exists. Plain rows on the session's
    connection: no ORM objects, and no metadata column decoded.
    """
    page = max(1, page)
    params: dict[str, object] = {
        "user_id": user_id,
        "limit": per_page + 1,
        "offset": (page - 1) * per_page,
    }
    statement = _PAGE
    if activity_type is not None:
        statement, params["type"] = _PAGE_OF_TYPE, activity_type
    rows = [ActivityItem(*row) for row in db.session.connection().execute(statement, params)]
    return ActivityPage(items=rows[:per_page], page=page, has_next=len(rows) > per_page)
