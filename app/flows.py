"""Verification flows from start to completion.

A flow starts by asking the authorizer for a presentation and storing a pending request.
It ends exactly once: the first caller (status poll, wallet callback or Digital
Credentials API completion) to move the request out of `pending` applies its effect in the
same transaction; everyone else reads the stored result.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .accounts import NewAccount, create_user, get_user_by_identifier, update_user
from .database import write_transaction
from .db_types import utcnow
from .extensions import db
from .ledger import InsufficientFunds, record_movement
from .login_sessions import create_session
from .models import PendingAuthRequest, User
from .money import cents_to_decimal_text, format_cents
from .pending import TerminalStatus, claim_status_check, create_request, finish, get_request
from .schemas import (
    CredentialFormat,
    ErrorInfo,
    FlowResult,
    FlowType,
    LoanActivityMeta,
    LoanMeta,
    PaymentActivityMeta,
    PaymentMeta,
    Presentation,
    PresentationMode,
    ProfileUpdateMeta,
    RequestMeta,
    SigninMeta,
    SignupMeta,
)
from .verification import Authorizer
from .verification.base import KNOWN_ERRORS
from .verification.claims import MissingClaims, validate_for_flow
from .verification.pid import PID_ATTRIBUTES, build_presentation_request

log = logging.getLogger(__name__)

LOAN_PURPOSES = ("Car", "Home Improvement", "Education", "Other")
LOAN_AMOUNTS_EUR = (5_000, 10_000, 25_000, 50_000)
LOAN_TERMS_MONTHS = (12, 24, 36, 48)

# What a profile-update attribute changes: (normalized claim, account field).
PROFILE_FIELDS: dict[str, tuple[str, str]] = {
    "family_name": ("family_name", "family_name"),
    "given_name": ("given_name", "given_name"),
    "birth_date": ("birthdate", "birth_date"),
    "nationality": ("nationalities", "nationality"),
    "email_address": ("email", "email"),
    "resident_address": ("resident_address", "address"),
    "portrait": ("picture", "portrait"),
}


# -- starting --------------------------------------------------------------------------


def start_flow(
    authorizer: Authorizer,
    metadata: RequestMeta,
    mode: PresentationMode,
    browser_nonce: str,
    *,
    user_id: str | None = None,
    origin: str | None = None,
) -> PendingAuthRequest:
    """Ask the authorizer for a presentation and store the pending request.

    Raises the authorizer's errors before anything is stored.
    """
    flow: FlowType = metadata.kind
    transaction: dict[str, Any] | None = None
    if isinstance(metadata, PaymentMeta):
        transaction = {
            "type": "payment",
            "recipient": metadata.recipient,
            "amount": cents_to_decimal_text(metadata.amount_cents),
            "currency": "EUR",
            "reference": metadata.reference,
            "transaction_id": metadata.transaction_id,
        }
    elif isinstance(metadata, LoanMeta):
        transaction = {
            "type": "loan_application",
            "amount": cents_to_decimal_text(metadata.amount_cents),
            "currency": "EUR",
            "purpose": metadata.purpose,
            "term": f"{metadata.term_months} months",
        }
    chosen = metadata.requested_claims if isinstance(metadata, ProfileUpdateMeta) else None
    presentation_request = build_presentation_request(
        flow,
        list(metadata.credential_formats),
        mode,
        origin=origin,
        chosen_claims=chosen,
        transaction=transaction,
    )
    created = authorizer.create_authorization(presentation_request)
    stored_meta = metadata.model_copy(
        update={
            "presentation": Presentation(
                authorize_url=created.authorize_url, dc_api_request=created.dc_api_request
            )
        }
    )
    with write_transaction():
        request = create_request(
            flow,
            mode,
            created.authorization_id,
            browser_nonce,
            stored_meta,
            user_id=user_id,
            response_url=created.response_url,
        )
    return request


def new_transaction_id() -> str:
    return "txn-" + secrets.token_hex(8)


def new_loan_reference() -> str:
    return "LN-" + secrets.token_hex(4).upper()


# -- outcomes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What the status endpoint, the waiting page and the callback tell the person."""

    status: str
    title: str
    detail: str
    next_url: str | None = None
    error_type: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status != "pending"

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "title": self.title,
            "detail": self.detail,
            "next_url": self.next_url,
        }


