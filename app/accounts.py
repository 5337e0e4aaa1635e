"""Accounts: created from verified PID claims, with a seeded demo history."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from .db_types import utcnow
from .extensions import db
from .ledger import record_movement
from .models import User
from .schemas import SeededMeta

OPENING_BALANCE_CENTS = 1_245_000
SEED_ENTRIES: tuple[tuple[str, int], ...] = (
    ("Salary Deposit", 350_000),
    ("Supermart Groceries", -8_745),
    ("Coffee Corner", -480),
    ("Electric Bill", -12_400),
    ("Streaming Service", -1_299),
    ("Public Transit", -4_500),
    ("Restaurant Dinner", -6_230),
    ("Pharmacy", -2_350),
    ("Bonus Payment", 50_000),
    ("Gas Station", -5_500),
)
_rng = random.SystemRandom()


@dataclass(frozen=True)
class NewAccount:
    """The verified facts an account is opened with."""

    identifier: str
    family_name: str
    given_name: str
    birth_date: str = ""
    nationality: str = ""
    document_number: str | None = None
    email: str | None = None
    address: str | None = None
    portrait: str | None = None


def create_user(facts: NewAccount) -> User:
    """Open an account with EUR 12,450.00 and 3 to 6 seeded entries from the last days.

    Runs in the caller's transaction (the sign-up completion's).
    """
    user = User(
        identifier=facts.identifier,
        family_name=facts.family_name,
        given_name=facts.given_name,
        birth_date=facts.birth_date,
        nationality=facts.nationality,
        document_number=facts.document_number,
        email=facts.email,
        address=facts.address,
        portrait=facts.portrait,
        balance_cents=OPENING_BALANCE_CENTS,
        pending_loans_total_cents=0,
        created_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    now = utcnow()
    picks = _rng.sample(SEED_ENTRIES, _rng.randint(3, 6))
    dates = sorted(
        now - timedelta(days=_rng.randint(1, 6), minutes=_rng.randint(0, 600)) for _ in picks
    )
    for (title, amount), when in zip(picks, dates, strict=True):
        record_movement(user.id, "payment", title, amount, SeededMeta(), created_at=when)
    return user


def get_user_by_identifier(identifier: str) -> User | None:
    return db.session.scalar(select(User).where(User.identifier == identifier))


# The profile a person may refresh from their wallet: PID attribute id -> account column.
# The one table of profile fields (the form's choices and the update's effect read it).
PROFILE_FIELDS: dict[str, str] = {
    "family_name": "family_name",
    "given_name": "given_name",
    "birth_date": "birth_date",
    "nationality": "nationality",
    "email_address": "email",
    "resident_address": "address",
    "portrait": "portrait",
}


def update_user(user: User, changes: dict[str, str]) -> list[str]:
    """Apply profile changes (known columns only) and return the names of the changed ones."""
    unknown = set(changes) - set(PROFILE_FIELDS.values())
    if unknown:
        raise ValueError(f"not updatable: {', '.join(sorted(unknown))}")
    changed = []
    for field, value in changes.items():
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    return changed


class LoanLimitReached(Exception):
    """The application would take the account's pending loans over the limit."""


def add_pending_loan(user_id: str, amount_cents: int, limit_cents: int) -> None:
    """Add to the account's pending loans, never past `limit_cents`, whatever runs at the
    same time: the limit is part of the UPDATE's condition. Runs in the caller's transaction.
    """
    raised = db.session.execute(
        update(User)
        .where(
            User.id == user_id,
            User.pending_loans_total_cents + amount_cents <= limit_cents,
        )
        .values(pending_loans_total_cents=User.pending_loans_total_cents + amount_cents)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if raised != 1:
        raise LoanLimitReached()


def delete_user(user_id: str) -> bool:
    """Delete an account; its sessions, requests and activities go with it (ON DELETE CASCADE)."""
    result = db.session.execute(delete(User).where(User.id == user_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]
