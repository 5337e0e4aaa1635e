"""Sign-up, sign-in, sign-out, the verification waiting page and the wallet callback."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import views  # noqa: E402,F401
