"""Encrypted responses (OpenID4VP 1.0 section 8.3), the RFC 7638 thumbprint of the
encryption key, and the response parameters of sections 8.1, 8.3.1 and 8.5."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwe
from joserfc.jwk import ECKey, OctKey, RSAKey

from app.verification.credentials.session_transcript import (
    dc_api_session_transcript,
    redirect_session_transcript,
)
from app.verification.oid4vp.parameters import encryption_jwk
from app.verification.oid4vp.response import (
    AuthorizationErrorResponse,
    AuthorizationResponse,
    ResponseParameterError,
    encrypted_response_parameter,
    response_payload_parameters,
)
from app.verification.oid4vp.response_crypto import (
    EncryptionKey,
    ResponseDecryptionError,
    decrypt_response,
    encrypt_response,
    jwe_key_id,
    jwk_thumbprint,
    new_encryption_key,
    select_response_encryption,
)

PAYLOAD = {"vp_token": {"pid": ["eyJhbGciOiJFUzI1NiJ9.e30.sig~"]}, "state": "st-1"}

# RFC 7638 section 3.1: the example RSA key and its thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc"
    "_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0"
    "_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhA"
    "I4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

# OpenID4VP B.2.6.1 / B.2.6.2: the input JWK of the session transcript examples, its
# thumbprint (the bytes inside OpenID4VPHandoverInfo) and the example's nonce.
SPEC_TRANSCRIPT_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "DxiH5Q4Yx3UrukE2lWCErq8N8bqC9CHLLrAwLz5BmE0",
    "y": "XtLM4-3h5o3HUH0MHVJV0kyq0iBlrBwlh8qEDMZ4-Pc",
    "use": "enc",
    "alg": "ECDH-ES",
    "kid": "1",
}
SPEC_THUMBPRINT = "4283ec927ae0f208daaa2d026a814f2b22dca52cf85ffa8f3f8626c6bd669047"
SPEC_NONCE = "exc7gBkxjx1rdc9udRrveKvSsJIq80avlXeLHhGwqtA"

# OpenID4VP 8.3: the example encrypted response and the private key that decrypts it.
SPEC_PRIVATE_JWK = {
    "kty": "EC",
    "kid": "ac",
    "use": "enc",
    "crv": "P-256",
    "alg": "ECDH-ES",
    "x": "YO4epjifD-KWeq1sL2tNmm36BhXnkJ0He-WqMYrp9Fk",
    "y": "Hekpm0zfK7C-YccH5iBjcIXgf6YdUvNUac_0At55Okk",
    "d": "Et-3ce0omz8_TuZ96Df9lp0GAaaDoUnDe6X-CRO7Aww",
}
SPEC_RESPONSE = (
    "eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTEyOEdDTSIsImtpZCI6ImFjIiwiZXBrIjp7Imt"
    "0eSI6IkVDIiwieCI6Im5ubVZwbTNWM2piaGNhZlFhUkJrU1ZOSGx3Wkh3dC05ck9wSnVmeVlJdWsiLCJ5I"
    "joicjRmakRxd0p5czlxVU9QLV9iM21SNVNaRy0tQ3dPMm1pYzVWU05UWU45ZyIsImNydiI6IlAtMjU2In1"
    "9..uAYcHRUSSn2X0WPX.yVzlGSYG4qbg0bq18JcUiDRw56yVnbKR8E7S7YlEtzT00RqE3Pw5oTpUG3hdLN"
    "4taHZ9gC1kwak8JOnJgQ.1wR024_3-qtAlx1oFIUpQQ"
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _header(token: str) -> dict[str, Any]:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _with_header(token: str, **changes: Any) -> str:
    header = {**_header(token), **changes}
    header = {name: value for name, value in header.items() if value is not None}
    return ".".join([_b64(json.dumps(header).encode()), *token.split(".")[1:]])


def _flip(token: str, index: int) -> str:
    """The token with one base64url character of segment `index` changed."""
    segments = token.split(".")
    segment = segments[index]
    segments[index] = ("A" if segment[0] != "A" else "B") + segment[1:]
    return ".".join(segments)


def _joserfc_encrypt(header: dict[str, Any], plaintext: bytes, key: Any, algs: list[str]) -> str:
    return jwe.encrypt_compact(header, plaintext, key, algorithms=algs)


@pytest.fixture
def key() -> EncryptionKey:
    return new_encryption_key()


def _public_ec(key: EncryptionKey) -> ECKey:
    return ECKey.import_key({k: key.public_jwk[k] for k in ("kty", "crv", "x", "y")})


# --- keys and thumbprints --------------------------------------------------------------------


def test_a_new_encryption_key_is_a_p256_ecdh_es_key_with_a_random_kid() -> None:
    first, second = new_encryption_key(), new_encryption_key()
    assert first.public_jwk["kty"] == "EC" and first.public_jwk["crv"] == "P-256"
    assert first.public_jwk["use"] == "enc" and first.public_jwk["alg"] == "ECDH-ES"
    assert "d" not in first.public_jwk and "d" in first.private_jwk
    assert first.kid != second.kid and len(first.kid) >= 16
    assert encryption_jwk(first.public_jwk) == first.public_jwk  # what client_metadata needs
    assert {k: v for k, v in first.private_jwk.items() if k != "d"} == first.public_jwk


def test_the_thumbprint_matches_rfc7638_section_3_1() -> None:
    assert _b64(jwk_thumbprint(RFC7638_JWK)) == RFC7638_THUMBPRINT


def test_the_thumbprint_matches_the_openid4vp_session_transcript_example() -> None:
    thumbprint = jwk_thumbprint(SPEC_TRANSCRIPT_JWK)
    assert thumbprint.hex() == SPEC_THUMBPRINT
    # ... and, put into the transcripts, gives the spec's SessionTranscript examples
    assert redirect_session_transcript(
        "x509_san_dns:example.com", SPEC_NONCE, thumbprint, "https://example.com/response"
    ).hex() == (
        "83f6f682714f70656e494434565048616e646f7665725820048bc053c00442af9b8e"
        "ed494cefdd9d95240d254b046b11b68013722aad38ac"
    )
    assert dc_api_session_transcript("https://example.com", SPEC_NONCE, thumbprint).hex() == (
        "83f6f682764f70656e4944345650444341504948616e646f7665725820fbece366f4"
        "212f9762c74cfdbf83b8c69e371d5d68cea09cb4c48ca6daab761a"
    )


def test_the_thumbprint_uses_only_the_required_members(key: EncryptionKey) -> None:
    assert jwk_thumbprint(key.public_jwk) == jwk_thumbprint(key.private_jwk)
    bare = {k: key.public_jwk[k] for k in ("kty", "crv", "x", "y")}
    assert jwk_thumbprint(bare) == jwk_thumbprint(key.public_jwk)
    assert len(jwk_thumbprint(bare)) == 32
    # joserfc agrees (it returns the base64url form)
    assert _b64(jwk_thumbprint(bare)) == ECKey.import_key(bare).thumbprint()


@pytest.mark.parametrize(
    "jwk",
    [{"kty": "EC", "crv": "P-256", "x": "AA"}, {"kty": "XYZ"}, {}, {"kty": "EC", "crv": 1}],
)
def test_a_jwk_without_its_required_members_has_no_thumbprint(jwk: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        jwk_thumbprint(jwk)


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("enc", ["A128GCM", "A256GCM"])
def test_a_response_round_trips(key: EncryptionKey, enc: str) -> None:
    token = encrypt_response(PAYLOAD, key.public_jwk, enc=enc)
    header = _header(token)
    assert header["alg"] == "ECDH-ES" and header["enc"] == enc and header["kid"] == key.kid
    assert set(header["epk"]) == {"kty", "crv", "x", "y"}  # public, no "d"
    assert "apu" not in header and "apv" not in header and "zip" not in header
    assert token.split(".")[1] == ""  # direct key agreement: no encrypted key
    assert decrypt_response(token, key.private_jwk) == PAYLOAD
    assert jwe_key_id(token) == key.kid


def test_the_spec_example_response_decrypts() -> None:
    """Section 8.3's example JWE, made by another implementation, with its private key."""
    assert decrypt_response(SPEC_RESPONSE, SPEC_PRIVATE_JWK) == {
        "vp_token": {"example_credential_id": ["eyJhb...YMetA"]}
    }
    assert jwe_key_id(SPEC_RESPONSE) == "ac"


