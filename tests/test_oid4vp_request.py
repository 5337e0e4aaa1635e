"""The verifier side of the signed authorization request (OpenID4VP 1.0 sections 5, 5.8,
5.10, 8.2, 8.3, 11, Appendix A): request object claims for both modes, signing, the link,
the DC API envelope and the request URI POST."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.verification.oid4vp.identity import VerifierIdentity
from app.verification.oid4vp.request_object import (
    REQUEST_OBJECT_MEDIA_TYPE,
    AuthorizationLink,
    RequestObjectError,
    RequestUriPost,
    authorization_link,
    dc_api_request,
    dc_api_request_claims,
    parse_authorization_link,
    redirect_request_claims,
    request_uri_post_parameters,
    sign_request_object,
    verify_request_object,
)
from app.verification.oid4vp.response_crypto import EncryptionKey, new_encryption_key
from tests.oid4vp_helpers import (
    DCQL,
    NOW,
    ORIGIN,
    REQUEST_URI,
    RESPONSE_URI,
    decode_segment,
    development_identity,
    transaction,
)

VP_FORMATS = {
    "dc+sd-jwt": {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]},
    "mso_mdoc": {"issuerauth_alg_values": [-7, -9], "deviceauth_alg_values": [-7, -9]},
}
# Appendix A.2: the parameters supported over the DC API, plus expected_origins.
DC_API_PARAMETERS = {
    "client_id",
    "response_type",
    "response_mode",
    "nonce",
    "client_metadata",
    "request",
    "transaction_data",
    "dcql_query",
    "verifier_info",
    "expected_origins",
}


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> VerifierIdentity:
    return development_identity(tmp_path_factory.mktemp("verifier"))


@pytest.fixture
def key() -> EncryptionKey:
    return new_encryption_key()


def _redirect(identity: VerifierIdentity, key: EncryptionKey, **changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "client_id": identity.client_id,
        "response_uri": RESPONSE_URI,
        "nonce": "n-0S6_WzA2Mj",
        "state": "st.1~x",
        "dcql_query": DCQL,
        "encryption_jwk": key.public_jwk,
        "transaction_data": [transaction(["pid"])],
        **changes,
    }
    return redirect_request_claims(**arguments)


def _dc_api(identity: VerifierIdentity, key: EncryptionKey, **changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "client_id": identity.client_id,
        "expected_origins": [ORIGIN],
        "nonce": "n-0S6_WzA2Mj",
        "dcql_query": DCQL,
        "encryption_jwk": key.public_jwk,
        "transaction_data": [],
        **changes,
    }
    return dc_api_request_claims(**arguments)


def test_redirect_claims_have_what_direct_post_jwt_needs(
    identity: VerifierIdentity, key: EncryptionKey
) -> None:
    claims = _redirect(identity, key, verifier_name="Demo Bank")
    assert claims == {
        "response_type": "vp_token",
        "response_mode": "direct_post.jwt",
        "client_id": identity.client_id,
        "nonce": "n-0S6_WzA2Mj",
        "response_uri": RESPONSE_URI,
        "state": "st.1~x",
        "dcql_query": DCQL,
        "transaction_data": [transaction(["pid"])],
        "client_metadata": {
            "jwks": {"keys": [key.public_jwk]},
            "encrypted_response_enc_values_supported": ["A128GCM", "A256GCM"],
            "vp_formats_supported": VP_FORMATS,
            "client_name": "Demo Bank",
        },
    }
    assert claims["client_metadata"]["jwks"]["keys"][0]["kid"] == key.kid
    assert "d" not in claims["client_metadata"]["jwks"]["keys"][0]
    assert claims["dcql_query"] is not DCQL  # a copy: later changes cannot reach it


def test_optional_redirect_claims_are_left_out_when_empty(
    identity: VerifierIdentity, key: EncryptionKey
) -> None:
    claims = _redirect(identity, key, transaction_data=[])
    assert "transaction_data" not in claims  # section 5.1: absent, never an empty array
    assert "client_name" not in claims["client_metadata"]
    assert "wallet_nonce" not in claims and "verifier_info" not in claims
    assert "redirect_uri" not in claims  # section 8.2
    info = [{"format": "jwt", "data": "eyJ...", "credential_ids": ["pid"]}]
    claims = _redirect(identity, key, wallet_nonce="qPmxiNFCR3QTm19POc8u", verifier_info=info)
    assert claims["wallet_nonce"] == "qPmxiNFCR3QTm19POc8u" and claims["verifier_info"] == info


def test_dc_api_claims_hold_only_what_appendix_a_allows(
    identity: VerifierIdentity, key: EncryptionKey
) -> None:
    claims = _dc_api(identity, key, transaction_data=[transaction(["pid", "pid_mdoc"])])
    assert set(claims) <= DC_API_PARAMETERS
    assert claims["response_mode"] == "dc_api.jwt"
    assert claims["client_id"] == identity.client_id  # A.2: REQUIRED in signed requests
    assert claims["expected_origins"] == [ORIGIN]
    assert claims["client_metadata"]["jwks"] == {"keys": [key.public_jwk]}
    assert claims["client_metadata"]["vp_formats_supported"] == VP_FORMATS
    for absent in ("state", "response_uri", "redirect_uri", "request_uri", "request"):
        assert absent not in claims


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"nonce": "has space"}, "nonce"),
        ({"nonce": ""}, "nonce"),
        ({"nonce": "x" * 513}, "nonce"),
        ({"state": "a/b"}, "state"),
        ({"response_uri": "/relative"}, "response_uri"),
        ({"response_uri": "ftp://bank.example/x"}, "response_uri"),
        ({"client_id": ""}, "client_id"),
        ({"dcql_query": {}}, "credentials"),
        ({"dcql_query": {"credentials": [{"id": "a"}, {"id": "a"}]}}, "unique"),
        ({"transaction_data": [transaction(["other"])]}, "credential_ids"),
        ({"transaction_data": [transaction([])]}, "credential_ids"),
        ({"transaction_data": ["not base64!"]}, "base64url"),
        ({"transaction_data": [base64.urlsafe_b64encode(b"[1]").decode()]}, "JSON object"),
        ({"transaction_data": "abc"}, "non-empty array"),
        ({"verifier_info": [{"data": "x"}]}, "format"),
        ({"verifier_name": " "}, "verifier_name"),
    ],
)
def test_redirect_claims_refuse_bad_arguments(
    identity: VerifierIdentity, key: EncryptionKey, changes: dict[str, Any], detail: str
) -> None:
    with pytest.raises(ValueError, match=detail):
        _redirect(identity, key, **changes)


def test_the_encryption_key_must_be_a_public_ecdh_es_key_with_a_kid(
    identity: VerifierIdentity, key: EncryptionKey
) -> None:
    public = key.public_jwk
    for jwk in (
        key.private_jwk,  # never the private half
        {k: v for k, v in public.items() if k != "kid"},
        {**public, "use": "sig"},
        {**public, "alg": "ECDH-ES+A128KW"},
        {k: v for k, v in public.items() if k != "alg"},  # section 8.3: alg MUST be present
        {**public, "crv": "P-384"},
    ):
        with pytest.raises(ValueError):
            _redirect(identity, key, encryption_jwk=jwk)


@pytest.mark.parametrize(
    "origins", [[], "https://bank.example", ["https://bank.example/path"], ["bank.example"]]
)
def test_dc_api_claims_need_real_origins(
    identity: VerifierIdentity, key: EncryptionKey, origins: Any
) -> None:
    with pytest.raises(ValueError):
        _dc_api(identity, key, expected_origins=origins)


def test_the_signed_request_object_has_the_section_5_header_and_times(
    identity: VerifierIdentity, key: EncryptionKey
) -> None:
    token = sign_request_object(identity, claims=_redirect(identity, key), now=NOW)
    header, payload = decode_segment(token, 0), decode_segment(token, 1)
    assert header == {"alg": "ES256", "typ": "oauth-authz-req+jwt", "x5c": identity.x5c}
    assert payload["iat"] == int(NOW.timestamp())
    assert payload["exp"] == payload["iat"] + 600
    assert payload["aud"] == "https://self-issued.me/v2"  # section 5.8, static discovery
    assert "iss" not in payload
    signed = {k: v for k, v in payload.items() if k not in ("iat", "exp", "aud")}
    assert signed == _redirect(identity, key)
    parsed = verify_request_object(token, expected_client_id=identity.client_id, now=NOW)
    assert parsed.claims == payload and parsed.client_id == identity.client_id
    assert parsed.leaf == identity.leaf and parsed.response_mode == "direct_post.jwt"
    assert REQUEST_OBJECT_MEDIA_TYPE == "application/oauth-authz-req+jwt"  # 5.10.1


def test_the_dc_api_request_verifies_on_the_wallet_side(
    identity: VerifierIdentity, key: EncryptionKey
) -> None:
    token = sign_request_object(identity, claims=_dc_api(identity, key), now=NOW)
    parsed = verify_request_object(token, expected_client_id=None, now=NOW, origin=ORIGIN)
    assert parsed.response_mode == "dc_api.jwt" and parsed.nonce == "n-0S6_WzA2Mj"
    assert dc_api_request(token) == {
        "protocol": "openid4vp-v1-signed",  # A.1
        "data": {"request": token},  # A.3.2.1
    }
    with pytest.raises(RequestObjectError, match="expected_origins"):
        verify_request_object(
            token, expected_client_id=None, now=NOW, origin="https://evil.example"
        )


def test_signing_options(identity: VerifierIdentity, key: EncryptionKey) -> None:
    claims = _redirect(identity, key)
    token = sign_request_object(identity, claims=claims, now=NOW, lifetime=None)
    assert "exp" not in decode_segment(token, 1)
    token = sign_request_object(
        identity, claims={**claims, "aud": "https://wallet.example"}, now=NOW
    )
    assert decode_segment(token, 1)["aud"] == "https://wallet.example"
    with pytest.raises(ValueError, match="positive"):
        sign_request_object(identity, claims=claims, now=NOW, lifetime=timedelta(0))
    with pytest.raises(ValueError, match="iat"):
        sign_request_object(identity, claims={**claims, "iat": 1}, now=NOW)
    with pytest.raises(ValueError, match="client_id"):
        sign_request_object(identity, claims={**claims, "client_id": "x509_hash:abc"}, now=NOW)
    with pytest.raises(ValueError, match="timezone"):
        sign_request_object(identity, claims=claims, now=NOW.replace(tzinfo=None))


def test_a_longer_x5c_chain_fits_in_the_header(tmp_path: Path, key: EncryptionKey) -> None:
    """joserfc's default 512-byte header limit would refuse a chain; ours allows 16 KiB."""
    identity = development_identity(tmp_path)
    chain = VerifierIdentity(key=identity.key, chain=(identity.leaf,) * 4)
    claims = _redirect(chain, key)
    token = sign_request_object(chain, claims=claims, now=NOW)
    assert len(decode_segment(token, 0)["x5c"]) == 4
    assert verify_request_object(token, expected_client_id=chain.client_id, now=NOW).claims


