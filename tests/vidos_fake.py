"""A fake Vidos Authorizer that holds both sides to the official OpenAPI spec.

Every request the client sends is validated against `authorizer.service.yaml`; every canned
answer is validated too, so a test can only pass with spec-conforming traffic.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from pytest_httpserver import HTTPServer
from pytest_httpserver.httpserver import URI_DEFAULT
from werkzeug import Request, Response

SPEC_PATH = Path(__file__).parent / "vidos" / "authorizer.service.yaml"
_SPEC: OpenAPI | None = None


def spec() -> OpenAPI:
    global _SPEC
    if _SPEC is None:
        _SPEC = OpenAPI.from_file_path(str(SPEC_PATH))
    return _SPEC


@dataclass
class Canned:
    status: int
    body: Any = None
    delay: float = 0.0
    raw: str | None = None  # a body sent as is (for malformed answers)


@dataclass
class FakeAuthorizer:
    server: HTTPServer
    routes: dict[tuple[str, str], list[Canned]] = field(default_factory=dict)
    received: list[tuple[str, str, Any, dict[str, str]]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server.expect_request(URI_DEFAULT).respond_with_handler(self._handle)  # every path

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def on(self, method: str, path: str, *answers: Canned) -> None:
        """Answers for a route, used in order; the last one repeats."""
        self.routes[(method, path)] = list(answers)

    def _handle(self, request: Request) -> Response:
        body = request.get_json(silent=True) if request.data else None
        self.received.append((request.method, request.path, body, dict(request.headers)))
        openapi_request = WerkzeugOpenAPIRequest(request)
        try:
            spec().validate_request(openapi_request)
        except Exception as exc:
            self.violations.append(f"request {request.method} {request.path}: {exc!r}")
        answers = self.routes.get((request.method, request.path))
        if not answers:
            self.violations.append(f"unexpected call {request.method} {request.path}")
            return Response(json.dumps({"message": "no route"}), 404, mimetype="application/json")
        canned = answers.pop(0) if len(answers) > 1 else answers[0]
        if canned.delay:
            time.sleep(canned.delay)
        text = (
            canned.raw
            if canned.raw is not None
            else (json.dumps(canned.body) if canned.body is not None else "")
        )
        response = Response(text, canned.status, mimetype="application/json")
        if canned.raw is None:
            try:
                spec().validate_response(openapi_request, WerkzeugOpenAPIResponse(response))
            except Exception as exc:
                self.violations.append(f"canned answer {request.path} {canned.status}: {exc!r}")
        return response

    def calls(self, method: str, path: str) -> list[Any]:
        return [body for m, p, body, _ in self.received if (m, p) == (method, path)]
