"""The signed authorization request (OpenID4VP 1.0 section 5) the bank's verifier sends.

Two ways to the wallet, both with a request object signed by the verifier identity
(`x509_hash`, section 5.9.3; JWS header `alg` ES256, `typ` oauth-authz-req+jwt, `x5c`):

- redirect / QR code: an `openid4vp://?client_id=...&request_uri=...` link (section 5.10),
  the wallet fetches the request object from `request_uri` (GET, or POST with its metadata
  and a `wallet_nonce` when `request_uri_method=post`, sections 5.10, 5.10.1) and answers
  with `direct_post.jwt` to `response_uri` (sections 8.2, 8.3.1).
- the Digital Credentials API: `{"protocol": "openid4vp-v1-signed", "data": {"request":
  <request object>}}` (A.1, A.3.2.1), answered with `dc_api.jwt` (A.2, A.4).

The request object's `aud` is "https://self-issued.me/v2" (section 5.8, static discovery:
the verifier cannot tell which wallet will answer). `iss` is left out: a wallet MUST ignore
it (section 5). The wallet side lives in request_verification and is re-exported here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from joserfc import jws
from joserfc.jwk import ECKey

from ..credentials.jose import MAX_HEADER_BYTES, MAX_PAYLOAD_BYTES, seconds, strict_json
from .errors import RequestObjectError
from .identity import VerifierIdentity
from .parameters import (
    DC_API_JWT,
    DC_API_PROTOCOL_SIGNED,
    DIRECT_POST_JWT,
    MAX_PARAMETER_CHARS,
    REQUEST_OBJECT_MEDIA_TYPE,
    REQUEST_OBJECT_TYP,
    RESPONSE_TYPE,
    STATIC_DISCOVERY_AUDIENCE,
    SUPPORTED_ENC_VALUES,
    VP_FORMATS_SUPPORTED,
    credential_query_ids,
    encryption_jwk,
    http_url,
    transaction_data_items,
    url_safe,
    verifier_info_items,
    web_origin,
)
from .request_verification import ParsedRequest, verify_request_object

__all__ = [
    "REQUEST_OBJECT_MEDIA_TYPE",
    "AuthorizationLink",
    "ParsedRequest",
    "RequestObjectError",
    "RequestUriPost",
    "authorization_link",
    "dc_api_request",
    "dc_api_request_claims",
    "parse_authorization_link",
    "redirect_request_claims",
    "request_uri_post_parameters",
    "sign_request_object",
    "verify_request_object",
]

DEFAULT_LIFETIME = timedelta(minutes=10)
MAX_WALLET_METADATA_CHARS = 16 * 1024


class _SigningRegistry(jws.JWSRegistry):
    max_header_length = MAX_HEADER_BYTES  # joserfc's 512 bytes cannot hold an x5c chain
    max_payload_length = MAX_PAYLOAD_BYTES


_SIGNING_REGISTRY = _SigningRegistry(algorithms=["ES256"])  # the identity is P-256 only


def sign_request_object(
    identity: VerifierIdentity,
    *,
    claims: Mapping[str, Any],
    now: datetime,
    lifetime: timedelta | None = DEFAULT_LIFETIME,
) -> str:
    """The claims as a compact JWS by the identity's leaf key, with `iat`, `exp` (unless
    `lifetime` is None) and `aud` (section 5.8, unless the claims set one)."""
    if claims.get("client_id") != identity.client_id:
        raise ValueError("the claims' client_id must be the identity's x509_hash client id")
    if "iat" in claims or "exp" in claims:
        raise ValueError("iat and exp are set here")
    payload = dict(claims)
    issued_at = int(seconds(now))
    payload["iat"] = issued_at
    if lifetime is not None:
        if lifetime <= timedelta(0):
            raise ValueError("the lifetime must be positive")
        payload["exp"] = issued_at + int(lifetime.total_seconds())
    payload.setdefault("aud", STATIC_DISCOVERY_AUDIENCE)
    header = {"alg": "ES256", "typ": REQUEST_OBJECT_TYP, "x5c": identity.x5c}
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return jws.serialize_compact(
        header, body.encode("utf-8"), ECKey.import_key(identity.key), registry=_SIGNING_REGISTRY
    )


def _client_metadata(jwk: Mapping[str, Any], verifier_name: str | None) -> dict[str, Any]:
    """Section 5.1 `client_metadata`: the response encryption key (`jwks`), the `enc` values
    beyond the A128GCM default (8.3), and `vp_formats_supported` (section 11.1)."""
    metadata: dict[str, Any] = {
        "jwks": {"keys": [encryption_jwk(jwk)]},
        "encrypted_response_enc_values_supported": list(SUPPORTED_ENC_VALUES),
        "vp_formats_supported": copy.deepcopy(VP_FORMATS_SUPPORTED),
    }
    if verifier_name is not None:
        # RFC 7591 section 2 `client_name`. Section 5.1 lets a wallet ignore metadata no
        # profile allows here; the demo wallet shows it, others may not.
        if not isinstance(verifier_name, str) or not verifier_name.strip():
            raise ValueError("verifier_name must be a non-empty string")
        metadata["client_name"] = verifier_name
    return metadata


def _common(
    client_id: str,
    nonce: str,
    dcql_query: Mapping[str, Any],
    transaction_data: Sequence[str],
    verifier_info: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(client_id, str) or not client_id:
        raise ValueError("client_id must be a non-empty string")
    ids = credential_query_ids(dcql_query)
    head = {"client_id": client_id, "nonce": url_safe(nonce, "nonce")}
    tail: dict[str, Any] = {"dcql_query": copy.deepcopy(dict(dcql_query))}
    if transaction_data:  # section 5.1: absent, or a non-empty array
        tail["transaction_data"] = transaction_data_items(transaction_data, ids)
    if verifier_info:
        tail["verifier_info"] = verifier_info_items(verifier_info)
    return head, tail


def redirect_request_claims(
    *,
    client_id: str,
    response_uri: str,
    nonce: str,
    state: str,
    dcql_query: Mapping[str, Any],
    encryption_jwk: Mapping[str, Any],
    transaction_data: Sequence[str] = (),
    verifier_name: str | None = None,
    verifier_info: Sequence[Mapping[str, Any]] = (),
    wallet_nonce: str | None = None,
) -> dict[str, Any]:
    """The claims of a request answered with `direct_post.jwt` (sections 5, 8.2, 8.3.1):
    `response_uri` (REQUIRED for direct_post, no `redirect_uri`), `state` to find the
    transaction again, and the `wallet_nonce` the wallet POSTed to the request URI (5.10.1)."""
    head, tail = _common(client_id, nonce, dcql_query, transaction_data, verifier_info)
    claims: dict[str, Any] = {
        "response_type": RESPONSE_TYPE,
        "response_mode": DIRECT_POST_JWT,
        **head,
        "response_uri": http_url(response_uri, "response_uri"),
        "state": url_safe(state, "state"),
        **tail,
        "client_metadata": _client_metadata(encryption_jwk, verifier_name),
    }
    if wallet_nonce is not None:
        claims["wallet_nonce"] = wallet_nonce
    return claims


def dc_api_request_claims(
    *,
    client_id: str,
    expected_origins: Sequence[str],
    nonce: str,
    dcql_query: Mapping[str, Any],
    encryption_jwk: Mapping[str, Any],
    transaction_data: Sequence[str] = (),
    verifier_name: str | None = None,
    verifier_info: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The claims of a signed request over the DC API (`openid4vp-v1-signed`, Appendix A).

    Only parameters A.2 supports: `client_id` (REQUIRED when signed), `response_type`,
    `response_mode` dc_api.jwt, `nonce`, `client_metadata`, `dcql_query`, `transaction_data`,
    `verifier_info`, and `expected_origins` (REQUIRED when signed). No `state` (not defined
    for the DC API), no `response_uri`/`redirect_uri` (the browser carries the response), no
    `request` (A.3.2). The response's audience is `origin:<origin>` (A.4), not client_id.
    """
    if isinstance(expected_origins, str) or not expected_origins:
        raise ValueError("expected_origins must be a non-empty array of origins")
    head, tail = _common(client_id, nonce, dcql_query, transaction_data, verifier_info)
    return {
        "response_type": RESPONSE_TYPE,
        "response_mode": DC_API_JWT,
        **head,
        "expected_origins": [web_origin(origin) for origin in expected_origins],
        **tail,
        "client_metadata": _client_metadata(encryption_jwk, verifier_name),
    }


