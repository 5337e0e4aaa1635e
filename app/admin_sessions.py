"""Admin sign-ins kept on the server, like customer sessions: the cookie holds a random
token, the database its SHA-256, and signing out (or 30 minutes) ends it for every copy."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from .db_types import utcnow
from .extensions import db
from .hashing import sha256_hex
from .models import AdminSession

ADMIN_SESSION_TTL = timedelta(minutes=30)


def create_admin_session(now: datetime | None = None) -> str:
    """Store a new admin session (in the caller's transaction); returns its raw token."""
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    db.session.add(
        AdminSession(
            token_hash=sha256_hex(token), created_at=now, expires_at=now + ADMIN_SESSION_TTL
        )
    )
    db.session.flush()
    return token


def admin_session_valid(token: object, now: datetime | None = None) -> bool:
    if not isinstance(token, str) or not token or len(token) > 200:
        return False
    found = db.session.scalar(
        select(AdminSession.id).where(
            AdminSession.token_hash == sha256_hex(token),
            AdminSession.expires_at > (now or utcnow()),
        )
    )
    return found is not None


def delete_admin_session(token: object) -> None:
    if isinstance(token, str):
        db.session.execute(delete(AdminSession).where(AdminSession.token_hash == sha256_hex(token)))


def delete_expired_admin_sessions(now: datetime | None = None) -> int:
    result = db.session.execute(
        delete(AdminSession).where(AdminSession.expires_at <= (now or utcnow()))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
