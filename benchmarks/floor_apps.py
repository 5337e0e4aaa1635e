"""The two least apps benchmarks/floor.py serves with the bank's gunicorn.conf.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

BODY = b'{"status":"pending"}'


def empty(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A WSGI app that answers every request with a fixed JSON body: gunicorn's own cost."""
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "20")])
    return [BODY]


flask_app = Flask(__name__)


@flask_app.get("/health")
@flask_app.get("/poll")
def poll() -> dict[str, str]:
    """A Flask view returning a dict: the least any Flask view costs on top of gunicorn."""
    return {"status": "pending"}