def dc_api_request(request_object: str) -> dict[str, Any]:
    """One entry of the DC API's `requests` (A.1, A.3.2.1): the signed request as `request`."""
    return {"protocol": DC_API_PROTOCOL_SIGNED, "data": {"request": request_object}}


def authorization_link(
    *,
    scheme_url: str = "openid4vp://",
    client_id: str,
    request_uri: str,
    request_uri_method: str | None = None,
    client_metadata: Mapping[str, Any] | None = None,
) -> str:
    """`openid4vp://?client_id=...&request_uri=...[&request_uri_method=post]` (sections 5.10,
    13.1.2), every value percent-encoded; a `scheme_url` with a query gets `&` instead.

    `client_metadata` (e.g. just `vp_formats_supported`) is the hint section 5.1 suggests
    with `request_uri_method=post`, so the wallet can tailor its `wallet_metadata`; it is
    JSON-serialized (5.1) and unauthenticated: only the request object's parameters count.
    """
    if request_uri_method not in (None, "get", "post"):  # section 5.1: case-sensitive values
        raise ValueError("request_uri_method is 'get' or 'post'")
    parameters = [("client_id", client_id), ("request_uri", http_url(request_uri, "request_uri"))]
    if request_uri_method is not None:
        parameters.append(("request_uri_method", request_uri_method))
    if client_metadata is not None:
        parameters.append(
            ("client_metadata", json.dumps(dict(client_metadata), separators=(",", ":")))
        )
    separator = "&" if "?" in scheme_url else "?"
    return scheme_url + separator + urlencode(parameters, quote_via=quote, safe="")


