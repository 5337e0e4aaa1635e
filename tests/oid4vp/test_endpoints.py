"""The bank's own OpenID4VP 1.0 verifier (AUTHORIZER=local), driven through its endpoints as
an independent wallet would: read the `openid4vp://` link of a real flow's waiting page,
fetch and check the request object, answer with a presentation of a PID from a test PID
provider of our own (its CA made here, configured by TRUSTED_ISSUER_CA_PATH), encrypt it to
the request's key, POST it to `response_uri` and follow the `redirect_uri`.

The refusals of the response endpoint and the credential failures are in
test_refusals.py; the wallet and the PID provider are in wallet.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.verification import current_authorizer
from app.verification.base import AuthorizerRefused
from app.verification.credentials.jose import b64url_encode, decode_json_segment
from app.verification.credentials.session_transcript import (
    dc_api_session_transcript,
)
from app.verification.oid4vp.request_object import (
    parse_authorization_link,
    verify_request_object,
)
from app.verification.oid4vp.response_crypto import (
    jwk_thumbprint,
)
from tests.helpers import Browser, flow_request, make_app
from tests.oid4vp.wallet import (
    BASE_URL,
    QUERY_FORMATS,
    Request,
    Wallet,
    balance,
    follow,
    row,
    start_payment,
    start_signup,
    wallet_link,
)

# -- the request object (sections 5, 5.9.3, 5.10, 8.2, 8.3, Appendix A) ----------------


def test_the_waiting_page_links_to_a_wallet_by_request_uri(browser: Browser) -> None:
    request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    link = parse_authorization_link(wallet_link(browser, request_id))
    assert link.client_id.startswith("x509_hash:")
    assert link.request_uri.startswith(f"{BASE_URL}/oid4vp/request/")
    page = browser.get(f"/auth/{request_id}").get_data(as_text=True)
    assert 'aria-label="QR code"' in page


def test_the_request_object_is_a_signed_jwt_of_its_media_type(
    browser: Browser, wallet: Wallet
) -> None:
    request = start_signup(browser, wallet)
    assert request.content_type == "application/oauth-authz-req+jwt"
    assert request.header["typ"] == "oauth-authz-req+jwt"
    assert request.header["alg"] == "ES256"
    leaf = base64.b64decode(request.header["x5c"][0])
    thumbprint = b64url_encode(hashlib.sha256(leaf).digest())
    assert request.claims["client_id"] == f"x509_hash:{thumbprint}"


def test_the_request_object_carries_every_required_parameter(
    browser: Browser, wallet: Wallet
) -> None:
    request = start_signup(browser, wallet)
    claims = request.claims
    assert claims["response_type"] == "vp_token"
    assert claims["response_mode"] == "direct_post.jwt"
    assert claims["response_uri"] == f"{BASE_URL}/oid4vp/response"
    assert "redirect_uri" not in claims
    assert len(claims["nonce"]) >= 22 and len(claims["state"]) >= 22
    assert {q["format"] for q in claims["dcql_query"]["credentials"]} == set(QUERY_FORMATS.values())
    assert claims["aud"] == "https://self-issued.me/v2"
    assert claims["iat"] <= datetime.now(UTC).timestamp() < claims["exp"]
    assert "transaction_data" not in claims  # signup confirms no transaction


def test_client_metadata_offers_one_p256_encryption_key(browser: Browser, wallet: Wallet) -> None:
    metadata = start_signup(browser, wallet).claims["client_metadata"]
    (key,) = metadata["jwks"]["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and key["kid"]
    assert key["use"] == "enc" and key["alg"] == "ECDH-ES" and "d" not in key
    assert "A128GCM" in metadata["encrypted_response_enc_values_supported"]
    assert set(metadata["vp_formats_supported"]) == {"dc+sd-jwt", "mso_mdoc"}


def test_each_request_has_its_own_nonce_state_and_key(browser: Browser, wallet: Wallet) -> None:
    first, second = start_signup(browser, wallet), start_signup(browser, wallet)
    for name in ("nonce", "state"):
        assert first.claims[name] != second.claims[name]
    assert first.jwk["kid"] != second.jwk["kid"] and first.jwk["x"] != second.jwk["x"]


def test_a_payment_request_names_only_the_sd_jwt_query_in_its_transaction_data(
    member: Browser, wallet: Wallet
) -> None:
    request = start_payment(member, wallet)
    (item,) = request.claims["transaction_data"]
    data = decode_json_segment(item)
    assert data["credential_ids"] == [request.query_id("sd-jwt")]
    assert data["credential_ids"] != [request.query_id("mdoc")]


def test_posting_a_wallet_nonce_returns_a_request_object_carrying_it(
    browser: Browser, wallet: Wallet
) -> None:
    request = start_signup(browser, wallet)
    answer = browser.client.post(
        f"/oid4vp/request/{request.id}", data={"wallet_nonce": "wallet-nonce-1"}
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/oauth-authz-req+jwt"
    checked = verify_request_object(
        answer.get_data(as_text=True),
        expected_client_id=request.claims["client_id"],
        now=datetime.now(UTC),
        expected_wallet_nonce="wallet-nonce-1",
    )
    assert checked.claims["nonce"] == request.claims["nonce"]  # the same request, re-signed


def test_the_request_object_of_an_unknown_request_is_404(browser: Browser) -> None:
    assert browser.get("/oid4vp/request/00000000-0000-0000-0000-000000000000").status_code == 404


def test_an_answered_request_object_is_gone(browser: Browser, wallet: Wallet) -> None:
    request = start_signup(browser, wallet)
    follow(browser, wallet.present(request))
    answer = browser.get(f"/oid4vp/request/{request.id}")
    assert answer.status_code == 410
    assert answer.get_json()["error"] == "invalid_request"


# -- happy paths ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["sd-jwt", "mdoc"])
def test_signup_completes_with_the_providers_pid(
    local_app: Flask, browser: Browser, wallet: Wallet, fmt: str
) -> None:
    request = start_signup(browser, wallet)
    answer = wallet.present(request, fmt)
    assert answer.headers["Cache-Control"] == "no-store"
    landing = follow(browser, answer)
    assert landing.status_code == 303 and landing.headers["Location"] == "/profile?welcome=1"
    profile = browser.get("/profile?welcome=1").get_data(as_text=True)
    assert "Erika" in profile and "Mustermann" in profile
    assert row(local_app, request.id).status == "authorized"
    assert row(local_app, request.id).encryption_key is None  # erased once answered


@pytest.mark.parametrize("fmt", ["sd-jwt", "mdoc"])
def test_signin_completes_with_the_providers_pid(member: Browser, wallet: Wallet, fmt: str) -> None:
    member.post_form("/signout", {}, token_page="/dashboard")
    request_id = member.start("/signin", {"mode": "direct_post", "credential_format": "any"})
    request = wallet.fetch(wallet_link(member, request_id))
    follow(member, wallet.present(request, fmt))
    assert member.status(request_id)["status"] == "authorized"
    assert member.get("/dashboard").status_code == 200


def test_a_payment_moves_the_money_once(local_app: Flask, member: Browser, wallet: Wallet) -> None:
    before = balance(local_app)
    request = start_payment(member, wallet, "45.00")
    follow(member, wallet.present(request, "sd-jwt"))
    status = member.status(request.flow_id)
    assert status["status"] == "authorized"
    assert status["next_url"] == f"/send/success/{request.flow_id}"
    assert balance(local_app) == before - 4500
    member.status(request.flow_id)
    member.get(f"/auth/{request.flow_id}")
    assert balance(local_app) == before - 4500


# -- the Digital Credentials API (Appendix A) -------------------------------------------


def test_the_sign_in_page_offers_the_browser_wallet(browser: Browser) -> None:
    page = browser.get("/signin").get_data(as_text=True)
    assert "Browser wallet" in page and 'value="dc_api"' in page
    assert not re.search(r'<input[^>]*disabled[^>]*value="dc_api"', page)
    assert not re.search(r'<input[^>]*value="dc_api"[^>]*disabled', page)


def _dc_api_request(app: Flask) -> tuple[str, dict[str, Any]]:
    with app.app_context():
        created = current_authorizer().create_authorization(
            flow_request("signup", ["sd-jwt", "mdoc"], "dc_api", origin=BASE_URL)
        )
    assert created.dc_api_request is not None
    assert created.dc_api_request["protocol"] == "openid4vp-v1-signed"
    checked = verify_request_object(
        created.dc_api_request["data"]["request"],
        expected_client_id=None,
        now=datetime.now(UTC),
        origin=BASE_URL,
    )
    assert checked.claims["response_mode"] == "dc_api.jwt"
    assert checked.claims["expected_origins"] == [BASE_URL]
    assert "state" not in checked.claims and "response_uri" not in checked.claims
    return created.authorization_id, dict(checked.claims)


def _dc_api_answer(wallet: Wallet, request_id: str, claims: dict[str, Any], fmt: str) -> str:
    request = Request(request_id, claims, {}, "")
    transcript = dc_api_session_transcript(BASE_URL, claims["nonce"], jwk_thumbprint(request.jwk))
    vp_token = wallet.vp_token(request, fmt, audience=f"origin:{BASE_URL}", transcript=transcript)
    return wallet.encrypt(request, {"vp_token": vp_token})


@pytest.mark.parametrize("fmt", ["sd-jwt", "mdoc"])
def test_a_dc_api_answer_from_the_requests_origin_is_authorized(
    local_app: Flask, wallet: Wallet, fmt: str
) -> None:
    request_id, claims = _dc_api_request(local_app)
    response = _dc_api_answer(wallet, request_id, claims, fmt)
    with local_app.app_context():
        authorizer = current_authorizer()
        assert authorizer.forward_dc_api_response(request_id, BASE_URL, {"response": response}) == (
            "authorized"
        )
        assert authorizer.get_claims(request_id).family_name == "Mustermann"


def test_a_dc_api_answer_from_another_origin_is_refused(local_app: Flask, wallet: Wallet) -> None:
    request_id, claims = _dc_api_request(local_app)
    response = _dc_api_answer(wallet, request_id, claims, "sd-jwt")
    with local_app.app_context():
        authorizer = current_authorizer()
        with pytest.raises(AuthorizerRefused):
            authorizer.forward_dc_api_response(
                request_id, "https://evil.example", {"response": response}
            )
        assert authorizer.get_status(request_id).status == "pending"
        assert authorizer.forward_dc_api_response(request_id, BASE_URL, {"response": response}) == (
            "authorized"
        )


# -- only the local verifier serves these endpoints --------------------------------------


def test_the_verifier_endpoints_are_not_served_with_vidos(database_url: str) -> None:
    app = make_app(
        database_url,
        AUTHORIZER="vidos",
        VIDOS_AUTHORIZER_URL="http://127.0.0.1:9/authorizer",
        VIDOS_API_KEY="k",
    )
    client = app.test_client()
    assert client.get("/oid4vp/request/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.post("/oid4vp/response", data={"response": "x"}).status_code == 404
    with app.app_context():
        db.engine.dispose()
