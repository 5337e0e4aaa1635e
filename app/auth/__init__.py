"""Sign-up, sign-in and sign-out pages (the verification itself is the flows wing's)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import views  # noqa: E402,F401
