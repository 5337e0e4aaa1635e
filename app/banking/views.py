"""Views of the banking blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from .. import flows
from ..accounts import delete_user
from ..auth.views import PROGRESS_STEPS, begin, owned_request, rate_limited
from ..database import write_transaction
from ..ledger import list_activity
from ..models import PendingAuthRequest
from ..schemas import LoanMeta, PaymentMeta, ProfileUpdateMeta
from ..web import render_page
from . import bp
from .forms import ConfirmForm, LoanForm, PaymentForm, ProfileUpdateForm, ResetForm

PAYMENT_DRAFT = "payment_draft"
RECENT_PAYEES = (
    ("Landlord - Rent", "1,200.00"),
    ("Electric Company", "85.00"),
    ("Insurance Co.", "150.00"),
)
ACTIVITY_FILTERS = {"all": None, "payments": "payment", "loans": "loan"}


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def _require_login() -> None:
    """Every banking page needs a signed-in person."""


def _session_choice() -> dict[str, Any]:
    login = current_user.login_session
    return {"mode": login.mode, "formats": list(login.credential_formats)}


@bp.get("/dashboard")
def dashboard() -> str:
    selected = request.args.get("filter", "all")
    if selected not in ACTIVITY_FILTERS:
        selected = "all"
    page = request.args.get("page", "1")
    activity = list_activity(
        current_user.id,
        ACTIVITY_FILTERS[selected],  # type: ignore[arg-type]
        page=int(page) if page.isdigit() and len(page) < 7 else 1,
    )
    return render_template(
        "banking/dashboard.html", account=current_user.account, activity=activity, selected=selected
    )


@bp.route("/send", methods=["GET", "POST"])
def send() -> str | Response:
    account = current_user.account
    form = PaymentForm(balance_cents=account.balance_cents)
    if request.method == "GET":
        form.recipient.data = request.args.get("recipient", "")[:100] or form.recipient.data
        form.amount.data = request.args.get("amount", "")[:20] or form.amount.data
    if form.validate_on_submit():
        session[PAYMENT_DRAFT] = {
            "recipient": form.recipient.data.strip(),
            "amount_cents": form.amount_cents,
            "reference": (form.reference.data or "").strip(),
        }
        return redirect(url_for("banking.send_confirm"), 303)
    status = 400 if request.method == "POST" else 200
    return render_page(
        "banking/send.html",
        status,
        form=form,
        account=account,
        payees=RECENT_PAYEES,
        steps=PROGRESS_STEPS,
    )


@bp.route("/send/confirm", methods=["GET", "POST"])
@rate_limited
def send_confirm() -> str | Response:
    draft = session.get(PAYMENT_DRAFT)
    if not isinstance(draft, dict):
        return redirect(url_for("banking.send"))
    form = ConfirmForm()
    if form.validate_on_submit():
        meta = PaymentMeta(
            credential_formats=_session_choice()["formats"],
            transaction_id=flows.new_transaction_id(),
            recipient=draft["recipient"],
            amount_cents=draft["amount_cents"],
            reference=draft["reference"],
        )
        response = begin(meta, _session_choice()["mode"], user_id=current_user.id)
        session.pop(PAYMENT_DRAFT, None)
        return response
    return render_template(
        "banking/send_confirm.html", form=form, draft=draft, steps=PROGRESS_STEPS
    )


def _completed(request_id: str, flow: str) -> PendingAuthRequest:
    pending = owned_request(request_id)
    if pending.type != flow or pending.status != "completed" or pending.result is None:
        abort(404)
    return pending


def _verified_name(pending: PendingAuthRequest) -> str:
    claims = (pending.result.claims if pending.result else None) or {}
    return f"{claims.get('given_name', '')} {claims.get('family_name', '')}".strip()


def _success_page(request_id: str, flow: str) -> str:
    pending = _completed(request_id, flow)
    return render_template(
        f"banking/{'send' if flow == 'payment' else flow}_success.html",
        pending=pending,
        meta=pending.request_metadata,
        verified_name=_verified_name(pending),
        steps=PROGRESS_STEPS,
    )


@bp.get("/send/success/<request_id>")
def send_success(request_id: str) -> str:
    return _success_page(request_id, "payment")


@bp.route("/loan", methods=["GET", "POST"])
@rate_limited
def loan() -> str | Response:
    form = LoanForm()
    if form.validate_on_submit():
        meta = LoanMeta(
            credential_formats=_session_choice()["formats"],
            amount_cents=int(form.amount.data) * 100,
            purpose=form.purpose.data,
            term_months=int(form.term.data),
        )
        return begin(meta, _session_choice()["mode"], user_id=current_user.id)
    status = 400 if request.method == "POST" else 200
    return render_page("banking/loan.html", status, form=form, steps=PROGRESS_STEPS)


@bp.get("/loan/success/<request_id>")
def loan_success(request_id: str) -> str:
    return _success_page(request_id, "loan")


@bp.route("/profile", methods=["GET", "POST"])
@rate_limited
def profile() -> str | Response:
    form = ProfileUpdateForm()
    if form.validate_on_submit():
        meta = ProfileUpdateMeta(
            credential_formats=_session_choice()["formats"], requested_claims=form.claims.data
        )
        return begin(meta, _session_choice()["mode"], user_id=current_user.id)
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
    pending = _completed(request_id, "profile_update")
    return list(pending.result.updated_fields) if pending.result else []


@bp.route("/account/reset", methods=["GET", "POST"])
def account_reset() -> str | Response:
    form = ResetForm()
    if form.validate_on_submit():
        with write_transaction():
            delete_user(current_user.id)
        logout_user()
        session.clear()
        return redirect(url_for("pages.landing", reset="1"), 303)
    return render_template("banking/account_reset.html", form=form)