def test_apu_and_apv_are_accepted_unread(key: EncryptionKey) -> None:
    token = encrypt_response(PAYLOAD, key.public_jwk, apu=b"wallet", apv=b"nonce-123")
    assert _header(token)["apu"] == _b64(b"wallet")
    assert decrypt_response(token, key.private_jwk) == PAYLOAD


def test_a_missing_kid_is_tolerated(key: EncryptionKey) -> None:
    without_kid = {k: v for k, v in key.public_jwk.items() if k != "kid"}
    token = encrypt_response(PAYLOAD, without_kid)
    assert "kid" not in _header(token) and jwe_key_id(token) is None
    assert decrypt_response(token, key.private_jwk) == PAYLOAD


# --- refused -----------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [2, 3, 4], ids=["iv", "ciphertext", "tag"])
def test_a_tampered_segment_is_refused(key: EncryptionKey, index: int) -> None:
    token = encrypt_response(PAYLOAD, key.public_jwk)
    with pytest.raises(ResponseDecryptionError, match="cannot be decrypted"):
        decrypt_response(_flip(token, index), key.private_jwk)


def test_a_tampered_protected_header_is_refused(key: EncryptionKey) -> None:
    token = encrypt_response(PAYLOAD, key.public_jwk)
    with pytest.raises(ResponseDecryptionError, match="cannot be decrypted"):
        decrypt_response(_with_header(token, cty="JWT"), key.private_jwk)  # AAD changed
    other_epk = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(ResponseDecryptionError, match="cannot be decrypted"):
        decrypt_response(_with_header(token, epk=other_epk.as_dict()), key.private_jwk)


