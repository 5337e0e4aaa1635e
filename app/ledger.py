"""Activity history and balance movements. Each movement is one activity row plus a balance
update in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

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


@dataclass(frozen=True)
class ActivityPage:
    items: list[Activity]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def list_activity(
    user_id: str,
    activity_type: ActivityType | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> ActivityPage:
    """A user's activity, newest first, optionally of one type, one page at a time.

    No total count: counting a long history costs more than the page itself, so the page
    fetches one row extra to learn whether an older page exists. Both orderings are served
    by the (user_id, created_at) and (user_id, type, created_at) indexes.
    """
    conditions = [Activity.user_id == user_id]
    if activity_type is not None:
        conditions.append(Activity.type == activity_type)
    page = max(1, page)
    rows = db.session.scalars(
        select(Activity)
        .where(*conditions)
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    return ActivityPage(items=list(rows[:per_page]), page=page, has_next=len(rows) > per_page)
