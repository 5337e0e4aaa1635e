"""The signed-in person as Flask-Login sees them: an account plus the login session."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_login import UserMixin

from .config import Settings
from .db_types import utcnow
from .login_sessions import ResolvedSession, note_activity, resolve_token
from .models import LoginSession, User


class SignedInUser(UserMixin):  # type: ignore[misc]
    """`get_id()` is the raw login token, so the Flask session cookie carries only that."""

    def __init__(self, token: str, resolved: ResolvedSession) -> None:
        self.token = token
        self.account: User = resolved.user
        self.login_session: LoginSession = resolved.session

    @property
    def id(self) -> str:
        return self.account.id

    def login_age(self) -> timedelta:
        """How long ago this login's wallet presentation was."""
        return utcnow() - self.login_session.created_at

    def get_id(self) -> str:
        return self.token


def load_user(token: str) -> SignedInUser | None:
    settings: Settings = current_app.extensions["demobank.settings"]
    resolved = resolve_token(token, timedelta(minutes=settings.session_idle_minutes))
    if resolved is None:
        return None
    note_activity(resolved)
    return SignedInUser(token, resolved)
