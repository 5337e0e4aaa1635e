"""The OpenID4VP SessionTranscripts of an mdoc presentation (OpenID4VP 1.0 Appendix B.2.6)
and the DeviceAuthenticationBytes a wallet signs over them (ISO/IEC 18013-5 9.1.3.4).

The transcript binds a DeviceResponse to one request: the verifier recomputes it from the
request it sent (client_id, nonce, response_uri, or the DC API origin, and the thumbprint
of its encryption key) and the device signature only verifies over that exact transcript.
Both functions return the CBOR encoding; it is spliced unchanged into DeviceAuthentication.
"""

from __future__ import annotations

import hashlib
from typing import Any

import cbor2

from . import cbor

_JWK_THUMBPRINT_BYTES = 32  # a SHA-256 JWK Thumbprint (RFC 7638)


def _session_transcript(handover_name: str, handover_info: list[Any]) -> bytes:
    """SessionTranscript = [DeviceEngagementBytes: null, EReaderKeyBytes: null, Handover],
    Handover = [name, sha-256(OpenIDVP...HandoverInfoBytes)] (ISO/IEC 18013-5 9.1.5.1 with
    the changes of OpenID4VP B.2.6.1 / B.2.6.2)."""
    info_hash = hashlib.sha256(cbor.encode(handover_info)).digest()
    return cbor.encode([None, None, [handover_name, info_hash]])


def _thumbprint(jwk_thumbprint: bytes | None) -> bytes | None:
    if jwk_thumbprint is not None and len(jwk_thumbprint) != _JWK_THUMBPRINT_BYTES:
        raise ValueError("jwk_thumbprint is the 32-byte SHA-256 JWK Thumbprint (RFC 7638)")
    return jwk_thumbprint


def redirect_session_transcript(
    client_id: str, nonce: str, jwk_thumbprint: bytes | None, response_uri: str
) -> bytes:
    """The CBOR SessionTranscript of a redirect-based request (OpenID4VP B.2.6.1):
    `[null, null, ["OpenID4VPHandover", sha-256(cbor([client_id, nonce, jwk_thumbprint,
    response_uri]))]]`. `client_id` with its prefix as sent in the request; `jwk_thumbprint`
    of the verifier's encryption key if the response is encrypted (direct_post.jwt), else
    None (CBOR null); `response_uri` (or the `redirect_uri` if the response mode uses one)."""
    info = [client_id, nonce, _thumbprint(jwk_thumbprint), response_uri]
    return _session_transcript("OpenID4VPHandover", info)


def dc_api_session_transcript(origin: str, nonce: str, jwk_thumbprint: bytes | None) -> bytes:
    """The CBOR SessionTranscript for the Digital Credentials API (OpenID4VP B.2.6.2):
    `[null, null, ["OpenID4VPDCAPIHandover", sha-256(cbor([origin, nonce,
    jwk_thumbprint]))]]`; `origin` without an "origin:" prefix, `jwk_thumbprint` for
    `dc_api.jwt`, None for `dc_api`."""
    if origin.startswith("origin:"):
        raise ValueError("the origin must not be prefixed with 'origin:' (OpenID4VP B.2.6.2)")
    info = [origin, nonce, _thumbprint(jwk_thumbprint)]
    return _session_transcript("OpenID4VPDCAPIHandover", info)


def device_authentication_bytes(
    session_transcript: bytes, doctype: str, device_namespaces_bytes: bytes
) -> bytes:
    """DeviceAuthenticationBytes = #6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript,
    DocType, DeviceNameSpacesBytes]) (ISO/IEC 18013-5 9.1.3.4). The transcript is spliced in
    as the encoded item it is; `device_namespaces_bytes` is the encoded #6.24 item."""
    device_authentication = (
        b"\x84"  # array(4)
        + cbor2.dumps("DeviceAuthentication")
        + session_transcript
        + cbor2.dumps(doctype)
        + device_namespaces_bytes
    )
    return cbor.encoded_cbor_bytes(device_authentication)
