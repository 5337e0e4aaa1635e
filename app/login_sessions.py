"""Login sessions stored in the database. The browser holds a random token; the database
holds only its SHA-256, so a database leak does not hand out logins."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, select, update

from .database import write_transaction
from .db_types import utcnow
from .extensions import db
from .hashing import sha256_hex
from .models import LoginSession, User
from .schemas import CredentialFormat, PresentationMode

SEEN_WRITE_INTERVAL = timedelta(minutes=1)  # last_seen_at is written at most this often
MAX_TOKEN_CHARS = 200
LAST_SEEN = func.coalesce(LoginSession.last_seen_at, LoginSession.created_at)
# What makes a session live, for the parameters of `live_parameters`. Built once: every
# signed-in request runs it, and building the expression cost more than running it.
LIVE = and_(
    LoginSession.token_hash == bindparam("token_hash"),
    LoginSession.expires_at > bindparam("now"),
    bindparam("idle_since") < LAST_SEEN,
)
# One query, through the unique index on the token hash.
_LIVE_SESSION = select(LoginSession, User).join(User, User.id == LoginSession.user_id).where(LIVE)


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


def usable_token(token: object) -> str | None:
    """The token if it is worth looking up (a string of a sane length), else None."""
    if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_CHARS:
        return token
    return None


def live_parameters(token: str | None, idle_timeout: timedelta, now: datetime) -> dict[str, Any]:
    """The bind parameters of `LIVE`; no token matches no session."""
    return {
        "token_hash": sha256_hex(token) if token else "",
        "now": now,
        "idle_since": now - idle_timeout,
    }


def resolve_token(
    token: str, idle_timeout: timedelta, now: datetime | None = None
) -> ResolvedSession | None:
    """The live session and user for a token; nothing for an unknown one, one past its
    lifetime, or one unused for `idle_timeout`. One indexed query (token hash, unique)."""
    if usable_token(token) is None:
        return None
    now = now or utcnow()
    row = db.session.execute(_LIVE_SESSION, live_parameters(token, idle_timeout, now)).first()
    if row is None:
        return None
    return ResolvedSession(user=row[1], session=row[0])


def note_activity(resolved: ResolvedSession, now: datetime | None = None) -> None:
    """Keep an active session alive: writes `last_seen_at`, but at most once a minute, so a
    signed-in page costs no write otherwise. Runs in its own short transaction."""
    now = now or utcnow()
    login = resolved.session
    seen = login.last_seen_at or login.created_at
    if now - seen < SEEN_WRITE_INTERVAL:
        return
    with write_transaction():
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.id == login.id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )


def delete_session(token: str) -> None:
    db.session.execute(delete(LoginSession).where(LoginSession.token_hash == sha256_hex(token)))


def delete_expired_sessions(now: datetime | None = None) -> int:
    result = db.session.execute(
        delete(LoginSession).where(LoginSession.expires_at <= (now or utcnow()))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
