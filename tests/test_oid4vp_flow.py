"""The building blocks end to end, as the endpoints and the demo wallet will use them: the
verifier signs a request, the wallet checks it and encrypts its answer to the request's
key, the verifier finds the request by `kid`, decrypts and reads the parameters."""

from __future__ import annotations

from pathlib import Path

from app.verification.credentials.session_transcript import (
    dc_api_session_transcript,
    redirect_session_transcript,
)
from app.verification.oid4vp.request_object import (
    authorization_link,
    dc_api_request,
    dc_api_request_claims,
    parse_authorization_link,
    redirect_request_claims,
    request_uri_post_parameters,
    sign_request_object,
    verify_request_object,
)
from app.verification.oid4vp.response import (
    AuthorizationErrorResponse,
    AuthorizationResponse,
    encrypted_response_parameter,
    response_payload_parameters,
)
from app.verification.oid4vp.response_crypto import (
    decrypt_response,
    encrypt_response,
    jwe_key_id,
    jwk_thumbprint,
    new_encryption_key,
    select_response_encryption,
)
from tests.oid4vp_helpers import (
    DCQL,
    NOW,
    ORIGIN,
    REQUEST_URI,
    RESPONSE_URI,
    development_identity,
    transaction,
)


def test_a_cross_device_presentation_with_direct_post_jwt(tmp_path: Path) -> None:
    identity = development_identity(tmp_path, "bank.example")
    keys = {key.kid: key for key in (new_encryption_key(), new_encryption_key())}
    key = next(iter(keys.values()))
    transaction_data = [transaction(["pid"], amount="12.50")]

    # verifier: the QR code link
    link = authorization_link(
        client_id=identity.client_id, request_uri=REQUEST_URI, request_uri_method="post"
    )
    # wallet: reads the link and POSTs its nonce; verifier: answers with the request object
    parsed_link = parse_authorization_link(link)
    posted = request_uri_post_parameters({"wallet_nonce": "wn-1"})
    claims = redirect_request_claims(
        client_id=identity.client_id,
        response_uri=RESPONSE_URI,
        nonce="nonce-1",
        state="state-1",
        dcql_query=DCQL,
        encryption_jwk=key.public_jwk,
        transaction_data=transaction_data,
        wallet_nonce=posted.wallet_nonce,
    )
    request_object = sign_request_object(identity, claims=claims, now=NOW)

    # wallet: checks the request and encrypts its response to the request's key
    request = verify_request_object(
        request_object,
        expected_client_id=parsed_link.client_id,
        now=NOW,
        expected_wallet_nonce="wn-1",
    )
    jwk, enc = select_response_encryption(request.claims["client_metadata"])
    assert enc == "A128GCM"
    payload = {"vp_token": {"pid": ["sd-jwt~kb-jwt"]}, "state": request.claims["state"]}
    form = {"response": encrypt_response(payload, jwk, enc=enc)}

    # verifier: the response URI
    token = encrypted_response_parameter(form)
    assert isinstance(token, str)
    key_id = jwe_key_id(token)
    assert key_id is not None
    response = response_payload_parameters(
        decrypt_response(token, keys[key_id].private_jwk), credential_query_ids={"pid", "pid_mdoc"}
    )
    assert response == AuthorizationResponse({"pid": ["sd-jwt~kb-jwt"]}, "state-1")

    # what the mdoc presentation of this request is bound to (B.2.6.1)
    transcript = redirect_session_transcript(
        identity.client_id, "nonce-1", jwk_thumbprint(key.public_jwk), RESPONSE_URI
    )
    assert transcript.startswith(b"\x83\xf6\xf6")


def test_a_dc_api_presentation_with_dc_api_jwt(tmp_path: Path) -> None:
    identity = development_identity(tmp_path)
    key = new_encryption_key()
    claims = dc_api_request_claims(
        client_id=identity.client_id,
        expected_origins=[ORIGIN],
        nonce="nonce-2",
        dcql_query=DCQL,
        encryption_jwk=key.public_jwk,
        transaction_data=[],
    )
    entry = dc_api_request(sign_request_object(identity, claims=claims, now=NOW))

    request = verify_request_object(
        entry["data"]["request"], expected_client_id=None, now=NOW, origin=ORIGIN
    )
    jwk, enc = select_response_encryption(request.claims["client_metadata"])
    data = {"response": encrypt_response({"vp_token": {"pid_mdoc": ["o2d2"]}}, jwk, enc=enc)}

    token = encrypted_response_parameter(data)
    assert isinstance(token, str)
    response = response_payload_parameters(decrypt_response(token, key.private_jwk))
    assert response == AuthorizationResponse({"pid_mdoc": ["o2d2"]}, None)  # no state (A.2)
    assert dc_api_session_transcript(ORIGIN, "nonce-2", jwk_thumbprint(key.public_jwk))


def test_a_declined_request_comes_back_as_an_error() -> None:
    assert encrypted_response_parameter({"error": "access_denied", "state": "state-1"}) == (
        AuthorizationErrorResponse("access_denied", None, "state-1")
    )
    key = new_encryption_key()
    token = encrypt_response({"error": "access_denied", "state": "state-1"}, key.public_jwk)
    assert response_payload_parameters(decrypt_response(token, key.private_jwk)) == (
        AuthorizationErrorResponse("access_denied", None, "state-1")
    )
