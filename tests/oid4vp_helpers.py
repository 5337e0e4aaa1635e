"""Shared pieces of the OpenID4VP request tests: identities, a DCQL query, and raw JWS."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from app.verification.oid4vp.identity import (
    VerifierIdentity,
    ensure_development_identity,
    load_identity,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RESPONSE_URI = "https://bank.example/oid4vp/response"
REQUEST_URI = "https://bank.example/oid4vp/request/3Yc9"
ORIGIN = "https://bank.example"
DCQL = {
    "credentials": [
        {
            "id": "pid",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": ["urn:eudi:pid:1"]},
            "claims": [{"path": ["family_name"]}, {"path": ["given_name"]}],
        },
        {
            "id": "pid_mdoc",
            "format": "mso_mdoc",
            "meta": {"doctype_value": "eu.europa.ec.eudi.pid.1"},
            "claims": [{"path": ["eu.europa.ec.eudi.pid.1", "family_name"]}],
        },
    ]
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: Any) -> str:
    return b64url(json.dumps(value).encode())


def transaction(credential_ids: list[str], **extra: Any) -> str:
    """One `transaction_data` string (section 5.1)."""
    return b64url_json({"type": "urn:demobank:payment", "credential_ids": credential_ids, **extra})


def development_identity(folder: Path, host: str = "localhost") -> VerifierIdentity:
    return load_identity(*ensure_development_identity(folder, host, now=NOW))


def raw_jws(header: dict[str, Any], payload: Any, key: ec.EllipticCurvePrivateKey | None) -> str:
    """A compact JWS made by hand, so that what no library would sign can be tested."""
    signing_input = f"{b64url_json(header)}.{b64url_json(payload)}"
    if key is None:
        return signing_input + "."
    der = key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    size = (key.curve.key_size + 7) // 8
    return signing_input + "." + b64url(r.to_bytes(size, "big") + s.to_bytes(size, "big"))


def decode_segment(token: str, index: int) -> Any:
    segment = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