PENDING = Outcome(
    "pending",
    "Waiting for your wallet",
    "Open your EUDI Wallet and approve the request. This page updates by itself.",
)
EXPIRED = Outcome(
    "expired", "This request has expired", "Requests are valid for a few minutes. Start again."
)


def next_url_for(request: PendingAuthRequest) -> str:
    return {
        "signup": "/profile?welcome=1",
        "signin": "/dashboard",
        "payment": f"/send/success/{request.id}",
        "loan": f"/loan/success/{request.id}",
        "profile_update": f"/profile?update={request.id}",
    }[request.type]


def outcome_of(request: PendingAuthRequest) -> Outcome:
    """The person-facing outcome of a request, from its stored status and result."""
    if request.status == "pending":
        return PENDING
    result = request.result
    if request.status == "expired" or result is None or result.status == "expired":
        return EXPIRED
    if result.status == "authorized":
        return Outcome(
            "authorized", "Verified", "Your identity was confirmed.", next_url_for(request)
        )
    if result.status == "not_found":
        return Outcome(
            "not_found",
            "No account found",
            "No account found for this identity. Create an account first.",
            "/signup",
        )
    if result.status == "account_exists":
        return Outcome(
            "account_exists",
            "Account already exists",
            "An account already exists for this identity.",
            "/signin",
        )
    info = result.error_info
    return Outcome(
        result.status,
        info.title if info else (result.error or "Verification failed"),
        info.detail if info else "The identity check could not be completed.",
        error_type=info.error_type if info else None,
    )


# -- checking and completing -----------------------------------------------------------


def refresh(
    authorizer: Authorizer, request_id: str, min_interval: timedelta = timedelta(seconds=1)
) -> Outcome | None:
    """Current outcome of a request, asking the authorizer at most once per `min_interval`.

    None when the request does not exist. Authorizer errors propagate and change nothing.
    """
    request = get_request(request_id)
    if request is None:
        return None
    if request.status != "pending":
        return outcome_of(request)
    with write_transaction():
        should_check = claim_status_check(request.id, min_interval)
    if not should_check:
        return PENDING
    status = authorizer.get_status(request.vidos_authorization_id)
    return apply_status(authorizer, request.id, status.status, status.error_info)


def apply_status(
    authorizer: Authorizer, request_id: str, status: str, error_info: ErrorInfo | None
) -> Outcome:
    """Finish a request according to an authorizer status (idempotent)."""
    if status == "authorized":
        return complete(authorizer, request_id)
    if status in ("rejected", "error"):
        result = FlowResult(
            status="rejected" if status == "rejected" else "error",
            error=error_info.title if error_info else None,
            error_info=error_info,
        )
        _finish(request_id, "failed", result)
    elif status == "expired":
        _finish(request_id, "expired", FlowResult(status="expired"))
    return _stored_outcome(request_id)


def apply_final_status(authorizer: Authorizer, request: PendingAuthRequest, status: str) -> Outcome:
    """Finish a request from a final status reported by the wallet's return path (callback
    or Digital Credentials API), fetching the error details when it failed."""
    info = None
    if status in ("rejected", "error"):
        info = authorizer.get_status(request.vidos_authorization_id).error_info
    return apply_status(authorizer, request.id, status, info)


def _finish(request_id: str, status: TerminalStatus, result: FlowResult) -> None:
    with write_transaction():
        finish(request_id, status, result)


def _stored_outcome(request_id: str) -> Outcome:
    db.session.expire_all()
    request = db.session.get(PendingAuthRequest, request_id)
    return EXPIRED if request is None else outcome_of(request)


