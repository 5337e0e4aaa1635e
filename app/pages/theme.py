"""Light, dark or the system's colours, remembered in a cookie the server reads, so the
page arrives in the chosen scheme (no flash) and the choice works without JavaScript."""

from __future__ import annotations

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from ..links import page_for_path, url_of
from ..web import settings
from . import bp

THEME_COOKIE = "theme"
THEMES = ("light", "dark", "system")
ONE_YEAR = 365 * 24 * 3600


def current_theme() -> str:
    value = request.cookies.get(THEME_COOKIE, "system")
    return value if value in THEMES else "system"


@bp.app_context_processor
def _theme_globals() -> dict[str, object]:
    return {"theme": current_theme(), "themes": THEMES}


@bp.post("/theme")
def choose_theme() -> Response:
    """The no-JavaScript path of the theme menu (static/js/app.js sets the same cookie)."""
    choice = request.form.get("theme", "system")
    back = url_of(page_for_path(request.form.get("next"))) or url_for("pages.landing")
    response = redirect(back, 303)
    if choice in ("light", "dark"):
        response.set_cookie(
            THEME_COOKIE, choice, max_age=ONE_YEAR, samesite="Lax", secure=settings().https
        )
    else:
        response.delete_cookie(THEME_COOKIE)
    return response
