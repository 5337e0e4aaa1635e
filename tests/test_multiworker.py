"""Flows complete when every request may land on another gunicorn worker process."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.helpers import Gunicorn

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def gunicorn_url(database_url, tmp_path):
    env = {
        "WEB_CONCURRENCY": "3",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "multi-worker-test-secret-key",
        "AUTO_MIGRATE": "0",
        "AUTHORIZER": "sandbox",
    }
    with Gunicorn(env, tmp_path / "gunicorn.log", workers=3) as server:
        yield server.url


def post(client: httpx.Client, path: str, data: dict) -> httpx.Response:
    token = CSRF.search(client.get(path).text).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def test_signup_and_payment_across_workers(gunicorn_url):
    with httpx.Client(base_url=gunicorn_url, timeout=10) as browser:
        started = post(browser, "/signup", {"mode": "direct_post", "credential_format": "any"})
        assert started.status_code == 303
        waiting = browser.get(started.headers["location"]).text
        wallet = re.search(
            r'href="(http://127\.0\.0\.1:\d+/sandbox/wallet/[0-9a-f-]+)"', waiting
        ).group(1)
        path = browser.get(wallet.removeprefix(gunicorn_url)).headers["location"]
        shared = post(
            browser,
            path,
            {"identity": "jan", "credential_format": "mdoc", "outcome": "valid", "share": "Share"},
        )
        assert shared.status_code == 303
        landed = browser.get(shared.headers["location"])
        assert landed.headers["location"] == "/profile?welcome=1"
        for _ in range(6):  # several requests, spread over the workers
            assert "Jan Kowalski" in browser.get("/dashboard").text
        assert (
            post(
                browser, "/send", {"recipient": "Ola", "amount": "7.50", "reference": ""}
            ).status_code
            == 303
        )
        confirm = post(browser, "/send/confirm", {})
        request_id = confirm.headers["location"].rsplit("/", 1)[-1]
        waiting = browser.get(f"/auth/{request_id}").text
        wallet = re.search(
            r'href="http://127\.0\.0\.1:\d+(/sandbox/wallet/[0-9a-f-]+)"', waiting
        ).group(1)
        wallet = browser.get(wallet).headers["location"]
        shared = post(
            browser,
            wallet,
            {"identity": "jan", "credential_format": "mdoc", "outcome": "valid", "share": "Share"},
        )
        finished = browser.get(shared.headers["location"])  # the wallet's redirect
        assert finished.headers["location"] == f"/send/success/{request_id}"
        assert browser.get(f"/auth/{request_id}/status").json()["status"] == "authorized"
        assert "Payment to Ola" in browser.get("/dashboard").text