@dataclass(frozen=True)
class AuthorizationLink:
    client_id: str
    request_uri: str
    request_uri_method: str | None = None


def _single(query: Mapping[str, list[str]], name: str, required: bool = True) -> str | None:
    values = query.get(name, [])
    if len(values) > 1 or (required and not values):
        raise RequestObjectError(f"the link needs exactly one {name}")
    return values[0] if values else None


def parse_authorization_link(link: str) -> AuthorizationLink:
    """Wallet side: the by-reference parameters of an authorization link. Everything else in
    the link is ignored, as only the request object's parameters count (section 5.10.1)."""
    query = parse_qs(urlsplit(link).query, keep_blank_values=True)
    client_id = _single(query, "client_id")
    request_uri = _single(query, "request_uri")
    method = _single(query, "request_uri_method", required=False)
    if method not in (None, "get", "post"):
        raise RequestObjectError(
            "request_uri_method is neither get nor post", "invalid_request_uri_method"
        )
    try:
        http_url(request_uri, "request_uri")
    except ValueError as exc:
        raise RequestObjectError(str(exc)) from None
    return AuthorizationLink(str(client_id), str(request_uri), method)


@dataclass(frozen=True)
class RequestUriPost:
    """What a wallet POSTed to the request URI (section 5.10)."""

    wallet_metadata: dict[str, Any] | None = None
    wallet_nonce: str | None = None


def request_uri_post_parameters(form: Mapping[str, str]) -> RequestUriPost:
    """Verifier side of `request_uri_method=post` (section 5.10): `wallet_metadata` (a JSON
    object as a string) and `wallet_nonce`, both optional. ValueError if malformed (the
    verifier answers with an HTTP error, section 5.10.2); unknown parameters are ignored."""
    metadata, nonce = form.get("wallet_metadata"), form.get("wallet_nonce")
    parsed = None
    if metadata is not None:
        if not isinstance(metadata, str) or len(metadata) > MAX_WALLET_METADATA_CHARS:
            raise ValueError("wallet_metadata is not a JSON object of an acceptable size")
        parsed = strict_json(metadata.encode("utf-8"))
        if not isinstance(parsed, dict):
            raise ValueError("wallet_metadata is not a JSON object")
    if nonce is not None and (
        not isinstance(nonce, str)
        or not nonce.isascii()
        or not nonce.isprintable()
        or not 0 < len(nonce) <= MAX_PARAMETER_CHARS
    ):
        raise ValueError("wallet_nonce is not a short printable ASCII string")
    return RequestUriPost(wallet_metadata=parsed, wallet_nonce=nonce)
