"""Views of the auth blueprint. They parse input, call `flows`, and render."""

from __future__ import annotations

import hmac
import json
import math
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import segno
from flask import abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import flows
from ..database import write_transaction
from ..extensions import limiter
from ..login_sessions import delete_session
from ..models import PendingAuthRequest
from ..pending import binding_hash, get_by_authorization_id, get_request
from ..principal import load_user
from ..schemas import FlowType, RequestMeta, SigninMeta, SignupMeta
from ..verification import ResponseCodeNotFound, current_authorizer
from ..verification.pid import FLOW_SPECS, PID_ATTRIBUTES, requested_claims
from ..web import BROWSER_NONCE_KEY, browser_nonce, error_response, render_page, settings
from . import bp
from .forms import WalletStartForm

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_CODE = re.compile(r"^[A-Za-z0-9._~-]{8,512}$")
FLOW_LABELS: dict[str, str] = {
    "signup": "Create your account",
    "signin": "Sign in",
    "payment": "Confirm your payment",
    "loan": "Confirm your loan application",
    "profile_update": "Update your profile",
}
PROGRESS_STEPS = ("Intro", "Authenticate", "Action", "Finish")
ACCOUNT_FLOWS = frozenset({"payment", "loan", "profile_update"})


def verification_limits() -> list[Any]:
    """Decorators limiting verification starts per IP and per signed-in account."""
    limit = lambda: settings().ratelimit_verifications  # noqa: E731
    return [
        limiter.limit(limit, methods=["POST"]),
        limiter.limit(
            limit,
            key_func=lambda: f"account:{current_user.id}",
            exempt_when=lambda: not current_user.is_authenticated,
            methods=["POST"],
        ),
    ]


def rate_limited(view: Any) -> Any:
    for decorator in verification_limits():
        view = decorator(view)
    return view


def public_origin() -> str:
    parts = urlsplit(settings().public_base_url)
    return f"{parts.scheme}://{parts.netloc}"


def begin(meta: RequestMeta, mode: str, user_id: str | None = None) -> Response:
    """Start a verification and send the browser to its waiting page."""
    if mode == "dc_api" and settings().authorizer != "vidos":
        mode = "direct_post"
    request_row = flows.start_flow(
        current_authorizer(),
        meta,
        "dc_api" if mode == "dc_api" else "direct_post",
        browser_nonce(),
        user_id=user_id,
        origin=public_origin(),
    )
    return redirect(url_for("auth.waiting", request_id=request_row.id), 303)


def _start_page(flow: FlowType) -> str | Response:
    form = WalletStartForm()
    if form.validate_on_submit():
        if flow == "signin":  # the form posts back to its own URL, ?next= included
            session["next_after_signin"] = safe_next(request.args.get("next"))
        meta: RequestMeta = (
            SignupMeta(credential_formats=form.formats())
            if flow == "signup"
            else SigninMeta(credential_formats=form.formats())
        )
        return begin(meta, form.mode.data)
    if request.method == "POST":
        return render_page(f"auth/{flow}.html", 400, form=form, steps=PROGRESS_STEPS)
    return render_template(f"auth/{flow}.html", form=form, steps=PROGRESS_STEPS)


@bp.route("/signup", methods=["GET", "POST"])
@rate_limited
def signup() -> str | Response:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("banking.dashboard"))
    return _start_page("signup")


@bp.route("/signin", methods=["GET", "POST"])
@rate_limited
def signin() -> str | Response:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or url_for("banking.dashboard"))
    return _start_page("signin")


def safe_next(target: str | None) -> str | None:
    """Only our own paths are followed after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _is_creating_browser(pending: PendingAuthRequest) -> bool:
    nonce = session.get(BROWSER_NONCE_KEY)
    return isinstance(nonce, str) and hmac.compare_digest(
        binding_hash(nonce), pending.browser_binding_hash
    )


def owned_request(request_id: str) -> PendingAuthRequest:
    """The request if this browser created it (and, for account flows, owns it); else 404."""
    if not _UUID.match(request_id):
        abort(404)
    pending = get_request(request_id)
    if pending is None or not _is_creating_browser(pending):
        abort(404)
    if pending.type in ACCOUNT_FLOWS and (
        not current_user.is_authenticated or current_user.id != pending.user_id
    ):
        abort(404)
    return pending


def sign_in_browser(token: str) -> None:
    """Sign this browser in with a fresh session, keeping only its binding nonce."""
    nonce = session.get(BROWSER_NONCE_KEY)
    session.clear()
    if isinstance(nonce, str):
        session[BROWSER_NONCE_KEY] = nonce
    session.permanent = True
    user = load_user(token)
    if user is not None:
        login_user(user)


def follow_outcome(pending: PendingAuthRequest, outcome: flows.Outcome) -> flows.Outcome:
    """For the creating browser: sign in where the flow signs in."""
    if outcome.status == "authorized" and pending.type in ("signup", "signin"):
        wanted = safe_next(session.get("next_after_signin")) if pending.type == "signin" else None
        ttl = timedelta(minutes=settings().session_ttl_minutes)
        token = flows.issue_login(pending.id, ttl)
        if token is not None:
            sign_in_browser(token)
        if wanted:
            return flows.Outcome(outcome.status, outcome.title, outcome.detail, wanted)
    return outcome


def refresh(pending: PendingAuthRequest) -> flows.Outcome:
    """The request's outcome, asking the authorizer if the last check is old enough."""
    interval = timedelta(seconds=current_app.config["STATUS_CHECK_INTERVAL_SECONDS"])
    return flows.refresh(current_authorizer(), pending.id, interval) or flows.EXPIRED


