"""Verification requests: one row per wallet presentation a flow waits for.

A request leaves `pending` at most once: every terminal transition is a conditional
`UPDATE ... WHERE status = 'pending'` whose row count says whether this caller won.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

from sqlalchemy import bindparam, or_, select, update

from ..database import in_write_transaction, write_transaction
from ..db_types import utcnow
from ..extensions import db
from ..hashing import sha256_hex
from ..login_sessions import LAST_SEEN, LIVE, live_parameters
from ..models import LoginSession, PendingAuthRequest
from ..schemas import FlowMeta, FlowResult, PresentationMode

TerminalStatus = Literal["completed", "failed", "expired"]


def create_request(
    metadata: FlowMeta,
    mode: PresentationMode,
    authorization_id: str,
    browser_nonce: str,
    time_to_live: timedelta,
    *,
    user_id: str | None = None,
    response_url: str | None = None,
    now: datetime | None = None,
) -> PendingAuthRequest:
    now = now or utcnow()
    request = PendingAuthRequest(
        authorization_id=authorization_id,
        type=metadata.kind,
        mode=mode,
        status="pending",
        user_id=user_id,
        browser_binding_hash=sha256_hex(browser_nonce),
        response_url=response_url,
        request_metadata=metadata,
        created_at=now,
        expires_at=now + time_to_live,
    )
    db.session.add(request)
    db.session.flush()
    return request


def made_by(request: PendingAuthRequest | Glance, browser_nonce: object) -> bool:
    """Whether the browser holding `browser_nonce` created the request."""
    return isinstance(browser_nonce, str) and hmac.compare_digest(
        sha256_hex(browser_nonce), request.browser_binding_hash
    )


class Glance(NamedTuple):
    """What a status poll needs to know before anything else: whether the request is still
    pending, whether a check is due, whose it is, and the browser's login session (its
    account and when it was last seen; None without a live one)."""

    type: str
    status: str
    user_id: str | None
    browser_binding_hash: str
    expires_at: datetime
    last_checked_at: datetime | None
    session_user_id: str | None
    session_seen_at: datetime | None


# Built once; one query through two unique indexes (the request id and the token hash).
_GLANCE = (
    select(
        PendingAuthRequest.type,
        PendingAuthRequest.status,
        PendingAuthRequest.user_id,
        PendingAuthRequest.browser_binding_hash,
        PendingAuthRequest.expires_at,
        PendingAuthRequest.last_checked_at,
        LoginSession.user_id,
        LAST_SEEN,
    )
    .select_from(PendingAuthRequest)
    .outerjoin(LoginSession, LIVE)
    .where(PendingAuthRequest.id == bindparam("request_id"))
)


def glance(
    request_id: str, login_token: str | None, idle_timeout: timedelta, now: datetime
) -> Glance | None:
    """The request's status columns and the live login session of `login_token`, in one
    read on a connection of its own, with no ORM session or object built (see `Glance`)."""
    params = {"request_id": request_id, **live_parameters(login_token, idle_timeout, now)}
    with db.engine.connect() as connection:
        row = connection.execute(_GLANCE, params).first()
    return None if row is None else Glance(*row)


def expire_if_due(request: PendingAuthRequest, now: datetime | None = None) -> PendingAuthRequest:
    now = now or utcnow()
    if request.status == "pending" and request.expires_at <= now:
        if in_write_transaction():
            finish(request.id, "expired", FlowResult(status="expired"), now=now)
        else:
            with write_transaction():
                finish(request.id, "expired", FlowResult(status="expired"), now=now)
        db.session.refresh(request)
    return request


def get_request(request_id: str, now: datetime | None = None) -> PendingAuthRequest | None:
    """A request by id; one past `expires_at` is stored and returned as expired."""
    request = db.session.get(PendingAuthRequest, request_id)
    return None if request is None else expire_if_due(request, now or utcnow())


def get_by_authorization_id(
    authorization_id: str, now: datetime | None = None
) -> PendingAuthRequest | None:
    request = db.session.scalar(
        select(PendingAuthRequest).where(PendingAuthRequest.authorization_id == authorization_id)
    )
    return None if request is None else expire_if_due(request, now or utcnow())


def withdrawn(authorization_id: str, now: datetime | None = None) -> bool:
    """Whether the bank has given up on this authorization (cancelled, finished or past its
    time), so no wallet answer can complete it any more. A read only."""
    row = db.session.execute(
        select(PendingAuthRequest.status, PendingAuthRequest.expires_at).where(
            PendingAuthRequest.authorization_id == authorization_id
        )
    ).first()
    return row is not None and (row[0] != "pending" or row[1] <= (now or utcnow()))


def lock_pending(request_id: str) -> PendingAuthRequest | None:
    """The request, locked for this write transaction, if it is still pending.

    PostgreSQL holds the row lock until commit, so a second completer waits and then
    finds the request finished; SQLite's BEGIN IMMEDIATE has serialised it already.
    """
    db.session.expire_all()
    return db.session.scalar(
        select(PendingAuthRequest)
        .where(PendingAuthRequest.id == request_id, PendingAuthRequest.status == "pending")
        .with_for_update()
    )


def finish(
    request_id: str,
    status: TerminalStatus,
    result: FlowResult,
    now: datetime | None = None,
    *,
    user_id: str | None = None,
) -> bool:
    """Move a pending request to a terminal status (and, for a sign-up or sign-in, link it
    to its account). True only for the one caller that did."""
    values: dict[str, object] = {
        "status": status,
        "result": result,
        "completed_at": now or utcnow(),
    }
    if user_id is not None:
        values["user_id"] = user_id
    stmt = (
        update(PendingAuthRequest)
        .where(PendingAuthRequest.id == request_id, PendingAuthRequest.status == "pending")
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return bool(db.session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def mark_login_issued(request_id: str, now: datetime) -> bool:
    """Claim the one login of a completed sign-up or sign-in. True for the one caller."""
    stmt = (
        update(PendingAuthRequest)
        .where(PendingAuthRequest.id == request_id, PendingAuthRequest.login_issued_at.is_(None))
        .values(login_issued_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(db.session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def check_due(
    request: PendingAuthRequest | Glance, min_interval: timedelta, now: datetime | None = None
) -> bool:
    """Whether the authorizer may be asked about `request` again (a read, no write)."""
    last = request.last_checked_at
    return last is None or last <= (now or utcnow()) - min_interval


def claim_status_check(
    request_id: str, min_interval: timedelta = timedelta(seconds=1), now: datetime | None = None
) -> bool:
    """Record that this caller asks the authorizer now, unless someone did less than
    `min_interval` ago. Concurrent pollers thus cost one authorizer call per interval."""
    now = now or utcnow()
    stmt = (
        update(PendingAuthRequest)
        .where(
            PendingAuthRequest.id == request_id,
            PendingAuthRequest.status == "pending",
            or_(
                PendingAuthRequest.last_checked_at.is_(None),
                PendingAuthRequest.last_checked_at <= now - min_interval,
            ),
        )
        .values(last_checked_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(db.session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def by_response_code(code: str) -> PendingAuthRequest | None:
    """The request whose response code was already resolved (the code is single use)."""
    return db.session.scalar(
        select(PendingAuthRequest).where(PendingAuthRequest.response_code_hash == sha256_hex(code))
    )


def remember_response_code(request_id: str, code: str) -> None:
    with write_transaction():
        db.session.execute(
            update(PendingAuthRequest)
            .where(PendingAuthRequest.id == request_id)
            .values(response_code_hash=sha256_hex(code))
            .execution_options(synchronize_session=False)
        )
