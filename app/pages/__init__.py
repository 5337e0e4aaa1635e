"""Public pages: landing, wallet guide and the health check."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from ..accounts import OPENING_BALANCE_CENTS
from ..database import database_ok
from ..verification import Authorizer, current_authorizer
from ..web import json_view, unlimited

bp = Blueprint("pages", __name__)
HEALTH_CACHE_SECONDS = 30.0  # at most one authorizer call per this long, per worker


def _authorizer_health(authorizer: Authorizer) -> bool:
    """The authorizer's health, asked at most every 30 s per worker: /health is public, and
    each call would otherwise cost the authorizer (and the bank's API quota) one request."""
    cache = current_app.extensions.setdefault("demobank.authorizer_health", {})
    checked_at = cache.get("at")
    if checked_at is None or time.monotonic() - checked_at >= HEALTH_CACHE_SECONDS:
        cache["ok"] = authorizer.health()
        cache["at"] = time.monotonic()
    return bool(cache["ok"])


@bp.get("/")
def landing() -> str:
    return render_template(
        "landing.html",
        was_reset=request.args.get("reset") == "1",
        signed_in=current_user.is_authenticated,
        opening_balance_cents=OPENING_BALANCE_CENTS,
    )


@bp.get("/guide")
def guide() -> str:
    return render_template("guide.html")


@bp.get("/health")
@unlimited
@json_view
def health() -> tuple[Response, int]:
    db_ok = database_ok()
    authorizer = current_authorizer()
    authorizer_ok = _authorizer_health(authorizer)
    ok = db_ok and authorizer_ok
    body = {
        "status": "ok" if ok else "degraded",
        "database": "ok" if db_ok else "error",
        "authorizer": {"name": authorizer.name, "status": "ok" if authorizer_ok else "error"},
    }
    return jsonify(body), 200 if ok else 503


from . import theme  # noqa: E402, F401 - registers the theme route on this blueprint