def qr_svg(url: str) -> Markup:
    qr = segno.make(url, error="m")
    modules = qr.symbol_size(scale=1, border=2)[0]
    svg = qr.svg_inline(
        scale=max(4, math.ceil(240 / modules)), border=2, light="#fff", svgclass="qr-code"
    )
    return Markup(svg)  # noqa: S704 - segno's own markup, built from a URL it encodes


@bp.get("/auth/<request_id>")
def waiting(request_id: str) -> str | Response:
    pending = owned_request(request_id)
    outcome = follow_outcome(pending, refresh(pending))
    if outcome.status == "authorized" and outcome.next_url:
        return redirect(outcome.next_url, 303)
    meta = pending.request_metadata
    chosen = getattr(meta, "requested_claims", None)
    attributes = [PID_ATTRIBUTES[c].display_name for c in requested_claims(meta.kind, chosen)]
    authorize_url = meta.presentation.authorize_url
    return render_template(
        "auth/waiting.html",
        pending=pending,
        outcome=outcome,
        label=FLOW_LABELS[pending.type],
        purpose=FLOW_SPECS[meta.kind].purpose,
        attributes=attributes,
        authorize_url=authorize_url,
        qr=qr_svg(authorize_url) if authorize_url and not outcome.terminal else None,
        dc_api_request=meta.presentation.dc_api_request,
        steps=PROGRESS_STEPS,
        retry_url=_retry_url(pending),
    )


def _retry_url(pending: PendingAuthRequest) -> str:
    return {
        "signup": "/signup",
        "signin": "/signin",
        "payment": "/send",
        "loan": "/loan",
        "profile_update": "/profile",
    }[pending.type]


@bp.get("/auth/<request_id>/status")
def status(request_id: str) -> Response:
    pending = owned_request(request_id)
    outcome = follow_outcome(pending, refresh(pending))
    return jsonify(outcome.as_json())


def _json_body() -> Any:
    """The request's JSON, or None when it is malformed or absurdly nested."""
    try:
        return json.loads(request.get_data(cache=False, as_text=True))
    except (ValueError, RecursionError):
        return None


@bp.post("/auth/<request_id>/complete")
def complete(request_id: str) -> Response:
    pending = owned_request(request_id)
    body = _json_body()
    if not isinstance(body, dict):
        return error_response(400, "Bad request", "Send JSON with origin and response.")
    origin, response = body.get("origin"), body.get("response")
    if isinstance(response, dict) and isinstance(response.get("response"), str):
        response = response["response"]
    if (
        not isinstance(origin, str)
        or len(origin) > 200
        or not (
            isinstance(response, str) or (isinstance(response, dict) and "vp_token" in response)
        )
    ):
        return error_response(400, "Bad request", "Send JSON with origin and response.")
    if pending.status == "pending":
        authorizer = current_authorizer()
        final = authorizer.forward_dc_api_response(pending.vidos_authorization_id, origin, response)
        flows.apply_final_status(authorizer, pending, final)
    outcome = follow_outcome(pending, refresh(pending))
    return jsonify(outcome.as_json())


@bp.get("/callback")
def callback() -> str | Response:
    code = request.args.get("response_code", "")
    if not _CODE.match(code):
        return _callback_problem()
    pending = flows.request_for_response_code(code)
    authorizer = current_authorizer()
    if pending is None:
        try:
            resolved = authorizer.resolve_response_code(code)
        except ResponseCodeNotFound:
            return _callback_problem()
        pending = get_by_authorization_id(resolved.authorization_id)
        if pending is None:
            return _callback_problem()
        flows.remember_response_code(pending.id, code)
        if pending.status == "pending":
            flows.apply_final_status(authorizer, pending, resolved.status)
    outcome = refresh(pending)
    if _is_creating_browser(pending) and (
        pending.type not in ACCOUNT_FLOWS
        or (current_user.is_authenticated and current_user.id == pending.user_id)
    ):
        outcome = follow_outcome(pending, outcome)
        if outcome.status == "authorized" and outcome.next_url:
            return redirect(outcome.next_url, 303)
        return redirect(url_for("auth.waiting", request_id=pending.id), 303)
    return render_template(
        "auth/callback.html",
        outcome=outcome,
        summary=flows.plain_summary(pending, outcome),
    )


def _callback_problem() -> Response:
    return render_page(
        "auth/callback.html",
        400,
        outcome=None,
        summary="This link has already been used or has expired. "
        "Go back to the device where you started and try again.",
    )


@bp.post("/signout")
@login_required  # type: ignore[untyped-decorator]
def signout() -> Response:
    with write_transaction():  # CSRFProtect has checked the form's token already
        delete_session(current_user.token)
    logout_user()
    session.clear()
    return redirect(url_for("pages.landing"), 303)
