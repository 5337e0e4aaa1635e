"""Request-level glue shared by every blueprint: headers, error pages, template helpers."""

from __future__ import annotations

import copy
import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Flask,
    current_app,
    g,
    has_request_context,
    jsonify,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, generate_csrf
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .config import Settings
from .dev_host import redirect_to_public_host
from .extensions import db, limiter
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
        "sandbox_active": settings().demo_wallet,
        "dc_api_available": settings().dc_api_available,
        "csrf_token": cached_csrf_token,  # over Flask-WTF's own context processor
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


# Below a space except tab, line feed and carriage return, and DEL: a regular expression,
# since a wallet's answer is tens of kilobytes to scan.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORM_TYPES = frozenset(("application/x-www-form-urlencoded", "multipart/form-data"))


def _refuse_control_characters() -> Response | None:
    """NUL and control characters never reach a query (PostgreSQL refuses NUL in text).

    A view may allow less than MAX_CONTENT_LENGTH with a `max_content_length` attribute;
    it applies here, before the form is first read."""
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "max_content_length", None)
    if isinstance(limit, int):
        request.max_content_length = limit
    values = [request.path, *request.args.values()]
    if request.mimetype in FORM_TYPES and request.form:  # no form parsing for a plain GET
        values.extend(request.form.values())
    if any(_CONTROL_CHARACTER.search(value) for value in values):
        return error_response(400)
    return None


def _prune_now_and_then() -> None:
    """Old requests and expired sessions go away without an operator (at most hourly)."""
    try:
        current_app.extensions["demobank.prune_timer"].tick()
    except Exception:  # pruning waits for the next minute; the request goes on
        db.session.rollback()
        log.warning("pruning skipped", exc_info=True)


UNLIMITED_ATTRIBUTE = "demobank_unlimited"


def unlimited(view: V) -> V:
    """A view no rate limit applies to (`limiter.exempt`), recognised before Flask-Limiter
    resolves its limits, which would otherwise cost every poll a tenth of a millisecond."""
    setattr(view, UNLIMITED_ATTRIBUTE, True)
    limiter.exempt(view)
    return view


def _no_rate_limit() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, UNLIMITED_ATTRIBUTE, False) or request.endpoint == "static"


limiter.request_filter(_no_rate_limit)  # once: the limiter is shared by every app


def _skip_limiter_where_unlimited(app: Flask) -> None:
    """Flask-Limiter's before-request check, run only for views that may have limits: even
    with the filter above it resolves exemptions and meta limits for every request (a tenth
    of a status poll). Left as it is if the hook is not found."""
    hooks = app.before_request_funcs.get(None, [])
    for index, hook in enumerate(hooks):
        if hook == limiter._check_request_limit:

            def check_where_limited(check: Callable[[], None] = hook) -> None:
                if not _no_rate_limit():
                    check()

            hooks[index] = check_where_limited


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its signing serializer built once per app and
    key instead of on every request (and again for every response that sets the cookie),
    and each cookie's signature checked once per worker: a cookie seen before (the very
    same string) is opened from a copy of what it held, while it is younger than the
    session lifetime, as itsdangerous would check it."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        cache: dict[str, tuple[dict[str, Any], int]] = app.extensions["demobank.cookie_cache"]
        seen = cache.get(cookie)
        if seen is not None and 0 <= int(time.time()) - seen[1] <= max_age:
            return self.session_class(copy.deepcopy(seen[0]))
        try:
            data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if len(cache) >= _COOKIE_CACHE_SIZE:
            cache.clear()
        cache[cookie] = (copy.deepcopy(data), int(signed_at.timestamp()))
        return self.session_class(data)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = app.extensions.get("demobank.session_serializer")
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            app.extensions["demobank.session_serializer"] = cached
        serializer: URLSafeTimedSerializer | None = cached[1]
        return serializer


_COOKIE_CACHE_SIZE = 4096
_URL_CACHE_SIZE = 4096
_CSRF_CACHE_SIZE = 4096


def cached_url_for(endpoint: str, **values: Any) -> str:
    """`url_for` for templates, remembered per worker: a page builds the same dozen links
    (header, menus, static files) on every render. Only plain relative links are kept:
    anything with `_external`, `_anchor` and the like, or non-text values, is built anew."""
    if not has_request_context() or any(
        key[0] == "_" or type(value) not in (str, int) for key, value in values.items()
    ):
        return url_for(endpoint, **values)
    cache: dict[tuple[Any, ...], str] = current_app.extensions["demobank.url_cache"]
    key = (request.script_root, endpoint, *sorted(values.items()))
    url = cache.get(key)
    if url is None:
        if len(cache) >= _URL_CACHE_SIZE:
            cache.clear()
        url = cache[key] = url_for(endpoint, **values)
    return url


def cached_csrf_token() -> str:
    """The signed CSRF token of this browser's session, signed once per worker rather than
    on every page (the token is the same secret either way; WTF_CSRF_TIME_LIMIT is None,
    so a token signed earlier is as valid as a new one)."""
    token = g.get("csrf_token")
    if isinstance(token, str):
        return token
    raw = session.get("csrf_token")
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None or not isinstance(raw, str):
        return str(generate_csrf())
    cache: dict[str, str] = current_app.extensions["demobank.csrf_cache"]
    token = cache.get(raw)
    if token is None:
        if len(cache) >= _CSRF_CACHE_SIZE:
            cache.clear()
        token = cache[raw] = str(generate_csrf())
    g.csrf_token = token  # where Flask-WTF's forms look first
    return token


def register_web_hooks(app: Flask) -> None:
    app.extensions["demobank.prune_timer"] = PruneTimer()
    app.extensions["demobank.url_cache"] = {}
    app.extensions["demobank.csrf_cache"] = {}
    app.extensions["demobank.cookie_cache"] = {}
    app.session_interface = CookieSessionInterface()
    _skip_limiter_where_unlimited(app)
    app.jinja_env.globals["url_for"] = cached_url_for
    app.jinja_env.globals["csrf_token"] = cached_csrf_token
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
