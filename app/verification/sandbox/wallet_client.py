"""The demo wallet on the wire: it does what a phone wallet does with an `openid4vp://`
link (OpenID4VP 1.0 sections 5.10, 8.2, 8.3): fetch the request object from `request_uri`,
check its signature against `x5c` and the `x509_hash` client id, answer with a presentation
encrypted to the request's key, POST it to `response_uri` and follow the `redirect_uri`.

The calls go over HTTP (`DEMO_WALLET_TRANSPORT=http`, default) or, in tests, straight into
this app (`wsgi`). The demo wallet only talks to the bank that serves it: a request or
response URI on another origin is refused, so the page cannot be used to make this server
fetch arbitrary addresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from flask import current_app

from ...db_types import utcnow
from ..oid4vp.errors import RequestObjectError
from ..oid4vp.parameters import DIRECT_POST_JWT, REQUEST_OBJECT_MEDIA_TYPE
from ..oid4vp.request_object import verify_request_object
from ..oid4vp.response_crypto import encrypt_response, select_response_encryption
from .pki import DEMO_WALLET_HEADER, demo_wallet_token

TIMEOUT_SECONDS = 10.0
MAX_ANSWER_BYTES = 64 * 1024


class WalletProblem(Exception):
    """What the wallet tells its holder when the exchange with the verifier fails."""


class RequestClosed(WalletProblem):
    """The verifier no longer wants an answer (answered, cancelled or expired)."""


class RequestUnknown(WalletProblem):
    """The verifier knows no such request."""


@dataclass(frozen=True)
class CheckedRequest:
    """A request object the wallet has checked, and the key and `enc` to answer it with."""

    claims: dict[str, Any]
    encryption_jwk: dict[str, str]
    enc: str


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _client() -> httpx.Client:
    transport: httpx.BaseTransport | None = None
    if current_app.config.get("DEMO_WALLET_TRANSPORT") == "wsgi":
        transport = httpx.WSGITransport(app=current_app._get_current_object())  # type: ignore[attr-defined]
    secret = current_app.extensions["demobank.settings"].secret_key
    return httpx.Client(
        transport=transport,
        timeout=TIMEOUT_SECONDS,
        follow_redirects=False,
        headers={DEMO_WALLET_HEADER: demo_wallet_token(secret)},
    )


def _bank_url(url: str, what: str) -> str:
    base = current_app.extensions["demobank.settings"].public_base_url
    if not _same_origin(url, base):
        raise WalletProblem(
            f"The demo wallet only answers Demo Bank at {base}; the {what} is elsewhere."
        )
    return url


def _unreachable(url: str, exc: Exception) -> WalletProblem:
    return WalletProblem(
        f"The demo wallet could not reach {url} ({type(exc).__name__}). It calls the bank at "
        "its PUBLIC_BASE_URL from the server: check that this address is reachable from the "
        "server itself (see the README, 'The demo wallet cannot reach the bank')."
    )


def fetch_request(client_id: str, request_uri: str) -> CheckedRequest:
    """Section 5.10: GET the request object and check it as a wallet must."""
    url = _bank_url(request_uri, "request URI")
    try:
        with _client() as client:
            answer = client.get(url, headers={"Accept": REQUEST_OBJECT_MEDIA_TYPE})
    except httpx.HTTPError as exc:
        raise _unreachable(url, exc) from None
    if answer.status_code == 404:
        raise RequestUnknown("Demo Bank knows no such request.")
    if answer.status_code == 410:
        raise RequestClosed("This request is closed.")
    if answer.status_code != 200:
        raise WalletProblem(f"The bank answered the request URI with {answer.status_code}.")
    try:
        parsed = verify_request_object(answer.text, expected_client_id=client_id, now=utcnow())
    except RequestObjectError as exc:
        raise WalletProblem(f"The request is not genuine: {exc.detail}.") from None
    if parsed.claims.get("response_mode") != DIRECT_POST_JWT:
        raise WalletProblem("The request does not ask for an encrypted direct_post answer.")
    try:
        jwk, enc = select_response_encryption(parsed.claims["client_metadata"])
    except (KeyError, ValueError):
        raise WalletProblem("The request offers no key the wallet can encrypt to.") from None
    return CheckedRequest(claims=dict(parsed.claims), encryption_jwk=jwk, enc=enc)


def send_answer(request: CheckedRequest, payload: Mapping[str, Any]) -> str:
    """Encrypt `payload` (vp_token or error, with state) to the request's key (8.3), POST
    it to `response_uri` (8.2); the `redirect_uri` the verifier answers with."""
    form = {"response": encrypt_response(dict(payload), request.encryption_jwk, enc=request.enc)}
    url = _bank_url(str(request.claims.get("response_uri", "")), "response URI")
    try:
        with _client() as client:
            answer = client.post(url, data=form)
    except httpx.HTTPError as exc:
        raise _unreachable(url, exc) from None
    body = _json(answer)
    if answer.status_code != 200:
        reason = body.get("error_description") or body.get("error") or answer.status_code
        raise WalletProblem(f"Demo Bank refused the answer: {reason}.")
    return _bank_url(str(body.get("redirect_uri", "")), "redirect URI")


def _json(answer: httpx.Response) -> dict[str, Any]:
    if len(answer.content) > MAX_ANSWER_BYTES:
        return {}
    try:
        value = answer.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
