"""The Key Binding JWT of an SD-JWT+KB (RFC 9901 sections 4.3 and 7.3, OpenID4VP 1.0 B.3).

Everything that ties a presentation to this request and this holder: the KB-JWT signature
by the `cnf` key, `iat` within a window, `nonce`, `aud`, `sd_hash`, and the OpenID4VP
B.3.3.1 `transaction_data_hashes`. Failures are "holder-binding" (or "transaction-data");
a KB-JWT that is not one at all (wrong `typ`, not a JWS) is "invalid-credential".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import ECKey

from .errors import PresentationError
from .jose import CLOCK_SKEW, numeric_date, seconds, verify_jws
from .sdjwt_disclosures import sha256_b64url

KB_JWT_TYP = "kb+jwt"  # section 4.3
KB_MAX_AGE = timedelta(minutes=5)  # older is stale (section 7.3 step 5.5 "acceptable window")
TRANSACTION_DATA_HASH_ALG = "sha-256"  # OpenID4VP B.3.3.1 default; the only one requested


def _binding(detail: str) -> PresentationError:
    return PresentationError("holder-binding", detail)


def _transaction_data(detail: str) -> PresentationError:
    return PresentationError("transaction-data", detail)


def sd_hash(sd_jwt: str) -> str:
    """Section 4.3.1: over `<issuer-jwt>~<disclosure>~...~`, with the `_sd_alg` (sha-256)."""
    return sha256_b64url(sd_jwt.encode("ascii"))


def transaction_data_hashes(transaction_data: Sequence[str]) -> list[str]:
    """OpenID4VP B.3.3.1: over each string as received (no base64url decoding)."""
    return [sha256_b64url(item.encode()) for item in transaction_data]


def check_transaction_data(payload: dict[str, Any], transaction_data: Sequence[str]) -> None:
    """OpenID4VP B.3.3.1: one hash per transaction_data string, in request order.

    With no transaction data requested, hashes in the KB-JWT are refused too: they would
    claim an authorization this request never asked for.
    """
    if not transaction_data:
        if "transaction_data_hashes" in payload or "transaction_data_hashes_alg" in payload:
            raise _transaction_data("transaction data hashes were sent but none was requested")
        return
    if "transaction_data_hashes" not in payload:
        raise _transaction_data("the transaction data hashes are missing")
    alg = payload.get("transaction_data_hashes_alg", TRANSACTION_DATA_HASH_ALG)
    if alg != TRANSACTION_DATA_HASH_ALG:
        raise _transaction_data("the transaction data hash algorithm is not sha-256")
    if payload["transaction_data_hashes"] != transaction_data_hashes(transaction_data):
        raise _transaction_data("the transaction data hashes do not match the request")


def verify_kb_jwt(
    kb_jwt: str,
    *,
    holder_key: ECKey,
    sd_jwt: str,
    nonce: str,
    audience: str,
    transaction_data: Sequence[str],
    now: datetime,
) -> dict[str, Any]:
    """Section 7.3 step 5; `nonce` and `aud` as OpenID4VP B.3.6 sets them. The payload."""
    if not nonce or not audience:
        raise ValueError("a nonce and an audience are needed to check key binding")
    _, payload = verify_jws(kb_jwt, holder_key, typ=KB_JWT_TYP, what="the key-binding JWT")
    moment, skew = seconds(now), CLOCK_SKEW.total_seconds()
    issued = numeric_date(payload, "iat", "holder-binding")
    if issued is None:
        raise _binding("the key-binding JWT has no iat")
    if issued < moment - KB_MAX_AGE.total_seconds():
        raise _binding("the key-binding JWT is too old")
    if issued > moment + skew:
        raise _binding("the key-binding JWT is issued in the future")
    expires = numeric_date(payload, "exp", "holder-binding")
    if expires is not None and moment > expires + skew:  # RFC 7519 rules (step 5.8)
        raise _binding("the key-binding JWT has expired")
    if payload.get("nonce") != nonce:
        raise _binding("the key-binding JWT is for another nonce")
    if payload.get("aud") != audience:  # a single string (section 4.3), never an array
        raise _binding("the key-binding JWT is for another audience")
    if payload.get("sd_hash") != sd_hash(sd_jwt):
        raise _binding("the key-binding JWT sd_hash does not match the presentation")
    check_transaction_data(payload, transaction_data)
    return payload
