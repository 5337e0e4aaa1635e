"""Verification flows from start to completion.

A flow starts by asking the authorizer for a presentation and storing a pending request.
It ends exactly once: the first caller (status poll, wallet callback or Digital
Credentials API completion) to move the request out of `pending` applies its effect in the
same transaction; everyone else reads the stored result.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..database import write_transaction
from ..db_types import utcnow
from ..extensions import db
from ..login_sessions import create_session
from ..models import PendingAuthRequest, User
from ..schemas import ErrorInfo, FlowMeta, FlowResult, Presentation, PresentationMode
from ..verification import Authorizer
from ..verification.claims import (
    ClaimsRejected,
    MissingClaims,
    VerifiedClaims,
    require_attributes,
)
from ..verification.pid import build_presentation_request
from . import requests
from .effects import Effected, EffectInput, identity_mismatch
from .kinds import FlowKind, kind_of
from .outcomes import EXPIRED, PENDING, Outcome, outcome_of

log = logging.getLogger(__name__)


def start(
    authorizer: Authorizer,
    meta: FlowMeta,
    mode: PresentationMode,
    browser_nonce: str,
    *,
    user_id: str | None = None,
    origin: str | None = None,
) -> PendingAuthRequest:
    """Ask the authorizer for a presentation and store the pending request.

    Raises the authorizer's errors before anything is stored.
    """
    kind = kind_of(meta.kind)
    presentation_request = build_presentation_request(
        kind.attributes_for(meta),
        list(meta.credential_formats),
        mode,
        purpose=kind.purpose,
        origin=origin,
        transaction=kind.transaction_data(meta) if kind.transaction_data else None,
        verifier_info=kind.verifier_info,
        retain=kind.retains,
    )
    created = authorizer.create_authorization(presentation_request)
    stored_meta = meta.model_copy(
        update={
            "presentation": Presentation(
                authorize_url=created.authorize_url, dc_api_request=created.dc_api_request
            )
        }
    )
    with write_transaction(keep_loaded=True):  # the new row is as stored
        return requests.create_request(
            stored_meta,
            mode,
            created.authorization_id,
            browser_nonce,
            kind.time_to_live,
            user_id=user_id,
            response_url=created.response_url,
        )


def refresh(
    authorizer: Authorizer,
    request: PendingAuthRequest,
    min_interval: timedelta = timedelta(seconds=1),
) -> Outcome:
    """Current outcome of a request, asking the authorizer at most once per `min_interval`.

    A poll that is not due reads and decides: no write. An authorizer whose status is a
    read of this database (the local verifier) is asked on every poll, still with no write
    until the answer is final. Authorizer errors propagate and change nothing.
    """
    if request.status != "pending":
        return outcome_of(request)
    if authorizer.reads_status_locally:
        status = authorizer.get_status(request.authorization_id)
        return apply_status(authorizer, request, status.status, status.error_info)
    if not requests.check_due(request, min_interval):
        return PENDING
    # The claim writes only `last_checked_at`, which nothing reads after `check_due`: the
    # request stays loaded, so the view reads it once.
    with write_transaction(keep_loaded=True):
        claimed = requests.claim_status_check(request.id, min_interval)
    if not claimed:
        return PENDING
    status = authorizer.get_status(request.authorization_id)
    return apply_status(authorizer, request, status.status, status.error_info)


def apply_status(
    authorizer: Authorizer,
    request: PendingAuthRequest,
    status: str,
    error_info: ErrorInfo | None,
) -> Outcome:
    """Finish a request according to an authorizer status (idempotent). A status that is
    still pending changes nothing and reads nothing: the next poll sees anything else that
    ended the request meanwhile (a wallet callback, a cancel)."""
    if status == "pending":
        return PENDING
    request_id = request.id
    if status == "authorized":
        return complete(authorizer, request)
    if status in ("rejected", "error"):
        result = FlowResult(
            status="rejected" if status == "rejected" else "error",
            error=error_info.title if error_info else None,
            error_info=error_info,
        )
        _finish(request_id, "failed", result)
    elif status == "expired":
        _finish(request_id, "expired", FlowResult(status="expired"))
    return stored_outcome(request_id)


def apply_final_status(authorizer: Authorizer, request: PendingAuthRequest, status: str) -> Outcome:
    """Finish a request from a final status reported by the wallet's return path (callback
    or Digital Credentials API), fetching the error details when it failed."""
    info = None
    if status in ("rejected", "error"):
        info = authorizer.get_status(request.authorization_id).error_info
    return apply_status(authorizer, request, status, info)


def decline(request: PendingAuthRequest, error: object, description: object = None) -> Outcome:
    """End a request the wallet answered with an OpenID4VP error response (8.5): declined,
    nothing applied. The wallet's words are kept only as short text."""
    code = error if isinstance(error, str) and error else "access_denied"
    detail = (
        "You declined to share your PID with Demo Bank."
        if code == "access_denied"
        else "Your wallet could not answer the request."
    )
    details = [description[:200]] if isinstance(description, str) and description else []
    info = ErrorInfo(
        error_type=code.replace("_", "-")[:40],
        title="Request declined" if code == "access_denied" else "Wallet error",
        detail=detail,
        details=details,
        policy="wallet-response",
    )
    _finish(request.id, "failed", FlowResult(status="rejected", error=info.title, error_info=info))
    return stored_outcome(request.id)