# --- the link and the request URI ------------------------------------------------------------


def test_the_authorization_link_is_url_encoded(identity: VerifierIdentity) -> None:
    link = authorization_link(client_id="x509_hash:abc_-1", request_uri=REQUEST_URI)
    assert link == (
        "openid4vp://?client_id=x509_hash%3Aabc_-1"
        "&request_uri=https%3A%2F%2Fbank.example%2Foid4vp%2Frequest%2F3Yc9"
    )
    link = authorization_link(
        client_id=identity.client_id, request_uri=REQUEST_URI, request_uri_method="post"
    )
    assert link.endswith("&request_uri_method=post")
    assert parse_authorization_link(link) == AuthorizationLink(
        identity.client_id, REQUEST_URI, "post"
    )
    universal = authorization_link(
        scheme_url="https://wallet.example/authorize?x=1", client_id="c", request_uri=REQUEST_URI
    )
    assert universal.startswith("https://wallet.example/authorize?x=1&client_id=c&")
    hinted = authorization_link(
        client_id="c",
        request_uri=REQUEST_URI,
        request_uri_method="post",
        client_metadata={"vp_formats_supported": {"mso_mdoc": {}}},
    )
    assert hinted.endswith(
        "&client_metadata=%7B%22vp_formats_supported%22%3A%7B%22mso_mdoc%22%3A%7B%7D%7D%7D"
    )
    assert parse_authorization_link(hinted) == AuthorizationLink("c", REQUEST_URI, "post")
    with pytest.raises(ValueError, match="request_uri_method"):
        authorization_link(client_id="c", request_uri=REQUEST_URI, request_uri_method="POST")
    with pytest.raises(ValueError, match="request_uri"):
        authorization_link(client_id="c", request_uri="not a url")


