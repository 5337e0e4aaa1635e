"""Client of a Vidos Authorizer, exactly as `authorizer.service.yaml` describes it."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import quote

import httpx

from ..schemas import ErrorInfo
from .base import (
    AuthorizationStatus,
    AuthorizerError,
    AuthorizerRefused,
    AuthorizerUnavailable,
    CreatedAuthorization,
    FinalStatus,
    PresentationRequest,
    ResolvedCode,
    ResponseCodeNotFound,
    StatusResult,
    error_info_from_policy_response,
)
from .claims import VerifiedClaims, normalize_credentials

log = logging.getLogger(__name__)
API = "/openid4/vp/v1_0"
_STATUS_MAP: dict[str, AuthorizationStatus] = {
    "created": "pending",
    "pending": "pending",
    "authorized": "authorized",
    "rejected": "rejected",
    "error": "error",
    "expired": "expired",
}
_FINAL: tuple[FinalStatus, ...] = ("authorized", "rejected", "error", "expired")


class VidosAuthorizer:
    """Talks to a Vidos Authorizer over HTTP with timeouts, pooling and careful retries.

    Only idempotent GETs are retried (on connection failures, timeouts and 5xx); a POST
    is retried only when the connection could not be opened, so nothing is sent twice.
    """

    name = "vidos"
    reads_status_locally = False

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        retries: int = 2,
        backoff_seconds: float = 0.2,
        timeout: httpx.Timeout | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout or httpx.Timeout(10.0, connect=3.0),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            transport=transport,
        )
        self._retries = retries
        self._backoff = backoff_seconds

    def close(self) -> None:
        self._client.close()

    # -- transport ---------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        attempts = 1 + self._retries
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                response = self._client.request(method, path, json=body)
            except httpx.ConnectError as exc:
                self._log(method, path, "connect-failed", started)
                if attempt < attempts:
                    time.sleep(self._backoff * attempt)
                    continue
                raise AuthorizerUnavailable(f"cannot reach the authorizer: {exc}") from exc
            except httpx.HTTPError as exc:
                self._log(method, path, type(exc).__name__, started)
                if method == "GET" and attempt < attempts:
                    time.sleep(self._backoff * attempt)
                    continue
                raise AuthorizerUnavailable(f"authorizer request failed: {exc}") from exc
            self._log(method, path, str(response.status_code), started)
            if response.status_code >= 500:
                if method == "GET" and attempt < attempts:
                    time.sleep(self._backoff * attempt)
                    continue
                raise AuthorizerUnavailable(f"authorizer answered {response.status_code}")
            return response
        raise AuthorizerUnavailable("authorizer did not answer")  # pragma: no cover

    @staticmethod
    def _log(method: str, path: str, outcome: str, started: float) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        log.info("authorizer %s %s -> %s in %.0f ms", method, path, outcome, elapsed_ms)

    def _json(
        self,
        method: str,
        path: str,
        body: Any = None,
        expect: int = 200,
        not_found: type[AuthorizerRefused] = AuthorizerRefused,
    ) -> dict[str, Any]:
        """The JSON object of an answer with status `expect`; any other answer is refused
        (a 404 as `not_found`)."""
        response = self._request(method, path, body)
        if response.status_code == 404:
            raise not_found(f"{method} {path} answered 404")
        if response.status_code != expect:
            raise AuthorizerRefused(f"{method} {path} answered {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise AuthorizerRefused(f"{method} {path} answered with a non-JSON body") from None
        if not isinstance(data, dict):
            raise AuthorizerRefused(f"{method} {path} answered with an unexpected body")
        return data

    @staticmethod
    def _field(data: dict[str, Any], name: str, path: str) -> str:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            raise AuthorizerRefused(f"{path}: answer lacks {name}")
        return value

    @staticmethod
    def _auth_path(authorization_id: str, suffix: str) -> str:
        return f"{API}/authorizations/{quote(authorization_id, safe='')}/{suffix}"

    # -- the Authorizer interface ------------------------------------------------------

    def health(self) -> bool:
        try:
            return self._request("GET", "/health").status_code == 204
        except AuthorizerUnavailable:
            return False

    def create_authorization(self, request: PresentationRequest) -> CreatedAuthorization:
        path = f"{API}/authorizations"
        data = self._json("POST", path, request.to_vidos_body(), expect=201)
        authorization_id = self._field(data, "authorizationId", path)
        if request.mode == "dc_api":
            dc_request = data.get("digitalCredentialGetRequest")
            if not isinstance(dc_request, dict):
                raise AuthorizerRefused(f"{path}: answer lacks digitalCredentialGetRequest")
            return CreatedAuthorization(
                authorization_id=authorization_id,
                dc_api_request=dc_request,
                response_url=self._field(data, "responseUrl", path),
            )
        return CreatedAuthorization(
            authorization_id=authorization_id,
            authorize_url=self._field(data, "authorizeUrl", path),
        )

    def get_status(self, authorization_id: str) -> StatusResult:
        path = self._auth_path(authorization_id, "status")
        raw = self._json("GET", path).get("status")
        status = _STATUS_MAP.get(raw) if isinstance(raw, str) else None
        if status is None:
            raise AuthorizerRefused(f"{path}: unknown status {raw!r}")
        if status in ("rejected", "error"):
            return StatusResult(status, self._policy_error(authorization_id, status))
        return StatusResult(status)

    def _policy_error(self, authorization_id: str, status: str) -> ErrorInfo:
        """Why a presentation failed; generic words when the details cannot be fetched,
        so the request still ends (it used to answer 502 on every poll until it expired)."""
        path = self._auth_path(authorization_id, "policy-response")
        try:
            data = self._json("GET", path).get("data")
        except AuthorizerError as exc:
            log.warning("policy response of %s unavailable: %s", authorization_id, exc)
            data = None
        items = [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []
        return error_info_from_policy_response(items, status)

    def get_claims(self, authorization_id: str) -> VerifiedClaims:
        path = self._auth_path(authorization_id, "credentials")
        credentials = self._json("GET", path).get("credentials")
        if not isinstance(credentials, list):
            raise AuthorizerRefused(f"{path}: answer lacks credentials")
        return normalize_credentials([c for c in credentials if isinstance(c, dict)])

    def forward_dc_api_response(
        self, authorization_id: str, origin: str, response: str | dict[str, Any]
    ) -> FinalStatus:
        quoted = quote(authorization_id, safe="")
        if isinstance(response, str):
            path = f"{API}/{quoted}/dc_api.jwt"
            body: dict[str, Any] = {
                "origin": origin,
                "digitalCredentialGetResponse": {"response": response},
            }
        else:
            path = f"{API}/{quoted}/dc_api"
            body = {"origin": origin, "digitalCredentialGetResponse": response}
        return self._final_status(self._json("POST", path, body), path)

    def resolve_response_code(self, code: str) -> ResolvedCode:
        path = f"{API}/response-code/resolve"
        data = self._json("POST", path, {"response_code": code}, not_found=ResponseCodeNotFound)
        return ResolvedCode(
            authorization_id=self._field(data, "authorization_id", path),
            status=self._final_status(data, path),
        )

    @staticmethod
    def _final_status(data: dict[str, Any], path: str) -> FinalStatus:
        raw = data.get("status")
        for status in _FINAL:
            if raw == status:
                return status
        raise AuthorizerRefused(f"{path}: unknown status {raw!r}")
