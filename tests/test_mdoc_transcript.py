"""The SessionTranscripts of OpenID4VP 1.0 Appendix B.2.6, checked against the spec's own
examples, and the DeviceAuthenticationBytes of ISO/IEC 18013-5 built over them."""

from __future__ import annotations

import base64
import hashlib

import cbor2
import pytest
from joserfc.jwk import ECKey

from app.verification.credentials.session_transcript import (
    dc_api_session_transcript,
    device_authentication_bytes,
    redirect_session_transcript,
)

SPEC_NONCE = "exc7gBkxjx1rdc9udRrveKvSsJIq80avlXeLHhGwqtA"
SPEC_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "DxiH5Q4Yx3UrukE2lWCErq8N8bqC9CHLLrAwLz5BmE0",
    "y": "XtLM4-3h5o3HUH0MHVJV0kyq0iBlrBwlh8qEDMZ4-Pc",
    "use": "enc",
    "alg": "ECDH-ES",
    "kid": "1",
}
SPEC_THUMBPRINT = bytes.fromhex("4283ec927ae0f208daaa2d026a814f2b22dca52cf85ffa8f3f8626c6bd669047")


def test_the_spec_jwk_thumbprint_is_the_rfc7638_thumbprint() -> None:
    thumbprint = ECKey.import_key(SPEC_JWK).thumbprint()
    assert base64.urlsafe_b64decode(thumbprint + "=") == SPEC_THUMBPRINT


def test_redirect_session_transcript_matches_the_spec_example() -> None:
    """OpenID4VP 1.0 B.2.6.1, the non-normative SessionTranscript example."""
    transcript = redirect_session_transcript(
        "x509_san_dns:example.com", SPEC_NONCE, SPEC_THUMBPRINT, "https://example.com/response"
    )
    assert transcript.hex() == (
        "83f6f682714f70656e494434565048616e646f7665725820048bc053c00442af9b8e"
        "ed494cefdd9d95240d254b046b11b68013722aad38ac"
    )


def test_dc_api_session_transcript_matches_the_spec_example() -> None:
    """OpenID4VP 1.0 B.2.6.2, the non-normative SessionTranscript example."""
    transcript = dc_api_session_transcript("https://example.com", SPEC_NONCE, SPEC_THUMBPRINT)
    assert transcript.hex() == (
        "83f6f682764f70656e4944345650444341504948616e646f7665725820fbece366f4"
        "212f9762c74cfdbf83b8c69e371d5d68cea09cb4c48ca6daab761a"
    )


def test_session_transcript_without_encryption_hashes_a_null_thumbprint() -> None:
    transcript = cbor2.loads(redirect_session_transcript("c", "n", None, "https://r"))
    info = cbor2.dumps(["c", "n", None, "https://r"])
    assert transcript == [None, None, ["OpenID4VPHandover", hashlib.sha256(info).digest()]]

    transcript = cbor2.loads(dc_api_session_transcript("https://o", "n", None))
    info = cbor2.dumps(["https://o", "n", None])
    assert transcript == [None, None, ["OpenID4VPDCAPIHandover", hashlib.sha256(info).digest()]]


def test_session_transcript_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="origin:"):
        dc_api_session_transcript("origin:https://o", "n", None)
    with pytest.raises(ValueError, match="32-byte"):
        redirect_session_transcript("c", "n", b"short", "https://r")


def test_the_spec_handover_info_example_hashes_to_the_spec_handover() -> None:
    """The OpenID4VPHandoverInfo example of B.2.6.1 is [client_id, nonce, thumbprint,
    response_uri]; its SHA-256 is the hash inside the OpenID4VPHandover example."""
    info = bytes.fromhex(
        "847818783530395f73616e5f646e733a6578616d706c652e636f6d782b6578633767"
        "426b786a7831726463397564527276654b7653734a4971383061766c58654c486847"
        "7771744158204283ec927ae0f208daaa2d026a814f2b22dca52cf85ffa8f3f8626c6"
        "bd669047781c68747470733a2f2f6578616d706c652e636f6d2f726573706f6e7365"
    )
    assert cbor2.loads(info) == [
        "x509_san_dns:example.com",
        SPEC_NONCE,
        SPEC_THUMBPRINT,
        "https://example.com/response",
    ]
    transcript = cbor2.loads(
        redirect_session_transcript(
            "x509_san_dns:example.com", SPEC_NONCE, SPEC_THUMBPRINT, "https://example.com/response"
        )
    )
    assert transcript[2] == ["OpenID4VPHandover", hashlib.sha256(info).digest()]


def test_device_authentication_bytes_embed_the_transcript_as_an_item() -> None:
    transcript = redirect_session_transcript("c", "n", None, "https://r")
    namespaces = cbor2.dumps(cbor2.CBORTag(24, b"\xa0"))

    signed = cbor2.loads(
        device_authentication_bytes(transcript, "eu.europa.ec.eudi.pid.1", namespaces)
    )

    assert isinstance(signed, cbor2.CBORTag) and signed.tag == 24
    assert cbor2.loads(signed.value) == [
        "DeviceAuthentication",
        cbor2.loads(transcript),
        "eu.europa.ec.eudi.pid.1",
        cbor2.CBORTag(24, b"\xa0"),
    ]