def _finish(request_id: str, status: requests.TerminalStatus, result: FlowResult) -> None:
    with write_transaction():
        requests.finish(request_id, status, result)


def stored_outcome(request_id: str) -> Outcome:
    db.session.expire_all()
    request = db.session.get(PendingAuthRequest, request_id)
    return EXPIRED if request is None else outcome_of(request)


def _missing(kind: FlowKind, claims: VerifiedClaims) -> FlowResult | None:
    try:
        require_attributes(claims, kind.required)
    except MissingClaims as exc:
        info = ErrorInfo(
            error_type="missing-attributes",
            title="Missing information",
            detail=f"{exc}. Share them and try again.",
            details=exc.missing,
        )
        return FlowResult(status="error", error=info.title, error_info=info)
    return None


def complete(authorizer: Authorizer, request: PendingAuthRequest) -> Outcome:
    """Apply an authorized presentation's effect exactly once and return the outcome."""
    request_id = request.id
    requests.expire_if_due(request)
    if request.status != "pending":
        return outcome_of(request)
    kind = kind_of(request.type)
    try:
        claims = authorizer.get_claims(request.authorization_id)
    except ClaimsRejected as exc:
        info = ErrorInfo(error_type=exc.error_type, title=exc.title, detail=exc.detail)
        _finish(request_id, "failed", FlowResult(status="error", error=info.title, error_info=info))
        return stored_outcome(request_id)
    missing = _missing(kind, claims)
    if missing is not None:
        _finish(request_id, "failed", missing)
        return stored_outcome(request_id)
    try:
        with write_transaction():
            # Read the row once, locked, and write its final status once: only one caller
            # gets past `lock_pending`, and the conditional finish confirms it.
            row = requests.lock_pending(request_id)
            if row is not None:
                effected = _effect(kind, row, claims)
                final: requests.TerminalStatus = (
                    "completed" if effected.result.status == "authorized" else "failed"
                )
                if not requests.finish(row.id, final, effected.result, user_id=effected.account_id):
                    raise RuntimeError(f"request {row.id} finished twice")  # rolls back
    except IntegrityError:
        # Another request created the same account at the same moment (PostgreSQL):
        # everything was rolled back and the next check sees the account.
        log.info("request %s raced another sign-up; will retry", request_id)
        return PENDING
    except DBAPIError:
        # Anything else the database refused (a value too long for its column): nothing was
        # applied, and the request ends now instead of failing on every poll.
        log.exception("request %s could not be completed", request_id)
        info = ErrorInfo(
            error_type="error",
            title="Verification failed",
            detail="The identity check could not be completed. Nothing was changed.",
        )
        _finish(request_id, "failed", FlowResult(status="error", error=info.title, error_info=info))
    return stored_outcome(request_id)


def _effect(kind: FlowKind, row: PendingAuthRequest, claims: VerifiedClaims) -> Effected:
    account = None
    if kind.needs_account:
        account = db.session.scalar(select(User).where(User.id == row.user_id).with_for_update())
        if account is None:
            return Effected(FlowResult(status="error", error="Account not found"))
        # The presentation must be of this account's holder: a missing identity number is
        # a mismatch too, or any PID could change the account (security review, item 3).
        if claims.personal_administrative_number != account.identifier:
            return Effected(identity_mismatch())
    return kind.effect(EffectInput(row, claims, account))


def issue_login(request_id: str, session_ttl: timedelta) -> str | None:
    """The one login a completed sign-up or sign-in gives, as a raw session token.

    Single use: a replayed poll or callback gets nothing, even with the binding nonce.
    """
    with write_transaction():
        request = db.session.get(PendingAuthRequest, request_id)
        if (
            request is None
            or not kind_of(request.type).signs_in
            or request.status != "completed"
            or request.user_id is None
        ):
            return None
        if not requests.mark_login_issued(request_id, utcnow()):
            return None
        meta = request.request_metadata
        return create_session(request.user_id, request.mode, meta.credential_formats, session_ttl)
