"""The sandbox: a PID provider and the demo wallet, which answers the bank's own verifier
over OpenID4VP (registered only while AUTHORIZER=sandbox)."""

from flask import Blueprint

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")

from . import views  # noqa: E402,F401