def test_the_wrong_private_key_is_refused(key: EncryptionKey) -> None:
    token = encrypt_response(PAYLOAD, key.public_jwk)
    other = new_encryption_key()
    with pytest.raises(ResponseDecryptionError, match="another key"):
        decrypt_response(token, other.private_jwk)
    same_kid = {**other.private_jwk, "kid": key.kid}
    with pytest.raises(ResponseDecryptionError, match="cannot be decrypted"):
        decrypt_response(token, same_kid)


def test_rsa_oaep_and_dir_are_refused(key: EncryptionKey) -> None:
    rsa_key = RSAKey.import_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    token = _joserfc_encrypt(
        {"alg": "RSA-OAEP", "enc": "A128GCM", "kid": key.kid},
        json.dumps(PAYLOAD).encode(),
        rsa_key,
        ["RSA-OAEP", "A128GCM"],
    )
    with pytest.raises(ResponseDecryptionError, match="alg 'RSA-OAEP' is not accepted"):
        decrypt_response(token, key.private_jwk)
    token = _joserfc_encrypt(
        {"alg": "dir", "enc": "A128GCM"},
        json.dumps(PAYLOAD).encode(),
        OctKey.generate_key(128),
        ["dir", "A128GCM"],
    )
    with pytest.raises(ResponseDecryptionError, match="alg 'dir' is not accepted"):
        decrypt_response(token, key.private_jwk)
    wrapped = _joserfc_encrypt(
        {"alg": "ECDH-ES+A128KW", "enc": "A128GCM"},
        json.dumps(PAYLOAD).encode(),
        _public_ec(key),
        ["ECDH-ES+A128KW", "A128GCM"],
    )
    with pytest.raises(ResponseDecryptionError, match="only ECDH-ES"):
        decrypt_response(wrapped, key.private_jwk)
    with pytest.raises(ResponseDecryptionError, match="alg 'none'"):
        decrypt_response(_with_header(wrapped, alg="none"), key.private_jwk)


@pytest.mark.parametrize("enc", ["A192GCM", "A128CBC-HS256", "A256CBC-HS512"])
def test_other_content_encryption_is_refused(key: EncryptionKey, enc: str) -> None:
    token = _joserfc_encrypt(
        {"alg": "ECDH-ES", "enc": enc},
        json.dumps(PAYLOAD).encode(),
        _public_ec(key),
        ["ECDH-ES", enc],
    )
    with pytest.raises(ResponseDecryptionError, match=f"enc '{enc}' is not accepted"):
        decrypt_response(token, key.private_jwk)
    with pytest.raises(ValueError, match="enc"):
        encrypt_response(PAYLOAD, key.public_jwk, enc=enc)


def test_a_compressed_response_is_refused(key: EncryptionKey) -> None:
    token = _joserfc_encrypt(
        {"alg": "ECDH-ES", "enc": "A128GCM", "zip": "DEF"},
        json.dumps(PAYLOAD).encode(),
        _public_ec(key),
        ["ECDH-ES", "A128GCM", "DEF"],
    )
    with pytest.raises(ResponseDecryptionError, match="zip"):
        decrypt_response(token, key.private_jwk)