@pytest.mark.parametrize(
    ("link", "error"),
    [
        ("openid4vp://?request_uri=https%3A%2F%2Fa.example%2Fr", "invalid_request"),
        ("openid4vp://?client_id=c", "invalid_request"),
        (
            "openid4vp://?client_id=c&client_id=d&request_uri=https%3A%2F%2Fa.example",
            "invalid_request",
        ),
        ("openid4vp://?client_id=c&request_uri=javascript%3Aalert(1)", "invalid_request"),
        (
            "openid4vp://?client_id=c&request_uri=https%3A%2F%2Fa.example&request_uri_method=put",
            "invalid_request_uri_method",  # section 8.5
        ),
    ],
)
def test_a_bad_link_is_refused(link: str, error: str) -> None:
    with pytest.raises(RequestObjectError) as caught:
        parse_authorization_link(link)
    assert caught.value.error == error


def test_the_request_uri_post_parameters_are_read() -> None:
    form = {
        "wallet_metadata": '{"vp_formats_supported": {"dc+sd-jwt": {}}}',
        "wallet_nonce": "qPmxiNFCR3QTm19POc8u",
        "unknown": "ignored",
    }
    assert request_uri_post_parameters(form) == RequestUriPost(
        {"vp_formats_supported": {"dc+sd-jwt": {}}}, "qPmxiNFCR3QTm19POc8u"
    )
    assert request_uri_post_parameters({}) == RequestUriPost(None, None)
    for bad in (
        {"wallet_metadata": "[1]"},
        {"wallet_metadata": "{bad"},
        {"wallet_metadata": "{}" + " " * 20000},
        {"wallet_nonce": ""},
        {"wallet_nonce": "line\nbreak"},
        {"wallet_nonce": "x" * 600},
    ):
        with pytest.raises(ValueError):
            request_uri_post_parameters(bad)
