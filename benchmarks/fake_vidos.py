"""A fake Vidos Authorizer whose wallet approves after a while, for benchmarks/payments.py.

It serves the calls the bank makes (health, create an authorization, its status, its
credentials) on pytest_httpserver (threaded) in the benchmark's process. An
authorization's first status check answers `pending`; later checks answer `authorized`
once the person's wallet has scanned the request link (`scan`, called by the benchmark's
client with the id it reads on the waiting page), and its credentials carry that
person's PAN. With `validate`, every call and answer is checked against
tests/vidos/authorizer.service.yaml as tests/vidos_fake.py does (about 1 ms per call).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import threading
from collections import Counter
from typing import Any

import common

API = "/openid4/vp/v1_0"
AUTH_ID = re.compile(r"bench-[0-9a-f]{8}")  # the fake's authorization ids
PERSON = {
    "family_name": "Rossi",
    "given_name": "Mario",
    "birthdate": "1980-01-02",
    "nationalities": ["IT"],
    "document_number": "CA000001",
}


class FakeVidos:
    """A Vidos Authorizer whose wallet approves after a while (pytest_httpserver, threaded)."""

    def __init__(self, validate: bool) -> None:
        import logging

        from pytest_httpserver import HTTPServer
        from pytest_httpserver.httpserver import URI_DEFAULT

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(URI_DEFAULT).respond_with_handler(self._handle)
        self.lock = threading.Lock()
        self.checks: Counter[str] = Counter()
        self.wallets: dict[str, str] = {}  # authorization id -> PAN of the person presenting
        self.calls = 0
        self.violations: list[str] = []
        self.spec = self._spec() if validate else None

    @staticmethod
    def _spec() -> Any:
        """tests/vidos_fake.py's spec() (loaded by path: tests/ is not a package)."""
        loader = importlib.util.spec_from_file_location(
            "vidos_fake", common.ROOT / "tests" / "vidos_fake.py"
        )
        assert loader and loader.loader
        module = sys.modules["vidos_fake"] = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        return module.spec()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def scan(self, authorization_id: str, pan: str) -> None:
        """The person's wallet opened the request link; it approves from now on."""
        with self.lock:
            self.wallets[authorization_id] = pan

    def _answer(self, method: str, path: str) -> tuple[int, Any]:
        with self.lock:
            self.calls += 1
            if (method, path) == ("GET", "/health"):
                return 204, None
            if (method, path) == ("POST", f"{API}/authorizations"):
                auth_id = f"bench-{self.calls:08x}"
                link = f"openid4vp://?request_uri=https%3A%2F%2Fwallet.invalid%2F{auth_id}"
                return 201, {
                    "authorizationId": auth_id,
                    "expiresAt": "2030-01-01T00:00:00Z",
                    "nonce": "n",
                    "authorizeUrl": link,
                    "authorizationEndpoint": "openid4vp://",
                }
            found = re.fullmatch(
                f"{API}/authorizations/(bench-[0-9a-f]+)/(status|credentials)", path
            )
            if method != "GET" or not found:
                self.violations.append(f"unexpected call {method} {path}")
                return 404, {"message": "no such route in the fake"}
            auth_id, what = found.groups()
            pan = self.wallets.get(auth_id)
            if what == "status":
                self.checks[auth_id] += 1
                approved = pan is not None and self.checks[auth_id] > 1
                return 200, {"status": "authorized" if approved else "pending"}
        if pan is None:
            self.violations.append(f"credentials asked before a presentation: {path}")
            return 404, {"message": "nothing presented yet"}
        claims = {**PERSON, "personal_administrative_number": pan}
        credential = {
            "path": ["pid_sd_jwt", 0],
            "format": "dc+sd-jwt",
            "credentialType": "urn:eudi:pid:1",
            "claims": claims,
        }
        return 200, {"authorizationId": auth_id, "credentials": [credential]}

    def _handle(self, request: Any) -> Any:
        from werkzeug import Response

        status, body = self._answer(request.method, request.path)
        response = Response(
            "" if body is None else json.dumps(body), status, mimetype="application/json"
        )
        if self.spec is not None:
            from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest as Checked
            from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse

            checked = Checked(request)
            try:
                self.spec.validate_request(checked)
                self.spec.validate_response(checked, WerkzeugOpenAPIResponse(response))
            except Exception as exc:
                self.violations.append(f"{request.method} {request.path}: {exc!r}"[:300])
        return response
