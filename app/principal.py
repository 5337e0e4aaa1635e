"""The signed-in person as Flask-Login sees them: an account plus the login session."""

from __future__ import annotations

from flask_login import UserMixin

from .login_sessions import ResolvedSession, resolve_token
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

    def get_id(self) -> str:
        return self.token


def load_user(token: str) -> SignedInUser | None:
    resolved = resolve_token(token)
    return None if resolved is None else SignedInUser(token, resolved)
