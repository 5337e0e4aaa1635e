"""Accounts, ledger and pending requests as plain functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from app.accounts import (
    OPENING_BALANCE_CENTS,
    SEED_ENTRIES,
    NewAccount,
    create_user,
    get_user_by_identifier,
    update_user,
)
from app.database import write_transaction
from app.extensions import db
from app.flows.kinds import kind_of
from app.flows.requests import create_request
from app.ledger import InsufficientFunds, list_activity, record_movement
from app.models import Activity
from app.schemas import LoanActivityMeta, PaymentActivityMeta, PaymentMeta, SeededMeta


def new_user(identifier="DE-42"):
    with write_transaction():
        return create_user(NewAccount(identifier=identifier, family_name="Doe", given_name="Jo"))


def test_new_account_has_seeded_history_applied_to_the_balance(any_app):
    with any_app.app_context():
        user = new_user()
        rows = db.session.scalars(select(Activity).where(Activity.user_id == user.id)).all()
        assert 3 <= len(rows) <= 6
        titles = {title: amount for title, amount in SEED_ENTRIES}
        for row in rows:
            assert titles[row.title] == row.amount_cents
            age = datetime.now(UTC) - row.created_at
            assert timedelta(days=1) <= age <= timedelta(days=6, hours=11)
        db.session.expire_all()
        fresh = get_user_by_identifier("DE-42")
        assert fresh.balance_cents == OPENING_BALANCE_CENTS + sum(r.amount_cents for r in rows)


def test_update_user_changes_known_fields_only(app):
    with app.app_context():
        user = new_user()
        assert update_user(user, {"email": "jo@example.eu", "given_name": "Jo"}) == ["email"]
        with pytest.raises(ValueError, match="balance_cents"):
            update_user(user, {"balance_cents": "1"})


def test_debit_larger_than_balance_changes_nothing(any_app):
    with any_app.app_context():
        user = new_user()
        db.session.expire_all()
        balance = get_user_by_identifier("DE-42").balance_cents
        meta = PaymentActivityMeta(recipient="X", transaction_id="txn-1")
        with pytest.raises(InsufficientFunds), write_transaction():
            record_movement(user.id, "payment", "Payment to X", -(balance + 1), meta)
        db.session.expire_all()
        assert get_user_by_identifier("DE-42").balance_cents == balance
        with write_transaction():
            record_movement(user.id, "payment", "Payment to X", -balance, meta)
        db.session.expire_all()
        assert get_user_by_identifier("DE-42").balance_cents == 0


def test_activity_is_newest_first_filtered_and_paginated(any_app):
    with any_app.app_context():
        user = new_user()
        db.session.execute(text("DELETE FROM activities"))
        base = datetime(2026, 1, 1, tzinfo=UTC)
        with write_transaction():
            for i in range(45):
                loan = i % 3 == 0
                record_movement(
                    user.id,
                    "loan" if loan else "payment",
                    f"entry {i}",
                    100,
                    LoanActivityMeta(
                        amount_cents=100, purpose="Car", term_months=12, loan_reference="LN-1"
                    )
                    if loan
                    else SeededMeta(),
                    created_at=base + timedelta(hours=i),
                )
        first = list_activity(user.id)
        assert first.has_next and not first.has_prev and len(first.items) == 20
        assert first.items[0].title == "entry 44"
        assert [a.created_at for a in first.items] == sorted(
            (a.created_at for a in first.items), reverse=True
        )
        last = list_activity(user.id, page=3)
        assert len(last.items) == 5 and last.items[-1].title == "entry 0"
        assert last.has_prev and not last.has_next
        assert list_activity(user.id, page=99).items == []
        loans = list_activity(user.id, "loan")
        assert len(loans.items) == 15 and not loans.has_next
        assert all(a.type == "loan" for a in loans.items)


@pytest.mark.parametrize(
    ("where", "index"),
    [
        ("user_id = :u", "ix_activities_user_id_created_at"),
        ("user_id = :u AND type = 'loan'", "ix_activities_user_id_type_created_at"),
    ],
)
def test_activity_pages_are_read_through_an_index(app, where, index):
    with app.app_context():
        user = new_user()
        plan = db.session.execute(
            text(
                f"EXPLAIN QUERY PLAN SELECT * FROM activities WHERE {where} "
                "ORDER BY created_at DESC, id DESC LIMIT 21"
            ),
            {"u": user.id},
        ).all()
        details = " ".join(str(row[-1]) for row in plan)
        assert index in details


def test_request_time_to_live_by_type(app):
    with app.app_context():
        now = datetime.now(UTC)
        with write_transaction():
            request = create_request(
                PaymentMeta(
                    credential_formats=["mdoc"],
                    transaction_id="txn-1",
                    recipient="R",
                    amount_cents=1,
                ),
                "direct_post",
                "a-1",
                "nonce",
                kind_of("payment").time_to_live,
                now=now,
            )
        assert request.type == "payment"
        assert request.expires_at - request.created_at == timedelta(minutes=5)
        ttl = {name: kind_of(name).time_to_live for name in ("signup", "signin", "loan")}
        assert ttl["signup"] == ttl["signin"] == timedelta(minutes=10)
        assert kind_of("profile_update").time_to_live == timedelta(minutes=10)
        assert ttl["loan"] == timedelta(minutes=5)
