"""Test helpers: the test app's settings, CSRF tokens, and a browser-like wrapper around
Flask's test client for walking through the flows."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import tempfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from werkzeug.test import TestResponse

from app import create_app

TEST_SECRET = "test-secret-key-0123456789"
# The files the app keeps beside its SQLite file (the development verifier's key pair) go
# to a folder of this test run, never to the checkout's data/ (whose pair a developer's
# server uses); the databases themselves come from DATABASE_URL.
DATA_FOLDER = tempfile.mkdtemp(prefix="demobank-tests-")
atexit.register(shutil.rmtree, DATA_FOLDER, True)
BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": TEST_SECRET,
    "AUTHORIZER": "sandbox",
    "PUBLIC_BASE_URL": "http://localhost",
    "RATELIMIT_ENABLED": False,
    # the demo wallet calls the bank's verifier endpoints in-process (no server runs)
    "DEMO_WALLET_TRANSPORT": "wsgi",
    "STATUS_CHECK_INTERVAL_SECONDS": 0,
    "LOG_LEVEL": "WARNING",
    "DATABASE_PATH": os.path.join(DATA_FOLDER, "unused.db"),
}


def postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        return None
    problem = postgres_problem(url)
    if problem is not None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    return url


def postgres_problem(url: str) -> str | None:
    """Why TEST_DATABASE_URL cannot be used, in words that say what to do; None if it can."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        name = make_url(url).database or "?"
        if f'database "{name}" does not exist' in str(exc):
            return (
                f"the PostgreSQL database {name!r} does not exist: create it first, "
                f"e.g. createdb -h 127.0.0.1 -U postgres {name} "
                "(the tests drop and recreate its public schema)"
            )
        return f"PostgreSQL is unreachable: {exc}"
    return None


def make_app(database_url: str, **overrides: Any) -> Flask:
    return create_app(
        {**BASE_CONFIG, "DATABASE_URL": database_url, "AUTO_MIGRATE": "0", **overrides}
    )


CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token from a form page (as a browser would read it)."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)



WALLET_RE = re.compile(r'href="(http://localhost/sandbox/wallet/[0-9a-f-]+)"')
REQUEST_ID_RE = re.compile(r"/auth/([0-9a-f-]{36})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Browser:
    client: FlaskClient

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def post_form(
        self, path: str, data: dict[str, Any], token_page: str | None = None
    ) -> TestResponse:
        token = csrf_token(self.client, token_page or path)
        return self.client.post(path, data={**data, "csrf_token": token})

    def start(
        self, path: str, data: dict[str, Any] | None = None, token_page: str | None = None
    ) -> str:
        """POST a form that starts a verification; returns the request id."""
        response = self.post_form(path, data or {}, token_page)
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        match = REQUEST_ID_RE.search(response.headers["Location"])
        assert match, response.headers["Location"]
        return match.group(1)

    def wallet_url(self, request_id: str) -> str:
        html = self.get(f"/auth/{request_id}").get_data(as_text=True)
        match = WALLET_RE.search(html)
        assert match, html[:3000]
        return self.demo_wallet_page(match.group(1))

    def demo_wallet_page(self, short_link: str) -> str:
        """Where the waiting page's short link leads: the demo wallet with the request's
        client_id and request_uri."""
        response = self.get(short_link)
        assert response.status_code == 303, response.status_code
        return str(response.headers["Location"])

    def wallet_answer(self, wallet_url: str, **choices: str) -> TestResponse:
        """Answer the demo wallet; returns the redirect to /callback (not followed)."""
        parts = urlsplit(wallet_url)
        path = f"{parts.path}?{parts.query}"
        data = {"identity": "erika", "outcome": "valid", "share": "Share", **choices}
        if choices.get("decline"):
            data.pop("share")
        response = self.post_form(path, data)
        assert response.status_code == 303, response.get_data(as_text=True)[:3000]
        return response

    def status(self, request_id: str) -> dict[str, Any]:
        response = self.get(f"/auth/{request_id}/status")
        assert response.status_code == 200, response.status_code
        data: dict[str, Any] = response.get_json()
        return data

    def signup(self, identity: str = "erika", fmt: str = "sd-jwt", formats: str = "any") -> str:
        request_id = self.start("/signup", {"mode": "direct_post", "credential_format": formats})
        callback = self.wallet_answer(
            self.wallet_url(request_id), identity=identity, credential_format=fmt
        )
        landing = self.get(callback.headers["Location"])
        assert landing.status_code == 303, landing.get_data(as_text=True)[:2000]
        assert landing.headers["Location"] == "/profile?welcome=1"
        return request_id

    def signin(self, identity: str = "erika") -> str:
        request_id = self.start("/signin", {"mode": "direct_post", "credential_format": "any"})
        self.wallet_answer(self.wallet_url(request_id), identity=identity)
        return request_id

    def confirm_payment(self, recipient: str, amount: str, reference: str = "") -> str:
        response = self.post_form(
            "/send", {"recipient": recipient, "amount": amount, "reference": reference}
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:3000]
        return self.start("/send/confirm")


def flow_request(
    flow: str,
    formats: list[str] | tuple[str, ...],
    mode: str = "direct_post",
    *,
    transaction: dict[str, Any] | None = None,
    origin: str | None = None,
) -> Any:
    """The presentation request a flow of kind `flow` sends (with `transaction` as given)."""
    from app.flows.kinds import kind_of
    from app.verification.pid import build_presentation_request

    kind = kind_of(flow)
    return build_presentation_request(
        kind.attributes,
        list(formats),  # type: ignore[arg-type]
        mode,  # type: ignore[arg-type]
        purpose=kind.purpose,
        origin=origin,
        transaction=transaction,
        verifier_info=kind.verifier_info,
    )


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


class Gunicorn:
    """The app under gunicorn (the project's gunicorn.conf.py) in a subprocess: started,
    waited for on /health, and always stopped. `log` holds what it printed."""

    def __init__(self, env: dict[str, str], log_path: Any, workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": "2",
            "PUBLIC_BASE_URL": self.url,
            "LOG_LEVEL": "WARNING",
            # the data folder (verifier key pair) beside the log, not the checkout's data/
            "DATABASE_PATH": os.path.join(os.path.dirname(log_path), "demobank.db"),
            **env,
        }
        self.process: Any = None

    def __enter__(self) -> Gunicorn:
        import subprocess
        import sys
        import time

        import httpx

        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=open(self.log_path, "w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code < 500:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__()
        pytest.fail(self.log)
        raise AssertionError("unreachable")

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    @property
    def log(self) -> str:
        return str(open(self.log_path).read())
