"""A browser-like wrapper around Flask's test client for walking through the flows."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import csrf_token

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
        return match.group(1)

    def wallet_answer(self, wallet_url: str, **choices: str) -> TestResponse:
        """Answer the demo wallet; returns the redirect to /callback (not followed)."""
        path = urlsplit(wallet_url).path
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