def complete(authorizer: Authorizer, request_id: str) -> Outcome:
    """Apply an authorized presentation's effect exactly once and return the outcome."""
    request = get_request(request_id)
    if request is None:
        return EXPIRED
    if request.status != "pending":
        return outcome_of(request)
    claims = authorizer.get_claims(request.vidos_authorization_id)
    flow: FlowType = request.request_metadata.kind
    try:
        validate_for_flow(flow, claims)
    except MissingClaims as exc:
        info = ErrorInfo(
            error_type="missing-attributes",
            title="Missing information",
            detail=f"{exc}. Share them and try again.",
            details=exc.missing,
        )
        _finish(request_id, "failed", FlowResult(status="error", error=info.title, error_info=info))
        return _stored_outcome(request_id)
    try:
        with write_transaction():
            now = utcnow()
            # Claim the request first: only one caller gets past this line.
            if finish(request_id, "completed", FlowResult(status="authorized"), now=now):
                result = _apply_effect(request_id, claims)
                db.session.execute(
                    update(PendingAuthRequest)
                    .where(PendingAuthRequest.id == request_id)
                    .values(
                        status="completed" if result.status == "authorized" else "failed",
                        result=result,
                    )
                    .execution_options(synchronize_session=False)
                )
    except IntegrityError:
        # Another request created the same account at the same moment (PostgreSQL):
        # everything was rolled back and the next check sees the account.
        log.info("request %s raced another sign-up; will retry", request_id)
        return PENDING
    return _stored_outcome(request_id)


def _public_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """Claims kept with the result: names and numbers, not the portrait."""
    return {k: v for k, v in claims.items() if k != "picture"}


def _mismatch() -> FlowResult:
    title, detail = KNOWN_ERRORS["identity-mismatch"]
    info = ErrorInfo(error_type="identity-mismatch", title=title, detail=detail)
    return FlowResult(status="rejected", error=title, error_info=info)


def _apply_effect(request_id: str, claims: dict[str, Any]) -> FlowResult:
    request = db.session.get(PendingAuthRequest, request_id)
    assert request is not None
    meta = request.request_metadata
    identifier = claims.get("personal_administrative_number")
    if isinstance(meta, SignupMeta | SigninMeta):
        user = (
            _signup(claims)
            if isinstance(meta, SignupMeta)
            else get_user_by_identifier(str(identifier))
        )
        if user is None:
            return FlowResult(
                status="not_found" if isinstance(meta, SigninMeta) else "account_exists"
            )
        # The request now belongs to the account: its one login goes there, and a reset of
        # the account deletes it (its result holds claims).
        request.user_id = user.id
        db.session.flush()
        return FlowResult(status="authorized", claims=_public_claims(claims))
    account = db.session.scalar(select(User).where(User.id == request.user_id).with_for_update())
    if account is None:
        return FlowResult(status="error", error="Account not found")
    if isinstance(meta, ProfileUpdateMeta):
        if identifier is not None and identifier != account.identifier:
            return _mismatch()
        return _profile_update(account, meta, claims)
    if identifier != account.identifier:
        return _mismatch()
    if isinstance(meta, PaymentMeta):
        try:
            record_movement(
                account.id,
                "payment",
                f"Payment to {meta.recipient}",
                -meta.amount_cents,
                PaymentActivityMeta(
                    recipient=meta.recipient,
                    reference=meta.reference,
                    transaction_id=meta.transaction_id,
                ),
            )
        except InsufficientFunds:
            info = ErrorInfo(
                error_type="insufficient-funds",
                title="Insufficient funds",
                detail="Your balance is lower than the amount of this payment. Nothing was sent.",
            )
            return FlowResult(status="error", error="Insufficient funds", error_info=info)
        return FlowResult(status="authorized", claims=_public_claims(claims))
    assert isinstance(meta, LoanMeta)
    reference = new_loan_reference()
    account.pending_loans_total_cents += meta.amount_cents
    db.session.flush()
    record_movement(
        account.id,
        "loan",
        "Loan application submitted",
        meta.amount_cents,
        LoanActivityMeta(
            amount_cents=meta.amount_cents,
            purpose=meta.purpose,
            term_months=meta.term_months,
            loan_reference=reference,
        ),
    )
    return FlowResult(status="authorized", claims=_public_claims(claims), loan_reference=reference)


