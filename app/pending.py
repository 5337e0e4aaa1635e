"""Pending verification requests: one row per wallet presentation a flow waits for.

A request leaves `pending` at most once: every terminal transition is a conditional
`UPDATE ... WHERE status = 'pending'` whose row count says whether this caller won.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, or_, select, update

from .database import in_write_transaction, write_transaction
from .db_types import utcnow
from .extensions import db
from .models import PendingAuthRequest
from .schemas import FlowResult, FlowType, PresentationMode, RequestMeta

TerminalStatus = Literal["completed", "failed", "expired"]
TIME_TO_LIVE: dict[FlowType, timedelta] = {
    "signup": timedelta(minutes=10),
    "signin": timedelta(minutes=10),
    "profile_update": timedelta(minutes=10),
    "payment": timedelta(minutes=5),
    "loan": timedelta(minutes=5),
}


def binding_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def create_request(
    flow: FlowType,
    mode: PresentationMode,
    authorization_id: str,
    browser_nonce: str,
    metadata: RequestMeta,
    *,
    user_id: str | None = None,
    response_url: str | None = None,
    now: datetime | None = None,
) -> PendingAuthRequest:
    now = now or utcnow()
    request = PendingAuthRequest(
        vidos_authorization_id=authorization_id,
        type=flow,
        mode=mode,
        status="pending",
        user_id=user_id,
        browser_binding_hash=binding_hash(browser_nonce),
        response_url=response_url,
        request_metadata=metadata,
        created_at=now,
        expires_at=now + TIME_TO_LIVE[flow],
    )
    db.session.add(request)
    db.session.flush()
    return request


def _expire_if_due(request: PendingAuthRequest, now: datetime) -> PendingAuthRequest:
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
    return None if request is None else _expire_if_due(request, now or utcnow())


def get_by_authorization_id(
    authorization_id: str, now: datetime | None = None
) -> PendingAuthRequest | None:
    request = db.session.scalar(
        select(PendingAuthRequest).where(
            PendingAuthRequest.vidos_authorization_id == authorization_id
        )
    )
    return None if request is None else _expire_if_due(request, now or utcnow())


def finish(
    request_id: str, status: TerminalStatus, result: FlowResult, now: datetime | None = None
) -> bool:
    """Move a pending request to a terminal status. True only for the one caller that did."""
    stmt = (
        update(PendingAuthRequest)
        .where(PendingAuthRequest.id == request_id, PendingAuthRequest.status == "pending")
        .values(status=status, result=result, completed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(db.session.execute(stmt).rowcount)  # type: ignore[attr-defined]


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


def delete_stale_requests(older_than: timedelta, now: datetime | None = None) -> int:
    """Delete requests created before `now - older_than` that can no longer be used."""
    cutoff = (now or utcnow()) - older_than
    result = db.session.execute(
        delete(PendingAuthRequest).where(
            PendingAuthRequest.created_at < cutoff, PendingAuthRequest.expires_at < cutoff
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
