"""Request-level glue shared by every blueprint: headers, error pages, template helpers."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, jsonify, render_template, request, session
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .config import Settings
from .dev_host import redirect_to_public_host
from .extensions import db
from .housekeeping import PruneTimer
from .money import format_cents
from .verification import AuthorizerError, AuthorizerUnavailable
from .verification.claims import image_data_url

log = logging.getLogger(__name__)
V = TypeVar("V", bound=Callable[..., Any])
BROWSER_NONCE_KEY = "browser_nonce"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
ERROR_TEXT: dict[int, tuple[str, str]] = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "You do not have access to this page."),
    404: ("Page not found", "The page does not exist, or it belongs to someone else."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "What you sent is larger than 2 MB. Send something smaller."),
    429: ("Too many requests", "You have tried this too often. Wait a minute and try again."),
    500: ("Something went wrong", "An unexpected error happened. Please try again."),
    503: (
        "Service unavailable",
        "The identity service is unavailable right now. Please try again.",
    ),
}


def settings() -> Settings:
    value: Settings = current_app.extensions["demobank.settings"]
    return value


def browser_nonce() -> str:
    """A random value held in this browser's session; requests store its hash."""
    nonce = session.get(BROWSER_NONCE_KEY)
    if not isinstance(nonce, str):
        nonce = secrets.token_urlsafe(32)
        session[BROWSER_NONCE_KEY] = nonce
    return nonce


def json_view(view: V) -> V:
    """Mark a view whose errors are answered as JSON (its callers are scripts)."""
    view.json_errors = True  # type: ignore[attr-defined]
    return view


def wants_json() -> bool:
    """JSON for views marked `json_view`, or when the client prefers JSON to HTML."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "json_errors", False):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def render_page(template: str, status: int = 200, **context: Any) -> Response:
    """A rendered HTML page with a status other than 200 (form errors, limits)."""
    return Response(render_template(template, **context), status, mimetype="text/html")


def error_response(code: int, title: str | None = None, detail: str | None = None) -> Response:
    default_title, default_detail = ERROR_TEXT.get(code, ERROR_TEXT[500])
    title, detail = title or default_title, detail or default_detail
    response: Response
    if wants_json():
        response = jsonify({"status": "error", "title": title, "detail": detail, "next_url": None})
    else:
        response = Response(
            render_template("error.html", code=code, title=title, detail=detail),
            mimetype="text/html",
        )
    response.status_code = code
    return response


def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if settings().https:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _template_globals() -> dict[str, Any]:
    return {
        "sandbox_active": settings().authorizer == "sandbox",
        "dc_api_available": settings().dc_api_available,
    }


def _before_request() -> Response | None:
    """One hook for the checks every request gets (each hook costs a little per request)."""
    refused = _refuse_control_characters() or redirect_to_public_host()
    if refused is not None or request.endpoint in ("static", "pages.health"):
        return refused
    if not current_app.extensions.get("demobank.schema_current", True):
        return error_response(
            503, "Database not ready", "The database schema is out of date: run flask db upgrade."
        )
    _prune_now_and_then()
    return None


def _refuse_control_characters() -> Response | None:
    """NUL and control characters never reach a query (PostgreSQL refuses NUL in text).

    A view may allow less than MAX_CONTENT_LENGTH with a `max_content_length` attribute;
    it applies here, before the form is first read."""
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "max_content_length", None)
    if isinstance(limit, int):
        request.max_content_length = limit
    values = [request.path, *request.args.values()]
    if request.form:
        values.extend(request.form.values())
    if any((ch < " " and ch not in "\t\r\n") or ch == "\x7f" for value in values for ch in value):
        return error_response(400)
    return None


def _prune_now_and_then() -> None:
    """Old requests and expired sessions go away without an operator (at most hourly)."""
    try:
        current_app.extensions["demobank.prune_timer"].tick()
    except Exception:  # pruning waits for the next minute; the request goes on
        db.session.rollback()
        log.warning("pruning skipped", exc_info=True)


def register_web_hooks(app: Flask) -> None:
    app.extensions["demobank.prune_timer"] = PruneTimer()
    app.before_request(_before_request)
    app.after_request(_security_headers)
    app.context_processor(_template_globals)
    app.add_template_filter(format_cents, "money")
    app.add_template_filter(lambda cents: format_cents(cents, sign=True), "signed_money")
    app.add_template_filter(image_data_url, "safe_image")

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Response:
        return error_response(
            400, "Form expired", "The form was not accepted. Reload the page and try again."
        )

    @app.errorhandler(AuthorizerUnavailable)
    def _unavailable(error: AuthorizerUnavailable) -> Response:
        log.warning("authorizer unavailable: %s", error)
        return error_response(503)

    @app.errorhandler(AuthorizerError)
    def _refused(error: AuthorizerError) -> Response:
        log.warning("authorizer refused: %s", error)
        return error_response(
            502,
            "Identity check failed",
            "The identity service did not accept the request. Please try again.",
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        return error_response(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)
