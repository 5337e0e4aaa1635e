"""The operator's admin page: counts and a reset of all demo data."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired

from ..admin_sessions import admin_session_valid, create_admin_session, delete_admin_session
from ..database import write_transaction
from ..extensions import limiter
from ..housekeeping import reset_everything
from ..stats import collect, human_bytes
from ..web import render_page, settings

bp = Blueprint("admin", __name__, url_prefix="/admin")
log = logging.getLogger(__name__)
ADMIN_KEY = "admin_token"
F = TypeVar("F", bound=Callable[..., Any])


class AdminLoginForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField("Password", validators=[DataRequired("Enter the admin password.")])
    submit = SubmitField("Sign in")


class AdminResetForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField("Reset all demo data")



def admin_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not admin_session_valid(session.get(ADMIN_KEY)):
            session.pop(ADMIN_KEY, None)
            return redirect(url_for("admin.login"))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: settings().ratelimit_admin_login, methods=["POST"])
def login() -> str | Response:
    form = AdminLoginForm()
    if form.validate_on_submit():
        given = form.password.data.encode()
        if hmac.compare_digest(given, settings().admin_password.encode()):
            with write_transaction():
                delete_admin_session(session.get(ADMIN_KEY))
                session[ADMIN_KEY] = create_admin_session()
            log.warning("admin sign-in from %s", request.remote_addr)
            return redirect(url_for("admin.index"), 303)
        log.warning("admin sign-in failed from %s", request.remote_addr)
        form.password.errors.append("That password is not right.")
    status = 400 if request.method == "POST" else 200
    return render_page("admin/login.html", status, form=form)


@bp.post("/logout")
def logout() -> Response:
    """Ends the admin session on the server (CSRFProtect has checked the form's token)."""
    with write_transaction():
        delete_admin_session(session.pop(ADMIN_KEY, None))
    return redirect(url_for("pages.landing"), 303)


@bp.get("")
@admin_required
def index() -> str:
    stats = collect()
    return render_template(
        "admin/index.html",
        stats=stats,
        size=human_bytes(stats.database_bytes),
        form=AdminResetForm(),
        was_reset=request.args.get("reset") == "1",
    )


@bp.route("/reset", methods=["GET", "POST"])
@admin_required
def reset() -> str | Response:
    form = AdminResetForm()
    if form.validate_on_submit():
        reset_everything()
        log.warning("admin reset all demo data, from %s", request.remote_addr)
        return redirect(url_for("admin.index", reset="1"), 303)
    return render_template("admin/reset.html", form=form)
