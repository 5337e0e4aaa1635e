"""Views of the auth blueprint: they parse the start form and hand over to the flows wing."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from ..database import write_transaction
from ..flows.web import begin, rate_limited, remember_next
from ..links import page_for_path, url_of
from ..login_sessions import delete_session
from ..schemas import SigninMeta, SignupMeta
from ..web import render_page
from . import bp
from .forms import WalletStartForm


def _start_page(template: str, meta_model: type[SignupMeta] | type[SigninMeta]) -> str | Response:
    form = WalletStartForm()
    if form.validate_on_submit():
        # The sign-in form posts back to its own URL, ?next= included.
        remember_next(request.args.get("next") if meta_model is SigninMeta else None)
        return begin(meta_model(credential_formats=form.formats()), form.mode.data)
    if request.method == "POST":
        return render_page(template, 400, form=form)
    return render_template(template, form=form)


@bp.route("/signup", methods=["GET", "POST"])
@rate_limited
def signup() -> str | Response:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("banking.dashboard"))
    return _start_page("auth/signup.html", SignupMeta)


@bp.route("/signin", methods=["GET", "POST"])
@rate_limited
def signin() -> str | Response:
    # fresh=1: a signed-in person confirms it is them again (before a sensitive action).
    fresh = request.args.get("fresh") == "1"
    if current_user.is_authenticated and request.method == "GET" and not fresh:
        wanted = url_of(page_for_path(request.args.get("next")))
        return redirect(wanted or url_for("banking.dashboard"))
    return _start_page("auth/signin.html", SigninMeta)


@bp.post("/signout")
@login_required  # type: ignore[untyped-decorator]
def signout() -> Response:
    with write_transaction():  # CSRFProtect has checked the form's token already
        delete_session(current_user.token)
    logout_user()
    session.clear()
    return redirect(url_for("pages.landing"), 303)