def test_an_oversized_response_is_refused(key: EncryptionKey) -> None:
    big = {"vp_token": {"pid": ["x" * 5000]}}
    token = encrypt_response(big, key.public_jwk)
    assert decrypt_response(token, key.private_jwk) == big
    with pytest.raises(ResponseDecryptionError, match="acceptable size"):
        decrypt_response(token, key.private_jwk, max_bytes=4096)
    with pytest.raises(ResponseDecryptionError, match="acceptable size"):
        decrypt_response("a" * 1_048_577, key.private_jwk)


@pytest.mark.parametrize(
    ("plaintext", "detail"),
    [
        (b"[1, 2]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
        (b"not json", "not JSON"),
        (b'{"vp_token": 1, "vp_token": 2}', "not JSON"),  # duplicate member names
        (b'{"a": NaN}', "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[" * 40 + b"]" * 40, "not JSON"),  # nested beyond the bound
    ],
)
def test_a_payload_that_is_not_a_json_object_is_refused(
    key: EncryptionKey, plaintext: bytes, detail: str
) -> None:
    token = _joserfc_encrypt(
        {"alg": "ECDH-ES", "enc": "A128GCM", "kid": key.kid},
        plaintext,
        _public_ec(key),
        ["ECDH-ES", "A128GCM"],
    )
    with pytest.raises(ResponseDecryptionError, match=detail):
        decrypt_response(token, key.private_jwk)


@pytest.mark.parametrize(
    "garbage",
    ["", "abc", "a.b.c.d.e", "a.b.c.d.e.f", "eyJ9.x.y.z.w", "!!!!.a.b.c.d", ".....", "e30...."],
)
def test_garbage_is_refused(key: EncryptionKey, garbage: str) -> None:
    with pytest.raises(ResponseDecryptionError):
        decrypt_response(garbage, key.private_jwk)


def test_a_non_string_is_refused(key: EncryptionKey) -> None:
    with pytest.raises(ResponseDecryptionError):
        decrypt_response(None, key.private_jwk)  # type: ignore[arg-type]
    with pytest.raises(ResponseDecryptionError):
        jwe_key_id(b"abc")  # type: ignore[arg-type]


def test_an_encrypted_key_segment_is_refused(key: EncryptionKey) -> None:
    token = encrypt_response(PAYLOAD, key.public_jwk)
    segments = token.split(".")
    segments[1] = _b64(b"\x00" * 16)
    with pytest.raises(ResponseDecryptionError, match="encrypted key"):
        decrypt_response(".".join(segments), key.private_jwk)


def test_bad_header_members_are_refused(key: EncryptionKey) -> None:
    token = encrypt_response(PAYLOAD, key.public_jwk)
    epk = _header(token)["epk"]
    p384 = ECKey.import_key(ec.generate_private_key(ec.SECP384R1()).public_key()).as_dict()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"epk": None}, "epk"),
        ({"epk": {**epk, "x": epk["y"]}}, "epk"),  # not on the curve
        ({"epk": {**epk, "d": "AAAA"}}, "epk"),
        ({"epk": p384}, "P-256"),
        ({"crit": ["exp"]}, "critical"),
        ({"apu": "!!"}, "apu"),
        ({"apv": "A" * 600}, "apv"),
        ({"kid": 7}, "another key"),
    ]
    for changes, detail in cases:
        with pytest.raises(ResponseDecryptionError, match=detail):
            decrypt_response(_with_header(token, **changes), key.private_jwk)
    with pytest.raises(ResponseDecryptionError, match="wrong length"):
        decrypt_response(
            ".".join([*token.split(".")[:2], _b64(b"1" * 16), *token.split(".")[3:]]),
            key.private_jwk,
        )


def test_the_wallet_side_needs_a_usable_key(key: EncryptionKey) -> None:
    without_alg = {k: v for k, v in key.public_jwk.items() if k != "alg"}
    with pytest.raises(ValueError, match="ECDH-ES"):
        encrypt_response(PAYLOAD, without_alg)
    with pytest.raises(ValueError, match="use"):
        encrypt_response(PAYLOAD, {**key.public_jwk, "use": "sig"})
    with pytest.raises(ValueError, match="P-256 private JWK"):
        decrypt_response(encrypt_response(PAYLOAD, key.public_jwk), key.public_jwk)


