"""The sandbox PID provider and demo wallet for SD-JWT VC (RFC 9901, OpenID4VP 1.0 B.3).

`issue_sd_jwt_vc` is the provider: every claim selectively disclosable, objects (address,
place_of_birth, age_equal_or_over) recursively so (section 6.3: the object and each of its
members), arrays (nationalities) as one Disclosure, random decoys in every `_sd` array.
The wallet's pieces: `select_disclosures` keeps the Disclosures a DCQL query's claim paths
need (with their parents) and `add_key_binding` appends a KB-JWT (holder.py composes them;
`present_sd_jwt_vc` does both at once, for tests and benchmarks).

The demo wallet's failure simulations (built in holder.py with these pieces) are real
attacks that the verifier (`credentials.sdjwt.verify_sd_jwt_vc`) detects by itself:
- "tampered": a Disclosure's value changed after issuance; its digest is then referenced
  nowhere, so the verifier refuses an unreferenced Disclosure (the KB-JWT is re-signed, as
  a dishonest holder would);
- "replayed": a presentation made for another nonce;
- "withheld": a requested claim left out (valid SD-JWT; the DCQL matching refuses it);
- "untrusted": issued by `pki.rogue_issuer`, whose CA is no trust anchor.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.jwk import ECKey

from ..credentials.jose import ALLOWED_ALGS, b64url_encode, decode_json_segment, ec_public_jwk
from ..credentials.sdjwt import PID_VCT, SD_JWT_VC_TYP
from ..credentials.sdjwt_disclosures import (
    SD_ALG,
    Disclosure,
    decode_disclosure,
    disclosure_digest,
    sha256_b64url,
)
from ..credentials.sdjwt_kb import (
    KB_JWT_TYP,
    TRANSACTION_DATA_HASH_ALG,
    sd_hash,
    transaction_data_hashes,
)
from .pki import Signer

DECOYS = (1, 4)  # each `_sd` array gets between 1 and 4 decoy digests (section 4.2.5)
_RESERVED = frozenset({"iss", "iat", "nbf", "exp", "vct", "cnf", "status", "_sd", "_sd_alg"})

ClaimPathQuery = Sequence[str | int | None]  # DCQL claim path: name, index, None = all


def sign_jwt(
    header: Mapping[str, Any], payload: Mapping[str, Any], key: ec.EllipticCurvePrivateKey
) -> str:
    """A compact JWS over the JSON of `payload`."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return jws.serialize_compact(
        dict(header), body, ECKey.import_key(key), algorithms=list(ALLOWED_ALGS)
    )


def encode_disclosure(*content: Any) -> str:
    """[salt, name, value] or [salt, value] as a Disclosure (sections 4.2.1, 4.2.2)."""
    text = json.dumps(list(content), ensure_ascii=False, separators=(",", ":"))
    return b64url_encode(text.encode())


def _salt() -> str:
    return b64url_encode(secrets.token_bytes(16))  # 128 bits (section 9.3)


class _Issuer:
    def __init__(self) -> None:
        self.disclosures: list[str] = []

    def hide(self, *content: Any) -> str:
        encoded = encode_disclosure(_salt(), *content)
        self.disclosures.append(encoded)
        return disclosure_digest(encoded)

    def object(self, claims: Mapping[str, Any]) -> dict[str, Any]:
        if {"_sd", "..."} & claims.keys():
            raise ValueError("_sd and ... cannot be claim names (section 4.2.1)")
        digests = [
            self.hide(name, self.object(value) if isinstance(value, Mapping) and value else value)
            for name, value in claims.items()
        ]
        low, high = DECOYS
        decoys = low + secrets.randbelow(high - low + 1)
        digests += [sha256_b64url(secrets.token_bytes(32)) for _ in range(decoys)]
        return {"_sd": sorted(digests)}  # sorted: independent of the claims' order (4.2.4.1)


def issue_sd_jwt_vc(
    claims: Mapping[str, Any],
    *,
    signer: Signer,
    holder_public_key: ec.EllipticCurvePublicKey,
    issuer: str,
    vct: str = PID_VCT,
    now: datetime,
    valid_for: timedelta,
    not_before: datetime | None = None,
) -> str:
    """An SD-JWT (`<issuer-jwt>~<disclosure>~...~`) of `claims` (SD-JWT VC claim names)."""
    if reserved := _RESERVED & claims.keys():
        raise ValueError(f"claims may not set {sorted(reserved)}")
    builder = _Issuer()
    payload: dict[str, Any] = {
        "iss": issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + valid_for).timestamp()),
        "vct": vct,
        "cnf": {"jwk": ec_public_jwk(holder_public_key)},
        "_sd_alg": SD_ALG,
        **builder.object(claims),
    }
    if not_before is not None:
        payload["nbf"] = int(not_before.timestamp())
    header = {
        "alg": "ES256",
        "typ": SD_JWT_VC_TYP,
        "x5c": [base64.b64encode(der).decode("ascii") for der in signer.chain_der],
    }
    return "~".join([sign_jwt(header, payload, signer.key), *builder.disclosures, ""])


