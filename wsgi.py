"""WSGI entry point (`gunicorn wsgi:app`); also what the `flask` command loads."""

import sys

from app import ConfigError, create_app

try:
    app = create_app()
except ConfigError as error:
    print(f"Configuration error: {error}", file=sys.stderr)
    raise SystemExit(2) from None