def test_the_wallet_picks_a_key_and_an_enc_from_client_metadata(key: EncryptionKey) -> None:
    okp = {"kty": "OKP", "crv": "X25519", "kid": "x", "use": "enc", "alg": "ECDH-ES", "x": "AA"}
    metadata = {
        "jwks": {"keys": [okp, key.public_jwk]},
        "encrypted_response_enc_values_supported": ["A128CBC-HS256", "A256GCM", "A128GCM"],
    }
    assert select_response_encryption(metadata) == (key.public_jwk, "A256GCM")
    assert select_response_encryption({"jwks": {"keys": [key.public_jwk]}}) == (
        key.public_jwk,
        "A128GCM",  # the default of section 5.1
    )
    with pytest.raises(ValueError, match="no P-256"):
        select_response_encryption({"jwks": {"keys": [okp]}})
    with pytest.raises(ValueError, match="enc"):
        select_response_encryption(
            {
                "jwks": {"keys": [key.public_jwk]},
                "encrypted_response_enc_values_supported": ["A192GCM"],
            }
        )


# --- response parameters (8.1, 8.3.1, 8.5) ----------------------------------------------------


def test_a_vp_token_response_is_read() -> None:
    result = response_payload_parameters({**PAYLOAD, "iss": "https://wallet.example"})
    assert result == AuthorizationResponse(vp_token=PAYLOAD["vp_token"], state="st-1")
    mdoc = {"vp_token": {"a": ["o2d2ZXJzaW9u"], "b": [{"ldp": "object"}]}}
    assert response_payload_parameters(mdoc, credential_query_ids={"a", "b"}) == (
        AuthorizationResponse(vp_token=mdoc["vp_token"])
    )
    form = {"vp_token": json.dumps(PAYLOAD["vp_token"]), "state": "st-1"}  # direct_post form
    assert response_payload_parameters(form) == AuthorizationResponse(PAYLOAD["vp_token"], "st-1")


def test_an_error_response_is_read() -> None:
    result = response_payload_parameters(
        {"error": "access_denied", "error_description": "The user declined.", "state": "s"}
    )
    assert result == AuthorizationErrorResponse("access_denied", "The user declined.", "s")


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({}, "neither"),
        ({"state": "s"}, "neither"),
        ({"vp_token": PAYLOAD["vp_token"], "error": "access_denied"}, "both"),
        ({"vp_token": ["x"]}, "not a JSON object"),
        ({"vp_token": "[1]"}, "not a JSON object"),
        ({"vp_token": "{bad"}, "not a JSON object"),
        ({"vp_token": {"pid": []}}, "non-empty array"),
        ({"vp_token": {"pid": "x"}}, "non-empty array"),
        ({"vp_token": {"pid": [1]}}, "neither a string nor an object"),
        ({"vp_token": {"pid": [""]}}, "neither a string nor an object"),
        ({"vp_token": {"other": ["x"]}}, "not asked for"),
        ({"vp_token": {"pid": ["x"] * 17}}, "too many"),
        ({"vp_token": {"pid": ["x"]}, "state": "a b"}, "state"),
        ({"vp_token": {"pid": ["x"]}, "state": 5}, "state"),
        ({"error": 'access"denied'}, "error code"),
        ({"error": 1}, "error code"),
        ({"error": "x", "error_description": "tab\there"}, "error_description"),
    ],
)
def test_malformed_response_parameters_are_refused(payload: dict[str, Any], detail: str) -> None:
    with pytest.raises(ResponseParameterError, match=detail):
        response_payload_parameters(payload, credential_query_ids={"pid"})


def test_the_encrypted_response_parameter_is_found(key: EncryptionKey) -> None:
    token = encrypt_response(PAYLOAD, key.public_jwk)
    assert encrypted_response_parameter({"response": token}) == token
    assert encrypted_response_parameter({"error": "access_denied", "state": "s"}) == (
        AuthorizationErrorResponse("access_denied", None, "s")  # 8.3.1: errors may be clear
    )
    with pytest.raises(ResponseParameterError, match="unencrypted vp_token"):
        encrypted_response_parameter({"vp_token": json.dumps(PAYLOAD["vp_token"])})
    with pytest.raises(ResponseParameterError, match="other response parameters"):
        encrypted_response_parameter({"response": token, "vp_token": "{}"})
    with pytest.raises(ResponseParameterError, match="not a string"):
        encrypted_response_parameter({"response": ["x"]})
    with pytest.raises(ResponseParameterError, match="neither"):
        encrypted_response_parameter({})
