"""The `flows` blueprint: the pages every flow shares. The waiting page (QR code, deep
link, live status), its JSON status, the Digital Credentials API completion and the
wallet's callback."""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import segno
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from ..database import write_transaction
from ..extensions import limiter
from ..links import url_of
from ..models import PendingAuthRequest
from ..schemas import FlowResult
from ..verification import ResponseCodeNotFound, current_authorizer
from ..verification.pid import PID_ATTRIBUTES
from ..web import error_response, json_view, render_page, settings, unlimited
from . import engine, requests
from .kinds import Step, kind_of, progress
from .outcomes import CANCELLED, PENDING, Outcome, plain_summary
from .web import (
    follow_outcome,
    is_owner,
    outcome_json,
    owned_request,
    pending_and_not_due,
    public_origin,
    refresh,
)

bp = Blueprint("flows", __name__)
_CODE = re.compile(r"^[A-Za-z0-9._~-]{8,512}$")


@lru_cache(maxsize=256)
def qr_svg(url: str) -> Markup:
    """The QR code of a wallet URL as inline SVG (drawn once per URL and worker)."""
    qr = segno.make(url, error="m")
    modules = qr.symbol_size(scale=1, border=2)[0]
    svg = qr.svg_inline(
        scale=max(4, math.ceil(240 / modules)), border=2, light="#fff", svgclass="qr-code"
    )
    return Markup(svg)  # noqa: S704 - segno's own markup, built from a URL it encodes


WALLET_SCHEMES = ("openid4vp", "eudi-openid4vp", "haip", "https")


def opens_a_wallet(url: str) -> bool:
    """Whether a link the authorizer handed back may be offered to click: a wallet scheme,
    https, or this site's own demo wallet. Never javascript:, data: or the like."""
    scheme = urlsplit(url).scheme.lower()
    own = settings().public_base_url + "/"
    return scheme in WALLET_SCHEMES or url.startswith(own)


@bp.get("/auth/<request_id>")
def waiting(request_id: str) -> str | Response:
    pending = owned_request(request_id)
    outcome = follow_outcome(pending, refresh(pending))
    next_url = url_of(outcome.next_page)
    if outcome.status == "authorized" and next_url:
        return redirect(next_url, 303)
    kind, meta = kind_of(pending.type), pending.request_metadata
    authorize_url = meta.presentation.authorize_url
    return render_template(
        "flows/waiting.html",
        pending=pending,
        kind=kind,
        outcome=outcome,
        next_url=next_url,
        attributes=[PID_ATTRIBUTES[a].display_name for a in kind.attributes_for(meta)],
        authorize_url=authorize_url if authorize_url and opens_a_wallet(authorize_url) else None,
        qr=qr_svg(authorize_url) if authorize_url and not outcome.terminal else None,
        dc_api_request=meta.presentation.dc_api_request,
        retry_url=url_of(kind.retry_page(meta)),
        other_device=request.args.get("device") == "other",
    )


def _status_json(pending: PendingAuthRequest, outcome: Outcome) -> dict[str, Any]:
    """The status answer; a finished request that stays on the waiting page also carries
    its panel, rendered by the same template as the page, so both paths show the same."""
    body = outcome_json(outcome)
    if outcome.terminal and not (outcome.status == "authorized" and body["next_url"]):
        info = outcome.error_info
        body["error"] = {
            "type": info.error_type if info else outcome.status,
            "title": outcome.title,
            "detail": outcome.detail,
            "details": list(info.details) if info else [],
            "policy": info.policy if info else None,
            "hint": outcome.hint,
        }
        body["html"] = render_template(
            "flows/outcome_panel.html",
            outcome=outcome,
            retry_url=url_of(kind_of(pending.type).retry_page(pending.request_metadata)),
        )
    return body


@lru_cache(maxsize=1)
def _pending_body() -> bytes:
    """The answer to a poll of a request that is still pending (always the same)."""
    return json.dumps(outcome_json(PENDING), separators=(",", ":")).encode()


@bp.get("/auth/<request_id>/status")
@unlimited
@json_view
def status(request_id: str) -> Response:
    if pending_and_not_due(request_id):  # most polls: one read, no ORM, no write
        return Response(_pending_body(), mimetype="application/json")
    pending = owned_request(request_id)
    outcome = follow_outcome(pending, refresh(pending))
    return jsonify(_status_json(pending, outcome))


