"""Constants and value checks shared by the verifier side and the wallet side.

Every check raises ValueError with a short reason; the verifier side lets it propagate (a
wrong argument is a programming error), the wallet side turns it into a RequestObjectError.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..credentials.jose import b64url_decode, import_public_jwk, strict_json

REQUEST_OBJECT_TYP = "oauth-authz-req+jwt"  # section 5 (typ of every request object, RFC 9101)
REQUEST_OBJECT_MEDIA_TYPE = "application/oauth-authz-req+jwt"  # sections 5.10, 5.10.1
# Section 5.8: the Verifier cannot identify the wallet behind `openid4vp://` or the DC API
# (static discovery, section 13.1.2), so the audience is this symbolic value.
STATIC_DISCOVERY_AUDIENCE = "https://self-issued.me/v2"
X509_HASH_PREFIX = "x509_hash:"  # section 5.9.3
ORIGIN_PREFIX = "origin:"  # section 5.9.3 (reserved), Appendix A.4 (audience over the DC API)

RESPONSE_TYPE = "vp_token"  # section 5.6
DIRECT_POST = "direct_post"  # section 8.2
DIRECT_POST_JWT = "direct_post.jwt"  # section 8.3.1
DC_API = "dc_api"  # Appendix A.2
DC_API_JWT = "dc_api.jwt"  # Appendix A.2
ENCRYPTED_RESPONSE_MODES = frozenset({DIRECT_POST_JWT, DC_API_JWT})
DC_API_PROTOCOL_SIGNED = "openid4vp-v1-signed"  # Appendix A.1 (JWS compact request, A.3.2.1)

ENCRYPTION_ALG = "ECDH-ES"  # section 8.3: the JWE `alg` equals the `alg` of the chosen JWK
SUPPORTED_ENC_VALUES: tuple[str, ...] = ("A128GCM", "A256GCM")
DEFAULT_ENC = "A128GCM"  # section 5.1 `encrypted_response_enc_values_supported` default

# Section 11.1 `vp_formats_supported`, with the names of B.3.4 (dc+sd-jwt: fully specified
# JOSE algorithms) and B.2.2 (mso_mdoc: COSE algorithm identifiers). Only what the bank's
# verifiers accept: ES256 JWTs; COSE -7 (ES256, verified on P-256 only) and -9 (ESP256, the
# fully-specified name of the same thing, B.2.2 rule 2). No DeviceMac: OpenID4VP has no
# reader key to MAC against.
VP_FORMATS_SUPPORTED: dict[str, dict[str, list[Any]]] = {
    "dc+sd-jwt": {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]},
    "mso_mdoc": {"issuerauth_alg_values": [-7, -9], "deviceauth_alg_values": [-7, -9]},
}

MAX_PARAMETER_CHARS = 512  # nonce, state, wallet_nonce, kid: far beyond any fresh random value
MAX_TRANSACTION_DATA = 16  # items in `transaction_data`
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")  # section 5.2 (nonce, state)
_DNS_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DNS_NAME = re.compile(rf"(?=.{{1,253}}$){_DNS_LABEL}(\.{_DNS_LABEL})*")


def url_safe(value: Any, name: str) -> str:
    """Section 5.2: `nonce` and `state` only hold ASCII URL safe characters."""
    if not isinstance(value, str) or not _URL_SAFE.fullmatch(value):
        raise ValueError(f"{name} must be a non-empty string of URL safe characters")
    if len(value) > MAX_PARAMETER_CHARS:
        raise ValueError(f"{name} is too long")
    return value


def http_url(value: Any, name: str) -> str:
    """An absolute http(s) URL without a fragment (a response or request URI)."""
    if not isinstance(value, str) or len(value) > 2048:
        raise ValueError(f"{name} must be an absolute http(s) URL")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.fragment:
        raise ValueError(f"{name} must be an absolute http(s) URL")
    return value


def web_origin(value: Any) -> str:
    """A serialized web origin, `scheme://host[:port]` (Appendix A.2 `expected_origins`)."""
    if not isinstance(value, str) or len(value) > 2048:
        raise ValueError("an expected origin must be a string")
    parts = urlsplit(value)
    plain = not (parts.path or parts.query or parts.fragment or parts.username or parts.password)
    if parts.scheme not in ("https", "http") or not parts.hostname or not plain:
        raise ValueError(f"{value!r} is not a web origin (scheme://host[:port])")
    return value


def dns_name(value: str) -> bool:
    return bool(_DNS_NAME.fullmatch(value))


def credential_query_ids(dcql_query: Any) -> set[str]:
    """The `id` of every Credential Query of a DCQL query (section 6.1), which must be unique."""
    if not isinstance(dcql_query, Mapping):
        raise ValueError("dcql_query must be a JSON object")
    credentials = dcql_query.get("credentials")
    if not isinstance(credentials, list) or not credentials:
        raise ValueError("dcql_query must have a non-empty credentials array")
    ids = [query.get("id") if isinstance(query, Mapping) else None for query in credentials]
    if not all(isinstance(query_id, str) and query_id for query_id in ids):
        raise ValueError("every credential query needs a string id")
    if len(set(ids)) != len(ids):
        raise ValueError("credential query ids must be unique")
    return {str(query_id) for query_id in ids}


def transaction_data_items(items: Any, credential_ids: set[str]) -> list[str]:
    """Section 5.1 `transaction_data`: a non-empty array of base64url-encoded JSON objects,
    each with a string `type` and a non-empty `credential_ids` array naming Credential
    Queries of the DCQL query (section 8.5 `invalid_transaction_data` otherwise)."""
    if isinstance(items, str) or not isinstance(items, Sequence) or not items:
        raise ValueError("transaction_data must be a non-empty array")
    if len(items) > MAX_TRANSACTION_DATA:
        raise ValueError("transaction_data has too many items")
    for item in items:
        if not isinstance(item, str):
            raise ValueError("every transaction_data item must be a base64url string")
        try:
            value = strict_json(b64url_decode(item))
        except (ValueError, binascii.Error):
            raise ValueError("a transaction_data item is not base64url-encoded JSON") from None
        if not isinstance(value, dict):
            raise ValueError("a transaction_data item is not a JSON object")
        if not isinstance(value.get("type"), str) or not value["type"]:
            raise ValueError("a transaction_data item has no type")
        referenced = value.get("credential_ids")
        if not isinstance(referenced, list) or not referenced:
            raise ValueError("a transaction_data item has no credential_ids")
        if not all(isinstance(ref, str) and ref in credential_ids for ref in referenced):
            raise ValueError("transaction_data credential_ids must name credential queries")
    return list(items)


def verifier_info_items(items: Any) -> list[dict[str, Any]]:
    """Section 5.1 `verifier_info`: a non-empty array of {format, data[, credential_ids]}."""
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
        raise ValueError("verifier_info must be a non-empty array")
    result = []
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("format"), str):
            raise ValueError("every verifier_info item needs a string format")
        if not isinstance(item.get("data"), str | Mapping):
            raise ValueError("every verifier_info item needs data (a string or an object)")
        result.append(dict(item))
    return result


def encryption_jwk(jwk: Any) -> dict[str, str]:
    """A public P-256 JWK for ECDH-ES response encryption as client_metadata carries it:
    `kid` (section 5.1: every key in `jwks` has one), `use` "enc", and `alg` (section 8.3:
    it MUST be present, and the JWE `alg` equals it). Returns only those members."""
    if not isinstance(jwk, Mapping):
        raise ValueError("the encryption key must be a JWK object")
    import_public_jwk(jwk)  # kty EC, full-length coordinates on the curve, no "d"
    if jwk.get("crv") != "P-256":
        raise ValueError("the encryption key must be on P-256")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > MAX_PARAMETER_CHARS:
        raise ValueError("the encryption key needs a kid")
    if jwk.get("use") != "enc" or jwk.get("alg") != ENCRYPTION_ALG:
        raise ValueError('the encryption key needs "use": "enc" and "alg": "ECDH-ES"')
    return {name: str(jwk[name]) for name in ("kty", "crv", "x", "y", "kid", "use", "alg")}