def _signup(claims: dict[str, Any]) -> User | None:
    """The new account, or None when one exists for this identity already."""
    identifier = str(claims["personal_administrative_number"])
    if get_user_by_identifier(identifier) is not None:
        return None
    place = claims.get("place_of_birth") or {}
    address = ", ".join(p for p in (place.get("locality"), place.get("country")) if p)
    user = create_user(
        NewAccount(
            identifier=identifier,
            family_name=claims["family_name"],
            given_name=claims["given_name"],
            birth_date=claims.get("birthdate", ""),
            nationality=", ".join(claims.get("nationalities", [])),
            document_number=claims.get("document_number"),
            address=address or None,
            portrait=claims.get("picture"),
        )
    )
    return user


def _profile_update(account: User, meta: ProfileUpdateMeta, claims: dict[str, Any]) -> FlowResult:
    changes: dict[str, str] = {}
    updated: list[str] = []
    for attribute_id in meta.requested_claims:
        claim_name, field = PROFILE_FIELDS[attribute_id]
        if claim_name in claims:
            value = claims[claim_name]
            changes[field] = ", ".join(value) if isinstance(value, list) else str(value)
            updated.append(PID_ATTRIBUTES[attribute_id].display_name)
    update_user(account, changes)
    return FlowResult(status="authorized", updated_fields=updated)


# -- signing in ------------------------------------------------------------------------


def issue_login(request_id: str, session_ttl: timedelta) -> str | None:
    """The one login a completed sign-up or sign-in gives, as a raw session token.

    Single use: a replayed poll or callback gets nothing, even with the binding nonce.
    """
    with write_transaction():
        request = db.session.get(PendingAuthRequest, request_id)
        if (
            request is None
            or request.type not in ("signup", "signin")
            or request.status != "completed"
            or request.user_id is None
        ):
            return None
        won = db.session.execute(
            update(PendingAuthRequest)
            .where(
                PendingAuthRequest.id == request_id, PendingAuthRequest.login_issued_at.is_(None)
            )
            .values(login_issued_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if not won:
            return None
        formats: list[CredentialFormat] = list(request.request_metadata.credential_formats)
        mode: PresentationMode = "dc_api" if request.mode == "dc_api" else "direct_post"
        return create_session(request.user_id, mode, formats, session_ttl)


# -- the wallet callback ---------------------------------------------------------------


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def request_for_response_code(code: str) -> PendingAuthRequest | None:
    """A request whose response code was already resolved (the code is single use)."""
    return db.session.scalar(
        select(PendingAuthRequest).where(PendingAuthRequest.response_code_hash == code_hash(code))
    )


def remember_response_code(request_id: str, code: str) -> None:
    with write_transaction():
        db.session.execute(
            update(PendingAuthRequest)
            .where(PendingAuthRequest.id == request_id)
            .values(response_code_hash=code_hash(code))
            .execution_options(synchronize_session=False)
        )


def plain_summary(request: PendingAuthRequest, outcome: Outcome) -> str:
    """The outcome in plain words for another device: no personal data."""
    if outcome.status != "authorized":
        return f"{outcome.title}. {outcome.detail}"
    meta = request.request_metadata
    done = {
        "signup": "Your identity was verified and your account is ready.",
        "signin": "Your identity was verified.",
        "profile_update": "Your profile update was confirmed.",
    }
    if isinstance(meta, PaymentMeta):
        text = f"Payment of {format_cents(meta.amount_cents)} to {meta.recipient} confirmed."
    elif isinstance(meta, LoanMeta):
        text = f"Loan application for {format_cents(meta.amount_cents)} confirmed."
    else:
        text = done[meta.kind]
    return f"{text} You can return to your computer."