def _children(node: Any, by_digest: Mapping[str, Disclosure]) -> list[tuple[Any, Any, str | None]]:
    """(name or index, value, digest or None if always disclosed) of an issued node."""
    if isinstance(node, dict):
        found: list[tuple[Any, Any, str | None]] = [
            (name, value, None) for name, value in node.items() if name != "_sd"
        ]
        for digest in node.get("_sd", []):
            disclosure = by_digest.get(digest)
            if disclosure is not None:  # not a decoy
                found.append((disclosure.name, disclosure.value, digest))
        return found
    if isinstance(node, list):
        found = []
        for index, element in enumerate(node):
            digest = element.get("...") if isinstance(element, dict) else None
            if digest is None:
                found.append((index, element, None))
            elif digest in by_digest:
                found.append((index, by_digest[digest].value, digest))
        return found
    return []


def _select(
    node: Any, path: ClaimPathQuery, by_digest: Mapping[str, Disclosure], chosen: set[str]
) -> None:
    for key, value, digest in _children(node, by_digest):
        if path and not (key == path[0] or (path[0] is None and isinstance(key, int))):
            continue
        if digest is not None:
            chosen.add(digest)
        _select(value, path[1:], by_digest, chosen)  # an exhausted path takes all below


def select_disclosures(issued: str, claim_paths: Sequence[ClaimPathQuery]) -> str:
    """The SD-JWT with only the Disclosures the claim paths need, parents included."""
    issuer_jwt, *encoded, _ = issued.split("~")
    payload = decode_json_segment(issuer_jwt.split(".")[1])
    by_digest = {disclosure.digest: disclosure for disclosure in map(decode_disclosure, encoded)}
    chosen: set[str] = set()
    for path in claim_paths:
        if isinstance(path, str):
            raise TypeError("a claim path is a sequence of names, not one string")
        _select(payload, path, by_digest, chosen)
    return "~".join([issuer_jwt, *(e for e in encoded if disclosure_digest(e) in chosen), ""])


def add_key_binding(
    sd_jwt: str,
    *,
    holder_key: ec.EllipticCurvePrivateKey,
    nonce: str,
    audience: str,
    transaction_data: Sequence[str],
    now: datetime,
) -> str:
    """SD-JWT+KB (section 4.3), with OpenID4VP B.3.3.1 transaction_data_hashes if any."""
    payload: dict[str, Any] = {
        "iat": int(now.timestamp()),
        "aud": audience,
        "nonce": nonce,
        "sd_hash": sd_hash(sd_jwt),
    }
    if transaction_data:
        payload["transaction_data_hashes"] = transaction_data_hashes(transaction_data)
        payload["transaction_data_hashes_alg"] = TRANSACTION_DATA_HASH_ALG
    return sd_jwt + sign_jwt({"alg": "ES256", "typ": KB_JWT_TYP}, payload, holder_key)


def present_sd_jwt_vc(
    issued: str,
    *,
    claim_paths: Sequence[ClaimPathQuery],
    holder_key: ec.EllipticCurvePrivateKey,
    nonce: str,
    audience: str,
    transaction_data: Sequence[str],
    now: datetime,
) -> str:
    """What the wallet sends for a DCQL query asking for `claim_paths`."""
    return add_key_binding(
        select_disclosures(issued, claim_paths),
        holder_key=holder_key,
        nonce=nonce,
        audience=audience,
        transaction_data=transaction_data,
        now=now,
    )


def tamper_disclosure(sd_jwt: str, claim_name: str, value: Any) -> str:
    """The SD-JWT (no KB-JWT yet) with `claim_name`'s Disclosure re-encoded to `value`."""
    issuer_jwt, *encoded, last = sd_jwt.split("~")
    if last:
        raise ValueError("tamper with the SD-JWT before adding key binding")
    for index, disclosure in enumerate(map(decode_disclosure, encoded)):
        if disclosure.name == claim_name:
            encoded[index] = encode_disclosure(disclosure.salt, claim_name, value)
            return "~".join([issuer_jwt, *encoded, ""])
    raise ValueError(f"no disclosure of {claim_name!r} in the SD-JWT")
