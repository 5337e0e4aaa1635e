"""What the bank's own verifier (AUTHORIZER=local) does with answers that do not count, sent
by an independent wallet to `/oid4vp/response` (OpenID4VP 1.0 sections 8.2, 8.3, 8.5):

- an answer that is not one for this request (replayed, unknown state or key, not
  decryptable, unencrypted, too large, bound to another nonce, audience or session
  transcript, or for an expired request) is refused with 400 and an OAuth error, and
  nothing changes: the request stays pending, no money moves, and the wallet's honest
  answer still completes the flow;
- an answer for this request whose credential does not count (untrusted issuer, changed,
  expired, a claim withheld, the transaction not confirmed) ends the request rejected,
  with the reason in the status;
- the wallet's `access_denied` error ends it declined.

The wallet and the test PID provider are in wallet.py, the fixtures in conftest.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update
from werkzeug.test import TestResponse

from app.database import write_transaction
from app.extensions import db
from app.verification.credentials.session_transcript import redirect_session_transcript
from app.verification.local.models import VerifierRequest
from app.verification.oid4vp.response_crypto import encrypt_response, new_encryption_key
from tests.helpers import Browser
from tests.oid4vp.wallet import (
    PidProvider,
    Request,
    Wallet,
    balance,
    follow,
    make_pid_provider,
    row,
    start_payment,
    start_signup,
)
from tests.oid4vp_helpers import b64url_json

ONE_MEGABYTE = 1024 * 1024


@pytest.fixture(scope="module")
def rogue_provider() -> PidProvider:
    """A provider like ours, under a CA the bank was not told to trust."""
    return make_pid_provider("Rogue PID Provider")


def assert_refused(answer: TestResponse) -> None:
    """400 with an OAuth error body (section 8.2, RFC 6749 5.2)."""
    assert answer.status_code == 400, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["error"] == "invalid_request" and body["error_description"], body
    assert "redirect_uri" not in body
    assert answer.headers["Cache-Control"] == "no-store"


def assert_untouched(app: Flask, browser: Browser, request: Request) -> None:
    assert browser.status(request.flow_id)["status"] == "pending"
    verifier_row = row(app, request.id)
    assert verifier_row.status == "created" and verifier_row.responded_at is None
    assert verifier_row.vp_token is None and verifier_row.encryption_key is not None


def status_error(browser: Browser, request: Request) -> dict[str, Any]:
    status = browser.status(request.flow_id)
    assert status["status"] == "rejected", status
    error: dict[str, Any] = status["error"]
    return error


def expire(app: Flask, request: Request) -> None:
    with app.app_context(), write_transaction():
        db.session.execute(
            update(VerifierRequest)
            .where(VerifierRequest.id == request.id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


# -- answers that are not for this request: 400, and nothing changes ----------------------


def _valid_payload(wallet: Wallet, request: Request, fmt: str = "sd-jwt") -> dict[str, Any]:
    return {"vp_token": wallet.vp_token(request, fmt), "state": request.state}


def _unknown_state(wallet: Wallet, request: Request) -> TestResponse:
    return wallet.answer(request, {**_valid_payload(wallet, request), "state": "unknown-state"})


def _unknown_kid(wallet: Wallet, request: Request) -> TestResponse:
    jwk = {**request.jwk, "kid": "a-kid-no-request-has"}
    return wallet.post({"response": encrypt_response(_valid_payload(wallet, request), jwk)})


def _encrypted_to_another_key(wallet: Wallet, request: Request) -> TestResponse:
    other = {**new_encryption_key().public_jwk, "kid": request.jwk["kid"]}
    return wallet.post({"response": encrypt_response(_valid_payload(wallet, request), other)})


def _tampered_ciphertext(wallet: Wallet, request: Request) -> TestResponse:
    segments = wallet.encrypt(request, _valid_payload(wallet, request)).split(".")
    ciphertext = segments[3]
    segments[3] = ("B" if ciphertext[0] == "A" else "A") + ciphertext[1:]
    return wallet.post({"response": ".".join(segments)})


def _unencrypted_vp_token(wallet: Wallet, request: Request) -> TestResponse:
    payload = _valid_payload(wallet, request)
    return wallet.post({"vp_token": json.dumps(payload["vp_token"]), "state": request.state})


def _not_a_jwe(wallet: Wallet, request: Request) -> TestResponse:
    return wallet.post({"response": "not.a.jwe.at.all"})


def _kb_jwt_for_another_nonce(wallet: Wallet, request: Request) -> TestResponse:
    return wallet.present(request, "sd-jwt", nonce="a-nonce-of-another-request")


def _kb_jwt_for_another_audience(wallet: Wallet, request: Request) -> TestResponse:
    return wallet.present(request, "sd-jwt", audience="x509_hash:another-verifier")


def _mdoc_over_another_transcript(wallet: Wallet, request: Request) -> TestResponse:
    claims = request.claims
    transcript = redirect_session_transcript(
        claims["client_id"], "a-nonce-of-another-request", None, claims["response_uri"]
    )
    return wallet.present(request, "mdoc", transcript=transcript)


def _mdoc_over_the_transcript_without_the_key(wallet: Wallet, request: Request) -> TestResponse:
    """The right nonce, but no JWK thumbprint: what a re-encrypting relay could produce."""
    claims = request.claims
    transcript = redirect_session_transcript(
        claims["client_id"], claims["nonce"], None, claims["response_uri"]
    )
    return wallet.present(request, "mdoc", transcript=transcript)


REFUSED_ANSWERS: dict[str, Callable[[Wallet, Request], TestResponse]] = {
    "unknown-state": _unknown_state,
    "unknown-kid": _unknown_kid,
    "encrypted-to-another-key": _encrypted_to_another_key,
    "tampered-ciphertext": _tampered_ciphertext,
    "not-a-jwe": _not_a_jwe,
    "unencrypted-vp-token": _unencrypted_vp_token,
    "kb-jwt-wrong-nonce": _kb_jwt_for_another_nonce,
    "kb-jwt-wrong-aud": _kb_jwt_for_another_audience,
    "mdoc-other-session-transcript": _mdoc_over_another_transcript,
    "mdoc-transcript-without-key-thumbprint": _mdoc_over_the_transcript_without_the_key,
}


@pytest.mark.parametrize("bad_answer", REFUSED_ANSWERS.values(), ids=REFUSED_ANSWERS.keys())
def test_a_refused_signup_answer_changes_nothing_and_the_honest_answer_still_works(
    local_app: Flask,
    browser: Browser,
    wallet: Wallet,
    bad_answer: Callable[[Wallet, Request], TestResponse],
) -> None:
    request = start_signup(browser, wallet)
    assert_refused(bad_answer(wallet, request))
    assert_untouched(local_app, browser, request)
    landing = follow(browser, wallet.present(request))
    assert landing.headers["Location"] == "/profile?welcome=1"


@pytest.mark.parametrize(
    "name", ["unknown-state", "tampered-ciphertext", "unencrypted-vp-token", "kb-jwt-wrong-nonce"]
)
def test_a_refused_payment_answer_moves_no_money_and_the_honest_answer_pays_once(
    local_app: Flask, member: Browser, wallet: Wallet, name: str
) -> None:
    before = balance(local_app)
    request = start_payment(member, wallet)
    assert_refused(REFUSED_ANSWERS[name](wallet, request))
    assert_untouched(local_app, member, request)
    assert balance(local_app) == before
    follow(member, wallet.present(request))
    assert member.status(request.flow_id)["status"] == "authorized"
    assert balance(local_app) == before - 4500


def test_a_replayed_answer_is_refused_and_the_money_moves_once(
    local_app: Flask, member: Browser, wallet: Wallet
) -> None:
    before = balance(local_app)
    request = start_payment(member, wallet)
    body = {"response": wallet.encrypt(request, _valid_payload(wallet, request))}
    first = wallet.post(body)
    assert first.status_code == 200
    assert_refused(wallet.post(body))
    follow(member, first)
    assert member.status(request.flow_id)["status"] == "authorized"
    assert_refused(wallet.post(body))
    assert balance(local_app) == before - 4500


def test_an_answer_to_an_expired_request_is_refused(
    local_app: Flask, member: Browser, wallet: Wallet
) -> None:
    before = balance(local_app)
    request = start_payment(member, wallet)
    expire(local_app, request)
    assert_refused(wallet.present(request))
    assert member.get(f"/oid4vp/request/{request.id}").status_code == 410
    assert member.status(request.flow_id)["status"] == "expired"
    assert row(local_app, request.id).status == "created"
    assert balance(local_app) == before


def test_a_body_of_megabytes_is_refused(local_app: Flask, browser: Browser, wallet: Wallet) -> None:
    request = start_signup(browser, wallet)
    answer = wallet.post({"response": "A" * (3 * ONE_MEGABYTE)})
    assert answer.status_code in (400, 413)
    assert_untouched(local_app, browser, request)
    follow(browser, wallet.present(request))
    assert browser.status(request.flow_id)["status"] == "authorized"


def test_a_body_just_over_one_megabyte_is_refused_unread(
    local_app: Flask, browser: Browser, wallet: Wallet
) -> None:
    request = start_signup(browser, wallet)
    answer = wallet.post({"response": "A" * (ONE_MEGABYTE + 1)})
    assert answer.status_code == 413  # the endpoint's own limit, under the app's 2 MB
    assert_untouched(local_app, browser, request)


def test_an_empty_or_unknown_form_is_refused(browser: Browser, wallet: Wallet) -> None:
    assert_refused(wallet.post({}))
    assert_refused(wallet.post({"response": "a", "vp_token": "{}"}))


# -- credentials that do not count: the request ends rejected, with the reason -----------


@pytest.mark.parametrize("fmt", ["sd-jwt", "mdoc"])
def test_a_pid_from_an_untrusted_issuer_is_rejected(
    local_app: Flask,
    browser: Browser,
    wallet: Wallet,
    rogue_provider: PidProvider,
    fmt: str,
) -> None:
    request = start_signup(browser, wallet)
    follow(browser, wallet.present(request, fmt, issuer=rogue_provider.issuer))
    error = status_error(browser, request)
    assert error["type"] == "trusted-issuer-untrusted" and error["details"]
    assert row(local_app, request.id).status == "rejected"


@pytest.mark.parametrize("fmt", ["sd-jwt", "mdoc"])
def test_a_changed_credential_is_rejected(browser: Browser, wallet: Wallet, fmt: str) -> None:
    request = start_signup(browser, wallet)
    follow(browser, wallet.present(request, fmt, tamper="family_name"))
    assert status_error(browser, request)["type"] == "invalid-credential"


@pytest.mark.parametrize("fmt", ["sd-jwt", "mdoc"])
def test_an_expired_credential_is_rejected(browser: Browser, wallet: Wallet, fmt: str) -> None:
    request = start_signup(browser, wallet)
    follow(browser, wallet.present(request, fmt, expired=True))
    error = status_error(browser, request)
    assert error["type"] == "credential-expired", error
    assert "expired" in json.dumps(error["details"]).lower()


@pytest.mark.parametrize("fmt", ["sd-jwt", "mdoc"])
def test_a_withheld_claim_is_rejected(browser: Browser, wallet: Wallet, fmt: str) -> None:
    request = start_signup(browser, wallet)
    follow(browser, wallet.present(request, fmt, withhold=["family_name"]))
    assert status_error(browser, request)["type"] == "credential-query-evaluation"


@pytest.mark.parametrize(
    "transaction_data",
    [[], [b64url_json({"type": "urn:demobank:payment", "credential_ids": ["pid_sd_jwt"]})]],
    ids=["no-hashes", "hashes-of-other-data"],
)
def test_a_payment_without_the_right_transaction_data_hashes_is_rejected(
    local_app: Flask, member: Browser, wallet: Wallet, transaction_data: list[str]
) -> None:
    before = balance(local_app)
    request = start_payment(member, wallet)
    follow(member, wallet.present(request, "sd-jwt", transaction_data=transaction_data))
    assert status_error(member, request)["type"] == "transaction-data"
    assert balance(local_app) == before


def test_a_rejected_request_takes_no_further_answer(
    local_app: Flask, browser: Browser, wallet: Wallet, rogue_provider: PidProvider
) -> None:
    request = start_signup(browser, wallet)
    follow(browser, wallet.present(request, issuer=rogue_provider.issuer))
    assert_refused(wallet.present(request))
    assert browser.get(f"/oid4vp/request/{request.id}").status_code == 410
    assert row(local_app, request.id).status == "rejected"


# -- the wallet's error response (section 8.5) --------------------------------------------


def test_an_encrypted_access_denied_ends_the_request_declined(
    browser: Browser, wallet: Wallet
) -> None:
    request = start_signup(browser, wallet)
    follow(browser, wallet.answer(request, {"error": "access_denied", "state": request.state}))
    error = status_error(browser, request)
    assert error["type"] == "access-denied" and error["title"] == "Request declined"


def test_an_access_denied_in_the_clear_with_state_ends_the_request_declined(
    browser: Browser, wallet: Wallet
) -> None:
    request = start_signup(browser, wallet)
    follow(browser, wallet.post({"error": "access_denied", "state": request.state}))
    assert status_error(browser, request)["type"] == "access-denied"


def test_an_error_in_the_clear_for_an_unknown_state_is_refused(
    local_app: Flask, browser: Browser, wallet: Wallet
) -> None:
    request = start_signup(browser, wallet)
    assert_refused(wallet.post({"error": "access_denied", "state": "unknown-state"}))
    assert_refused(wallet.post({"error": "access_denied"}))
    assert_untouched(local_app, browser, request)
