"""One verifier request's presentation as a JSON document, so that anyone can verify it
again with their own tools (`flask demobank presentation REQUEST_ID`)."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization

from ...extensions import db
from ..credentials.jose import b64url_encode
from ..oid4vp.response_crypto import jwk_thumbprint
from .authorizer import LocalAuthorizer
from .models import VerifierRequest


def presentation_document(verifier: LocalAuthorizer, authorization_id: str) -> dict[str, Any]:
    """What the wallet sent and everything it was bound to: `vp_token`, `nonce`,
    `client_id`, `response_uri` (null over the DC API, where `origin` binds it instead),
    `transaction_data` (the strings as sent), `issuer_ca_pem` (the trust anchors), and
    `jwk_thumbprint` (base64url, of the response encryption key: it enters the mdoc
    session transcript, OpenID4VP B.2.6). LookupError when nothing was presented."""
    row = db.session.get(VerifierRequest, authorization_id)
    if row is None or row.vp_token is None:
        raise LookupError("no presentation was received for this request")
    anchors = b"".join(
        certificate.public_bytes(serialization.Encoding.PEM)
        for certificate in verifier.settings.trust_anchors
    )
    return {
        "vp_token": row.vp_token,
        "nonce": row.nonce,
        "client_id": row.client_id,
        "response_uri": row.request.get("response_uri"),
        "origin": row.origin,
        "transaction_data": list(row.request.get("transaction_data") or []),
        "dcql_query": row.request["dcql_query"],
        "issuer_ca_pem": anchors.decode("ascii"),
        "jwk_thumbprint": b64url_encode(jwk_thumbprint(row.encryption_public_jwk)),
        "status": row.status,
    }
