"""The bank against a spec-following authorizer (the fake enforces the OpenAPI spec)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app import pages
from app.extensions import db
from app.models import LoginSession, PendingAuthRequest, User
from tests.helpers import Browser, make_app
from tests.vidos_fake import Canned

API = "/openid4/vp/v1_0"
CLAIMS = {
    "family_name": "Rossi",
    "given_name": "Mario",
    "birthdate": "1980-01-02",
    "nationalities": ["IT"],
    "personal_administrative_number": "IT-12345",
    "document_number": "CA000001",
}


@pytest.fixture
def fake(fake_authorizer):
    return fake_authorizer


@pytest.fixture
def vidos_app(fake, database_url):
    return make_app(
        database_url, AUTHORIZER="vidos", VIDOS_AUTHORIZER_URL=fake.url, VIDOS_API_KEY="k"
    )


def created(authorization_id: str, dc_api: bool = False) -> dict:
    base = {"authorizationId": authorization_id, "expiresAt": "2030-01-01T00:00:00Z", "nonce": "n"}
    if dc_api:
        return {
            **base,
            "digitalCredentialGetRequest": {
                "protocol": "openid4vp-v1-signed",
                "data": {"request": "eyJ.x.y"},
            },
            "responseUrl": f"https://authorizer.example{API}/{authorization_id}/dc_api.jwt",
        }
    return {
        **base,
        "authorizeUrl": f"openid4vp://?client_id=bank&request_uri=https%3A%2F%2Fa.example%2F{authorization_id}",
        "authorizationEndpoint": "openid4vp://",
    }


def authorized(fake, authorization_id: str, claims: dict) -> None:
    fake.on(
        "GET",
        f"{API}/authorizations/{authorization_id}/status",
        Canned(200, {"status": "authorized"}),
    )
    fake.on(
        "GET",
        f"{API}/authorizations/{authorization_id}/credentials",
        Canned(
            200,
            {
                "authorizationId": authorization_id,
                "credentials": [
                    {
                        "path": ["pid_sd_jwt", 0],
                        "format": "dc+sd-jwt",
                        "credentialType": "urn:eudi:pid:1",
                        "claims": claims,
                    }
                ],
            },
        ),
    )


def test_signup_and_payment_by_polling(fake, vidos_app):
    browser = Browser(vidos_app.test_client())
    fake.on("POST", f"{API}/authorizations", Canned(201, created("a-signup")))
    fake.on("GET", f"{API}/authorizations/a-signup/status", Canned(200, {"status": "created"}))
    request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "sd-jwt"})
    page = browser.get(f"/auth/{request_id}").get_data(as_text=True)
    assert 'aria-label="QR code"' in page and "openid4vp://" in page
    assert "Sandbox" not in page
    assert browser.status(request_id)["status"] == "pending"
    authorized(fake, "a-signup", CLAIMS)
    assert browser.status(request_id)["next_url"] == "/profile?welcome=1"
    assert "Mario Rossi" in browser.get("/dashboard").get_data(as_text=True)

    fake.on("POST", f"{API}/authorizations", Canned(201, created("a-pay")))
    authorized(fake, "a-pay", CLAIMS)
    pay_id = browser.confirm_payment("Luigi", "10.00")
    assert browser.status(pay_id)["status"] == "authorized"
    with vidos_app.app_context():
        assert db.session.scalar(select(User.balance_cents)) < 1_245_000 + 400_000


def test_callback_resolves_the_code(fake, vidos_app):
    browser = Browser(vidos_app.test_client())
    fake.on("POST", f"{API}/authorizations", Canned(201, created("a-cb")))
    request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    authorized(fake, "a-cb", CLAIMS)
    fake.on(
        "POST",
        f"{API}/response-code/resolve",
        Canned(200, {"authorization_id": "a-cb", "status": "authorized"}),
        Canned(404, {"message": "Response code not found, already used, or expired"}),
    )
    response = browser.get("/callback?response_code=abcdefgh12345")
    assert response.status_code == 303 and response.headers["Location"] == "/profile?welcome=1"
    assert browser.get("/dashboard").status_code == 200
    again = Browser(vidos_app.test_client()).get("/callback?response_code=abcdefgh12345")
    assert again.status_code == 200  # the stored resolution, not a second call
    assert len(fake.calls("POST", f"{API}/response-code/resolve")) == 1
    with vidos_app.app_context():
        assert db.session.get(PendingAuthRequest, request_id).status == "completed"


def test_rejected_presentation_shows_policy_error(fake, vidos_app):
    browser = Browser(vidos_app.test_client())
    fake.on("POST", f"{API}/authorizations", Canned(201, created("a-rej")))
    fake.on("GET", f"{API}/authorizations/a-rej/status", Canned(200, {"status": "rejected"}))
    fake.on(
        "GET",
        f"{API}/authorizations/a-rej/policy-response",
        Canned(
            200,
            {
                "authorizationId": "a-rej",
                "data": [
                    {
                        "path": [],
                        "policy": "trust",
                        "service": "verifier",
                        "error": {
                            "type": "x",
                            "vidosType": "trusted-issuer-untrusted",
                            "detail": "Unknown issuer.",
                        },
                    }
                ],
            },
        ),
    )
    request_id = browser.start("/signin", {"mode": "direct_post", "credential_format": "any"})
    status = browser.status(request_id)
    assert status["status"] == "rejected" and status["title"] == "Credential issuer not trusted"
    assert status["detail"] == "Unknown issuer."


def test_browser_wallet_mode(fake, vidos_app):
    client = vidos_app.test_client()
    browser = Browser(client)
    page = client.get("/signup").get_data(as_text=True)
    assert 'value="dc_api"' in page and 'value="dc_api" disabled' not in page
    fake.on("POST", f"{API}/authorizations", Canned(201, created("a-dc", dc_api=True)))
    fake.on("GET", f"{API}/authorizations/a-dc/status", Canned(200, {"status": "pending"}))
    request_id = browser.start("/signup", {"mode": "dc_api", "credential_format": "any"})
    (body,) = fake.calls("POST", f"{API}/authorizations")
    assert body["responseMode"] == "dc_api.jwt" and body["expectedOrigins"] == ["http://localhost"]
    waiting = client.get(f"/auth/{request_id}").get_data(as_text=True)
    assert ">Connect wallet<" in waiting and "openid4vp-v1-signed" in waiting
    assert 'aria-label="QR code"' not in waiting
    fake.on("POST", f"{API}/a-dc/dc_api.jwt", Canned(200, {"status": "authorized"}))
    authorized(fake, "a-dc", CLAIMS)
    token = re.search(r'data-csrf="([^"]+)"', waiting).group(1)
    response = client.post(
        f"/auth/{request_id}/complete",
        json={"origin": "http://localhost", "response": {"response": "eyJ.jwe"}},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["next_url"] == "/profile?welcome=1"
    assert fake.calls("POST", f"{API}/a-dc/dc_api.jwt") == [
        {"origin": "http://localhost", "digitalCredentialGetResponse": {"response": "eyJ.jwe"}}
    ]
    with vidos_app.app_context():
        assert db.session.scalar(select(LoginSession.mode)) == "dc_api"


def test_authorizer_unavailable_changes_nothing(fake, vidos_app):
    browser = Browser(vidos_app.test_client())
    fake.on("POST", f"{API}/authorizations", Canned(500, {"message": "Internal"}))
    response = browser.post_form("/signup", {"mode": "direct_post", "credential_format": "any"})
    assert response.status_code == 503
    assert "The identity service is unavailable right now. Please try again." in response.get_data(
        as_text=True
    )
    with vidos_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingAuthRequest)) == 0

    fake.on("POST", f"{API}/authorizations", Canned(201, created("a-down")))
    request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    fake.on("GET", f"{API}/authorizations/a-down/status", Canned(500, {"message": "Internal"}))
    status = browser.get(f"/auth/{request_id}/status")
    assert status.status_code == 503
    assert browser.get(f"/auth/{request_id}").status_code == 503
    with vidos_app.app_context():
        stored = db.session.get(PendingAuthRequest, request_id)
        assert stored.status == "pending" and stored.result is None
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_health_reports_the_vidos_authorizer(fake, vidos_app, monkeypatch):
    fake.on("GET", "/health", Canned(204))
    body = vidos_app.test_client().get("/health").get_json()
    assert body["authorizer"] == {"name": "vidos", "status": "ok"}
    fake.on("GET", "/health", Canned(500, {"message": "down"}))
    monkeypatch.setattr(pages, "HEALTH_CACHE_SECONDS", 0)
    response = vidos_app.test_client().get("/health")
    assert response.status_code == 503 and response.get_json()["status"] == "degraded"


def test_health_burst_costs_the_authorizer_one_call(fake, vidos_app):
    """/health is public: each call used to cost one authorizer request (item 10)."""
    fake.on("GET", "/health", Canned(204))
    client = vidos_app.test_client()
    for _ in range(20):
        assert client.get("/health").status_code == 200
    assert len(fake.calls("GET", "/health")) == 1


def test_no_sandbox_wallet_with_a_real_authorizer(vidos_app):
    assert vidos_app.test_client().get("/sandbox/wallet/x").status_code == 404


def _dc_api_request(fake, vidos_app, authorization_id="a-dc"):
    client = vidos_app.test_client()
    browser = Browser(client)
    fake.on("POST", f"{API}/authorizations", Canned(201, created(authorization_id, dc_api=True)))
    fake.on(
        "GET", f"{API}/authorizations/{authorization_id}/status", Canned(200, {"status": "pending"})
    )
    request_id = browser.start("/signup", {"mode": "dc_api", "credential_format": "any"})
    waiting = client.get(f"/auth/{request_id}").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', waiting).group(1)
    return client, browser, request_id, {"X-CSRFToken": token}


def test_dc_api_completion_refuses_bad_json(fake, vidos_app):
    client, _browser, request_id, header = _dc_api_request(fake, vidos_app)
    url = f"/auth/{request_id}/complete"
    for raw in ("{not json", "[" * 5000 + "]" * 5000, '{"origin": 5, "response": null}'):
        response = client.post(url, data=raw, headers=header, content_type="application/json")
        assert response.status_code == 400
    body = {"origin": "http://localhost", "response": "eyJ.jwe"}
    assert client.post(url, json=body).status_code == 400  # no CSRF header
    assert fake.calls("POST", f"{API}/a-dc/dc_api.jwt") == []


def test_dc_api_completion_with_a_foreign_origin_is_refused(fake, vidos_app):
    """The origin came from the browser and was forwarded as is (item 11)."""
    client, browser, request_id, header = _dc_api_request(fake, vidos_app)
    body = {"origin": "https://evil.example", "response": {"response": "eyJ.jwe"}}
    response = client.post(f"/auth/{request_id}/complete", json=body, headers=header)
    assert response.status_code == 400
    assert fake.calls("POST", f"{API}/a-dc/dc_api.jwt") == []
    assert browser.status(request_id)["status"] == "pending"


def test_dc_api_wallet_error_ends_the_request_as_declined(fake, vidos_app):
    client, browser, request_id, header = _dc_api_request(fake, vidos_app)
    body = {
        "origin": "http://localhost",
        "response": {"error": "access_denied", "error_description": "user said no"},
    }
    response = client.post(f"/auth/{request_id}/complete", json=body, headers=header)
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"
    assert response.get_json()["title"] == "Request declined"
    assert fake.calls("POST", f"{API}/a-dc/dc_api.jwt") == []
    assert browser.status(request_id)["status"] == "rejected"


def test_two_pids_of_different_people_are_not_merged(fake, vidos_app):
    """Person A's number with person B's name used to make an account (item 4)."""
    browser = Browser(vidos_app.test_client())
    fake.on("POST", f"{API}/authorizations", Canned(201, created("a-two")))
    request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    authorized(fake, "a-two", {})
    victim = {"personal_administrative_number": "IT-12345"}
    attacker = {"family_name": "Evil", "given_name": "Eve", "personal_administrative_number": "X"}
    fake.on(
        "GET",
        f"{API}/authorizations/a-two/credentials",
        Canned(
            200,
            {
                "authorizationId": "a-two",
                "credentials": [
                    {
                        "path": ["pid_sd_jwt", 0],
                        "format": "dc+sd-jwt",
                        "credentialType": "urn:eudi:pid:1",
                        "claims": victim,
                    },
                    {
                        "path": ["pid_mdoc", 0],
                        "format": "mso_mdoc",
                        "credentialType": "eu.europa.ec.eudi.pid.1",
                        "claims": {"eu.europa.ec.eudi.pid.1": attacker},
                    },
                ],
            },
        ),
    )
    status = browser.status(request_id)
    assert status["status"] == "error" and status["title"] == "Credentials of different people"
    with vidos_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_unfetchable_error_details_still_end_the_request(fake, vidos_app):
    """A failing policy-response call used to answer 502 on every poll until expiry (12)."""
    browser = Browser(vidos_app.test_client())
    fake.on("POST", f"{API}/authorizations", Canned(201, created("a-rej")))
    request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    fake.on("GET", f"{API}/authorizations/a-rej/status", Canned(200, {"status": "rejected"}))
    fake.on(
        "GET", f"{API}/authorizations/a-rej/policy-response", Canned(500, {"message": "down"})
    )
    status = browser.status(request_id)
    assert status["status"] == "rejected" and status["title"] == "Verification declined"
    with vidos_app.app_context():
        assert db.session.get(PendingAuthRequest, request_id).status == "failed"
