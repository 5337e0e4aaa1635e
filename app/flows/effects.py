"""What each flow does once a presentation is verified: one small function per flow.

Each runs inside the completion's write transaction, with the request row (and, for
flows that act on an account, the account row) locked, and returns how the request ends.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from ..accounts import (
    PROFILE_FIELDS,
    LoanLimitReached,
    NewAccount,
    add_pending_loan,
    create_user,
    get_user_by_identifier,
    update_user,
)
from ..ledger import InsufficientFunds, record_movement
from ..models import PendingAuthRequest, User
from ..money import format_cents
from ..schemas import (
    ErrorInfo,
    FlowResult,
    LoanActivityMeta,
    LoanMeta,
    PaymentActivityMeta,
    PaymentMeta,
    ProfileUpdateMeta,
)
from ..verification.base import KNOWN_ERRORS
from ..verification.claims import VerifiedClaims
from ..verification.pid import PID_ATTRIBUTES


@dataclass(frozen=True)
class EffectInput:
    request: PendingAuthRequest
    claims: VerifiedClaims
    account: User | None  # locked; set for flows that act on an account


@dataclass(frozen=True)
class Effected:
    result: FlowResult
    account_id: str | None = None  # the account the request now belongs to (sign-up, sign-in)


def _authorized(claims: VerifiedClaims, **extra: object) -> FlowResult:
    """A success that keeps only what a page shows: the verified name."""
    name = {"given_name": claims.given_name, "family_name": claims.family_name}
    return FlowResult.model_validate(
        {
            "status": "authorized",
            "claims": {k: v for k, v in name.items() if v} or None,
            **extra,
        }
    )


def identity_mismatch() -> FlowResult:
    title, detail = KNOWN_ERRORS["identity-mismatch"]
    info = ErrorInfo(error_type="identity-mismatch", title=title, detail=detail)
    return FlowResult(status="rejected", error=title, error_info=info)


def sign_up(given: EffectInput) -> Effected:
    claims = given.claims
    identifier = claims.personal_administrative_number
    assert identifier and claims.family_name and claims.given_name  # required by the kind
    if get_user_by_identifier(identifier) is not None:
        return Effected(FlowResult(status="account_exists"))
    user = create_user(
        NewAccount(
            identifier=identifier,
            family_name=claims.family_name,
            given_name=claims.given_name,
            birth_date=claims.birth_date or "",
            nationality=claims.text_of("nationality") or "",
            document_number=claims.document_number,
            address=claims.text_of("birth_place"),
            portrait=claims.portrait,
        )
    )
    # The request now belongs to the account: its one login goes there, and a reset of
    # the account deletes it.
    return Effected(_authorized(claims), account_id=user.id)


def sign_in(given: EffectInput) -> Effected:
    identifier = given.claims.personal_administrative_number
    user = get_user_by_identifier(identifier) if identifier else None
    if user is None:
        return Effected(FlowResult(status="not_found"))
    return Effected(_authorized(given.claims), account_id=user.id)


def pay(given: EffectInput) -> Effected:
    meta, account = given.request.request_metadata, given.account
    assert isinstance(meta, PaymentMeta) and account is not None
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
        return Effected(FlowResult(status="error", error=info.title, error_info=info))
    return Effected(_authorized(given.claims))


def new_loan_reference() -> str:
    return "LN-" + secrets.token_hex(4).upper()


def apply_for_loan(given: EffectInput) -> Effected:
    meta, account = given.request.request_metadata, given.account
    assert isinstance(meta, LoanMeta) and account is not None
    reference = new_loan_reference()
    try:
        add_pending_loan(account.id, meta.amount_cents, meta.exposure_limit_cents)
    except LoanLimitReached:
        info = ErrorInfo(
            error_type="loan-limit",
            title="Loan limit reached",
            detail=(
                "Your pending loans would be more than "
                f"{format_cents(meta.exposure_limit_cents)}. Nothing was applied for."
            ),
        )
        return Effected(FlowResult(status="error", error=info.title, error_info=info))
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
    return Effected(_authorized(given.claims, loan_reference=reference))


def update_profile(given: EffectInput) -> Effected:
    meta, account, claims = given.request.request_metadata, given.account, given.claims
    assert isinstance(meta, ProfileUpdateMeta) and account is not None
    changes: dict[str, str] = {}
    updated: list[str] = []
    for attribute_id in meta.requested_claims:
        value = claims.text_of(attribute_id)
        if value is not None:
            changes[PROFILE_FIELDS[attribute_id]] = value
            updated.append(PID_ATTRIBUTES[attribute_id].display_name)
    update_user(account, changes)
    return Effected(FlowResult(status="authorized", updated_fields=updated))
