"""The signed-in bank: dashboard, payments, loans, profile and resetting one's own data."""

from flask import Blueprint

bp = Blueprint("banking", __name__)

from . import views  # noqa: E402,F401
