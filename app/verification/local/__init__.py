"""The bank's own OpenID4VP verifier (AUTHORIZER=local, and the sandbox): its endpoints."""

from flask import Blueprint

bp = Blueprint("oid4vp", __name__, url_prefix="/oid4vp")

from . import views  # noqa: E402,F401