@bp.post("/auth/<request_id>/cancel")
def cancel(request_id: str) -> Response:
    """End a pending request: nothing is applied and no later wallet answer completes it.
    Back to where the flow started, with what was typed. (CSRFProtect checked the form.)"""
    pending = owned_request(request_id)
    with write_transaction():
        cancelled = requests.finish(
            pending.id,
            "failed",
            FlowResult(status="rejected", error=CANCELLED.title, error_info=CANCELLED),
        )
    if not cancelled:  # it finished first: show how
        return redirect(url_for("flows.waiting", request_id=pending.id), 303)
    flash("Request cancelled. Nothing was shared and nothing changed.", "info")
    kind = kind_of(pending.type)
    return redirect(url_of(kind.retry_page(pending.request_metadata)) or "/", 303)


@bp.app_template_global("flow_progress")
def flow_progress(name: str, current: str) -> list[tuple[Step, str]]:
    return progress(name, current)


@bp.app_template_global("flow_label")
def flow_label(name: str) -> str:
    return kind_of(name).label


def _json_body() -> Any:
    """The request's JSON, or None when it is malformed or absurdly nested."""
    try:
        return json.loads(request.get_data(cache=False, as_text=True))
    except (ValueError, RecursionError):
        return None


@bp.post("/auth/<request_id>/complete")
@json_view
def complete(request_id: str) -> Response:
    """What the browser's Digital Credentials API returned, for a request made for it."""
    pending = owned_request(request_id)
    if pending.mode != "dc_api":
        # A QR-code request's response goes to the authorizer's response URI (direct_post.jwt),
        # never through the browser (OpenID4VP 8.3.1 and Appendix A): nothing is forwarded.
        return error_response(
            409, "Wrong kind of request", "This request waits for a wallet by QR code or link."
        )
    body = _json_body()
    if not isinstance(body, dict):
        return error_response(400, "Bad request", "Send JSON with origin and response.")
    origin, response = body.get("origin"), body.get("response")
    if isinstance(response, dict) and isinstance(response.get("response"), str):
        response = response["response"]
    if origin != public_origin():
        # The origin the wallet saw is this site's; another one is not ours to forward.
        return error_response(400, "Bad request", "The response is not for this site.")
    if pending.status == "pending" and isinstance(response, dict) and "error" in response:
        engine.decline(pending, response.get("error"), response.get("error_description"))
    elif pending.status == "pending":
        if not (
            isinstance(response, str) or (isinstance(response, dict) and "vp_token" in response)
        ):
            return error_response(400, "Bad request", "Send JSON with origin and response.")
        authorizer = current_authorizer()
        final = authorizer.forward_dc_api_response(
            pending.authorization_id, public_origin(), response
        )
        engine.apply_final_status(authorizer, pending, final)
    outcome = follow_outcome(pending, refresh(pending))
    return jsonify(_status_json(pending, outcome))


@bp.get("/callback")
@limiter.limit(lambda: settings().ratelimit_callbacks)
def callback() -> str | Response:
    code = request.args.get("response_code", "")
    if not _CODE.match(code):
        return _callback_problem()
    pending = requests.by_response_code(code)
    authorizer = current_authorizer()
    if pending is None:
        try:
            resolved = authorizer.resolve_response_code(code)
        except ResponseCodeNotFound:
            return _callback_problem()
        pending = requests.get_by_authorization_id(resolved.authorization_id)
        if pending is None:
            return _callback_problem()
        requests.remember_response_code(pending.id, code)
        if pending.status == "pending":
            engine.apply_final_status(authorizer, pending, resolved.status)
    outcome = refresh(pending)
    if is_owner(pending):
        outcome = follow_outcome(pending, outcome)
        next_url = url_of(outcome.next_page)
        if outcome.status == "authorized" and next_url:
            return redirect(next_url, 303)
        return redirect(url_for("flows.waiting", request_id=pending.id), 303)
    return render_template(
        "flows/callback.html", outcome=outcome, summary=plain_summary(pending, outcome)
    )


def _callback_problem() -> Response:
    return render_page(
        "flows/callback.html",
        400,
        outcome=None,
        summary="This link has already been used or has expired. "
        "Go back to the device where you started and try again.",
    )
