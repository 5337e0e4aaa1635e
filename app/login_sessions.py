"""Login sessions stored in the database. The browser holds a random token; the database
holds only its SHA-256, so a database leak does not hand out logins."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from .db_types import utcnow
from .extensions import db
from .hashing import sha256_hex
from .models import LoginSession, User
from .schemas import CredentialFormat, PresentationMode


@dataclass(frozen=True)
class ResolvedSession:
    user: User
    session: LoginSession


def create_session(
    user_id: str,
    mode: PresentationMode,
    credential_formats: list[CredentialFormat],
    ttl: timedelta,
) -> str:
    """Store a new session and return its raw token (shown to the browser only)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginSession(
            token_hash=sha256_hex(token),
            user_id=user_id,
            mode=mode,
            credential_formats=list(credential_formats),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    db.session.flush()
    return token


def resolve_token(token: str, now: datetime | None = None) -> ResolvedSession | None:
    """The live session and user for a token; nothing for an unknown or expired one."""
    if not token or len(token) > 200:
        return None
    row = db.session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == sha256_hex(token))
        .where(LoginSession.expires_at > (now or utcnow()))
    ).first()
    if row is None:
        return None
    return ResolvedSession(user=row[1], session=row[0])


def delete_session(token: str) -> None:
    db.session.execute(delete(LoginSession).where(LoginSession.token_hash == sha256_hex(token)))


def delete_expired_sessions(now: datetime | None = None) -> int:
    result = db.session.execute(
        delete(LoginSession).where(LoginSession.expires_at <= (now or utcnow()))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
