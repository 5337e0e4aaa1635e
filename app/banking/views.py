"""Views of the banking blueprint."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from ..accounts import delete_user
from ..database import write_transaction
from ..flows.web import begin, completed_request, rate_limited
from ..ledger import list_activity
from ..models import PendingAuthRequest
from ..schemas import ActivityType, LoanMeta, PaymentMeta, ProfileUpdateMeta
from ..web import render_page, settings
from . import bp
from .forms import (
    ConfirmForm,
    LoanForm,
    PaymentForm,
    ProfileUpdateForm,
    ResetForm,
    is_choice,
    loan_estimates,
)
from .loans import estimate

PAYMENT_DRAFT = "payment_draft"
LOAN_DRAFT = "loan_draft"
RECENT_PAYEES = (
    ("Landlord - Rent", 120_000),
    ("Electric Company", 8_500),
    ("Insurance Co.", 15_000),
)
ACTIVITY_FILTERS: dict[str, ActivityType | None] = {
    "all": None,
    "payments": "payment",
    "loans": "loan",
}


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def _require_login() -> None:
    """Every banking page needs a signed-in person."""


def _session_choice() -> dict[str, Any]:
    login = current_user.login_session
    return {"mode": login.mode, "formats": list(login.credential_formats)}


def _page_number(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


@bp.get("/dashboard")
def dashboard() -> str:
    selected = request.args.get("filter", "all")
    if selected not in ACTIVITY_FILTERS:
        selected = "all"
    activity = list_activity(
        current_user.id,
        ACTIVITY_FILTERS[selected],
        page=_page_number(request.args.get("page", "1")),
    )
    return render_template(
        "banking/dashboard.html", account=current_user.account, activity=activity, selected=selected
    )


@bp.route("/send", methods=["GET", "POST"])
def send() -> str | Response:
    account = current_user.account
    form = PaymentForm(balance_cents=account.balance_cents)
    if request.method == "GET":  # a payee template, "Change the payment" or "Try again"
        form.recipient.data = request.args.get("recipient", "")[:100] or form.recipient.data
        form.amount.data = request.args.get("amount", "")[:20] or form.amount.data
        form.reference.data = request.args.get("reference", "")[:200] or form.reference.data
    if form.validate_on_submit():
        session[PAYMENT_DRAFT] = {
            "recipient": form.recipient.data.strip(),
            "amount_cents": form.amount_cents,
            "reference": (form.reference.data or "").strip(),
        }
        return redirect(url_for("banking.send_confirm"), 303)
    status = 400 if request.method == "POST" else 200
    return render_page(
        "banking/send.html", status, form=form, account=account, payees=RECENT_PAYEES
    )


def new_transaction_id() -> str:
    return "txn-" + secrets.token_hex(8)


@bp.route("/send/confirm", methods=["GET", "POST"])
@rate_limited
def send_confirm() -> str | Response:
    draft = session.get(PAYMENT_DRAFT)
    if not isinstance(draft, dict):
        return redirect(url_for("banking.send"))
    form = ConfirmForm()
    if form.validate_on_submit():
        choice = _session_choice()
        meta = PaymentMeta(
            credential_formats=choice["formats"],
            transaction_id=new_transaction_id(),
            recipient=draft["recipient"],
            amount_cents=draft["amount_cents"],
            reference=draft["reference"],
        )
        response = begin(meta, choice["mode"], user_id=current_user.id)
        session.pop(PAYMENT_DRAFT, None)
        return response
    return render_template("banking/send_confirm.html", form=form, draft=draft)


def _verified_name(claims: dict[str, Any] | None) -> str:
    claims = claims or {}
    return f"{claims.get('given_name', '')} {claims.get('family_name', '')}".strip()


def _success_page(pending: PendingAuthRequest, template: str, **context: Any) -> str:
    """The receipt of a completed request (see `completed_request`)."""
    return render_template(
        template,
        pending=pending,
        meta=pending.request_metadata,
        verified_name=_verified_name(pending.result.claims if pending.result else None),
        balance_cents=current_user.account.balance_cents,
        **context,
    )


@bp.get("/send/success/<request_id>")
def send_success(request_id: str) -> str:
    return _success_page(completed_request(request_id, "payment"), "banking/send_success.html")


def _prefill_loan(form: LoanForm) -> None:
    """Choices from the URL ("Change the application", "Try again"), when they are valid."""
    for field in (form.amount, form.purpose, form.term):
        value = request.args.get(field.name)
        if is_choice(field, value):
            field.data = value


@bp.route("/loan", methods=["GET", "POST"])
def loan() -> str | Response:
    limit = settings().loan_exposure_limit_cents
    remaining = limit - current_user.account.pending_loans_total_cents
    form = LoanForm(remaining_cents=remaining)
    if request.method == "GET":
        _prefill_loan(form)
    if form.validate_on_submit() and not form.estimate.data:
        session[LOAN_DRAFT] = {
            "amount_cents": form.amount_cents,
            "purpose": form.purpose.data,
            "term_months": int(form.term.data),
        }
        return redirect(url_for("banking.loan_review"), 303)
    # GET, a form error, or "Update estimate" (the page without JavaScript).
    status = 400 if request.method == "POST" and form.errors else 200
    return render_page(
        "banking/loan.html",
        status,
        form=form,
        estimate=form.estimate_for(),
        estimates=loan_estimates(),
        remaining_cents=max(remaining, 0),
        limit_cents=limit,
    )


@bp.route("/loan/review", methods=["GET", "POST"])
@rate_limited
def loan_review() -> str | Response:
    draft = session.get(LOAN_DRAFT)
    if not isinstance(draft, dict):
        return redirect(url_for("banking.loan"))
    form = ConfirmForm()
    if form.validate_on_submit():
        choice = _session_choice()
        meta = LoanMeta(
            credential_formats=choice["formats"],
            amount_cents=draft["amount_cents"],
            purpose=draft["purpose"],
            term_months=draft["term_months"],
            exposure_limit_cents=settings().loan_exposure_limit_cents,
        )
        response = begin(meta, choice["mode"], user_id=current_user.id)
        session.pop(LOAN_DRAFT, None)
        return response
    return render_template(
        "banking/loan_review.html",
        form=form,
        draft=draft,
        estimate=estimate(draft["amount_cents"], draft["term_months"]),
        change_url=url_for(
            "banking.loan",
            amount=draft["amount_cents"] // 100,
            purpose=draft["purpose"],
            term=draft["term_months"],
        ),
    )


@bp.get("/loan/success/<request_id>")
def loan_success(request_id: str) -> str:
    pending = completed_request(request_id, "loan")
    meta = pending.request_metadata
    assert isinstance(meta, LoanMeta)
    estimated = estimate(meta.amount_cents, meta.term_months)
    return _success_page(pending, "banking/loan_success.html", estimate=estimated)


@bp.route("/profile", methods=["GET", "POST"])
@rate_limited
def profile() -> str | Response:
    form = ProfileUpdateForm()
    if form.validate_on_submit():
        choice = _session_choice()
        meta = ProfileUpdateMeta(
            credential_formats=choice["formats"], requested_claims=form.picked()
        )
        return begin(meta, choice["mode"], user_id=current_user.id)
    updated = _updated_fields(request.args.get("update", ""))
    status = 400 if request.method == "POST" else 200
    return render_page(
        "banking/profile.html",
        status,
        account=current_user.account,
        form=form,
        welcome=request.args.get("welcome") == "1",
        updated=updated,
    )


def _updated_fields(request_id: str) -> list[str] | None:
    if not request_id:
        return None
    pending = completed_request(request_id, "profile_update")
    return list(pending.result.updated_fields) if pending.result else []


# Deleting everything is confirmed by a recent wallet sign-in, not only by the cookie.
RESET_NEEDS_SIGNIN_WITHIN = timedelta(minutes=10)


@bp.route("/account/reset", methods=["GET", "POST"])
def account_reset() -> str | Response:
    if current_user.login_age() > RESET_NEEDS_SIGNIN_WITHIN:
        flash("To reset your demo data, confirm it is you with your wallet first.", "info")
        return redirect(
            url_for("auth.signin", next=url_for("banking.account_reset"), fresh="1"), 303
        )
    form = ResetForm()
    if form.validate_on_submit():
        with write_transaction():
            delete_user(current_user.id)
        logout_user()
        session.clear()
        return redirect(url_for("pages.landing", reset="1"), 303)
    return render_template("banking/account_reset.html", form=form)
