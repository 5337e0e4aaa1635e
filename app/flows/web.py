"""Request-bound helpers of the verification wing, shared by every blueprint that starts
or shows a flow: start one, find the browser's own request, follow its outcome."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ..database import write_transaction
from ..db_types import utcnow
from ..extensions import limiter
from ..links import Page, page_for_path, url_of
from ..login_sessions import SEEN_WRITE_INTERVAL, delete_session, usable_token
from ..models import PendingAuthRequest
from ..principal import load_user
from ..schemas import FlowMeta, PresentationMode
from ..verification import current_authorizer
from ..web import BROWSER_NONCE_KEY, browser_nonce, settings
from . import engine, requests
from .kinds import kind_of
from .outcomes import Outcome

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NEXT_AFTER_SIGNIN = "next_after_signin"


def rate_limited(view: Any) -> Any:
    """Limit verification starts per IP and per signed-in account."""
    limit = lambda: settings().ratelimit_verifications  # noqa: E731
    for decorator in (
        limiter.limit(limit, methods=["POST"]),
        limiter.limit(
            limit,
            key_func=lambda: f"account:{current_user.id}",
            exempt_when=lambda: not current_user.is_authenticated,
            methods=["POST"],
        ),
    ):
        view = decorator(view)
    return view


def public_origin() -> str:
    parts = urlsplit(settings().public_base_url)
    return f"{parts.scheme}://{parts.netloc}"


def begin(meta: FlowMeta, mode: str, user_id: str | None = None) -> Response:
    """Start a verification and send the browser to its waiting page."""
    chosen: PresentationMode = (
        "dc_api" if mode == "dc_api" and settings().dc_api_available else "direct_post"
    )
    request_row = engine.start(
        current_authorizer(),
        meta,
        chosen,
        browser_nonce(),
        user_id=user_id,
        origin=public_origin(),
    )
    return redirect(url_for("flows.waiting", request_id=request_row.id), 303)


def is_creating_browser(request: PendingAuthRequest) -> bool:
    return requests.made_by(request, session.get(BROWSER_NONCE_KEY))


def is_owner(request: PendingAuthRequest) -> bool:
    """This browser made the request and, for account flows, the account is signed in."""
    if not is_creating_browser(request):
        return False
    return not kind_of(request.type).needs_account or (
        current_user.is_authenticated and current_user.id == request.user_id
    )


def owned_request(request_id: str) -> PendingAuthRequest:
    """The request if this browser created it (and, for account flows, owns it); else 404."""
    if not _UUID.match(request_id):
        abort(404)
    request = requests.get_request(request_id)
    if request is None or not is_owner(request):
        abort(404)
    return request


LOGIN_TOKEN_KEY = "_user_id"  # noqa: S105 - where Flask-Login keeps the login token


def pending_and_not_due(request_id: str) -> bool:
    """Whether a status poll can answer "pending" from one read and no write: the request
    is this browser's (and, for account flows, the signed-in account's), still pending,
    not expired, and its authorizer check is not due. Anything else (or a login session
    whose "last seen" is due to be written) takes the full path, which decides the same
    way with the ORM and Flask-Login."""
    nonce = session.get(BROWSER_NONCE_KEY)
    if not isinstance(nonce, str) or not _UUID.match(request_id):
        return False
    if current_authorizer().reads_status_locally:  # its answer is a read away: look
        return False
    now = utcnow()
    idle = timedelta(minutes=settings().session_idle_minutes)
    row = requests.glance(request_id, usable_token(session.get(LOGIN_TOKEN_KEY)), idle, now)
    if row is None or row.status != "pending" or row.expires_at <= now:
        return False
    interval = timedelta(seconds=current_app.config["STATUS_CHECK_INTERVAL_SECONDS"])
    if requests.check_due(row, interval, now) or not requests.made_by(row, nonce):
        return False
    if not kind_of(row.type).needs_account:
        return True
    return (
        row.session_user_id is not None
        and row.session_user_id == row.user_id
        and row.session_seen_at is not None
        and now - row.session_seen_at < SEEN_WRITE_INTERVAL
    )


def completed_request(request_id: str, kind: str) -> PendingAuthRequest:
    """An owned request of `kind` that completed; else 404 (for the success pages)."""
    request = owned_request(request_id)
    if request.type != kind or request.status != "completed" or request.result is None:
        abort(404)
    return request


def refresh(request: PendingAuthRequest) -> Outcome:
    """The request's outcome, asking the authorizer if the last check is old enough."""
    interval = timedelta(seconds=current_app.config["STATUS_CHECK_INTERVAL_SECONDS"])
    return engine.refresh(current_authorizer(), request, interval)


def sign_in_browser(token: str) -> None:
    """Sign this browser in with a fresh session, keeping only its binding nonce; the
    session it had before ends on the server (one browser, one login)."""
    if current_user.is_authenticated:
        with write_transaction():
            delete_session(current_user.token)
        logout_user()
    nonce = session.get(BROWSER_NONCE_KEY)
    session.clear()
    if isinstance(nonce, str):
        session[BROWSER_NONCE_KEY] = nonce
    session.permanent = True
    user = load_user(token)
    if user is not None:
        login_user(user)


def remember_next(target: str | None) -> None:
    """Keep where to go after the sign-in this browser starts (as an endpoint), or forget
    it (any other start forgets it)."""
    page = page_for_path(target)
    if page is None:
        session.pop(NEXT_AFTER_SIGNIN, None)
    else:
        session[NEXT_AFTER_SIGNIN] = {"endpoint": page.endpoint, "params": dict(page.params)}


def _remembered_next() -> Page | None:
    stored = session.get(NEXT_AFTER_SIGNIN)
    if not isinstance(stored, dict) or not isinstance(stored.get("endpoint"), str):
        return None
    params = stored.get("params")
    return Page(stored["endpoint"], params if isinstance(params, dict) else {})


def follow_outcome(request: PendingAuthRequest, outcome: Outcome) -> Outcome:
    """For the creating browser: sign in where the flow signs in."""
    if outcome.status != "authorized" or not kind_of(request.type).signs_in:
        return outcome
    wanted = _remembered_next()
    token = engine.issue_login(request.id, timedelta(minutes=settings().session_ttl_minutes))
    if token is not None:
        sign_in_browser(token)
    if wanted:
        return Outcome(outcome.status, outcome.title, outcome.detail, wanted)
    return outcome


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "status": outcome.status,
        "title": outcome.title,
        "detail": outcome.detail,
        "next_url": url_of(outcome.next_page),
    }
