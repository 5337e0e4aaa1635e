"""The Vidos client against a fake authorizer that enforces the OpenAPI spec."""

from __future__ import annotations

import base64
import json
import logging

import httpx
import pytest

from app.verification.base import (
    AuthorizerRefused,
    AuthorizerUnavailable,
    ResponseCodeNotFound,
)
from app.verification.claims import VerifiedClaims
from app.verification.vidos import VidosAuthorizer
from tests.helpers import flow_request
from tests.vidos_fake import Canned

API = "/openid4/vp/v1_0"
AUTH_ID = "auth-123"
CREATED_DIRECT = {
    "authorizationId": AUTH_ID,
    "expiresAt": "2026-11-22T10:00:00Z",
    "nonce": "n-1",
    "authorizeUrl": "openid4vp://?request_uri=https%3A%2F%2Fauthorizer.example%2Fr%2F1",
    "authorizationEndpoint": "openid4vp://",
}
CREATED_DC = {
    "authorizationId": AUTH_ID,
    "expiresAt": "2026-11-22T10:00:00Z",
    "nonce": "n-1",
    "digitalCredentialGetRequest": {
        "protocol": "openid4vp-v1-signed",
        "data": {"request": "eyJhbGciOiJFUzI1NiJ9.e30.sig"},
    },
    "responseUrl": "https://authorizer.example/openid4/vp/v1_0/auth-123/dc_api.jwt",
}
API_KEY = "secret-api-key-value"


@pytest.fixture
def fake(fake_authorizer):
    return fake_authorizer


@pytest.fixture
def client(fake):
    authorizer = VidosAuthorizer(
        fake.url,
        API_KEY,
        retries=1,
        backoff_seconds=0.01,
        timeout=httpx.Timeout(0.5, connect=0.5),
    )
    yield authorizer
    authorizer.close()


def decode(data: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def test_health(fake, client):
    fake.on("GET", "/health", Canned(204))
    assert client.health() is True
    fake.on("GET", "/health", Canned(500, {"message": "down"}))
    assert client.health() is False


@pytest.mark.parametrize("formats", [["sd-jwt"], ["mdoc"], ["sd-jwt", "mdoc"]])
def test_create_direct_post(fake, client, formats):
    fake.on("POST", f"{API}/authorizations", Canned(201, CREATED_DIRECT))
    request = flow_request("signup", formats, "direct_post")
    created = client.create_authorization(request)
    assert created.authorization_id == AUTH_ID
    assert created.authorize_url == CREATED_DIRECT["authorizeUrl"]
    (body,) = fake.calls("POST", f"{API}/authorizations")
    assert body["responseMode"] == "direct_post.jwt"
    dcql = body["query"]["dcql"]
    assert body["query"]["type"] == "DCQL"
    assert len(dcql["credentials"]) == len(formats)
    if len(formats) == 2:
        assert dcql["credential_sets"] == [{"options": [["pid_sd_jwt"], ["pid_mdoc"]]}]
    else:
        assert "credential_sets" not in dcql
    headers = fake.received[-1][3]
    assert headers["Authorization"] == f"Bearer {API_KEY}"


def test_create_dc_api(fake, client):
    fake.on("POST", f"{API}/authorizations", Canned(201, CREATED_DC))
    request = flow_request(
        "signin", ["sd-jwt", "mdoc"], "dc_api", origin="https://bank.example"
    )
    created = client.create_authorization(request)
    assert created.dc_api_request == CREATED_DC["digitalCredentialGetRequest"]
    assert created.response_url == CREATED_DC["responseUrl"]
    (body,) = fake.calls("POST", f"{API}/authorizations")
    assert body["responseMode"] == "dc_api.jwt"
    assert body["protocol"] == "openid4vp-v1-signed"
    assert body["expectedOrigins"] == ["https://bank.example"]


@pytest.mark.parametrize("formats", [["sd-jwt"], ["sd-jwt", "mdoc"]])
def test_payment_binds_transaction_data(fake, client, formats):
    fake.on("POST", f"{API}/authorizations", Canned(201, CREATED_DIRECT))
    transaction = {
        "type": "payment",
        "recipient": "Maria Garcia",
        "amount": "45.00",
        "reference": "Dinner",
        "transaction_id": "txn-1",
    }
    client.create_authorization(
        flow_request("payment", formats, "direct_post", transaction=transaction)
    )
    (body,) = fake.calls("POST", f"{API}/authorizations")
    parameters = body["responseTypeParameters"]
    (encoded,) = parameters["transaction_data"]
    data = decode(encoded)
    assert data["type"] == "payment" and data["amount"] == "45.00"
    assert data["credential_ids"] == ["pid_sd_jwt"]  # never the mdoc query (B.2.1)
    assert parameters["verifier_info"] == [
        {"format": "plaintext", "data": "Demo Bank - Secure Payment Authorization"}
    ]


def test_loan_binds_transaction_data(fake, client):
    fake.on("POST", f"{API}/authorizations", Canned(201, CREATED_DIRECT))
    transaction = {
        "type": "loan_application",
        "amount": "10000.00",
        "purpose": "Car",
        "term": "24 months",
    }
    client.create_authorization(
        flow_request("loan", ["mdoc"], "direct_post", transaction=transaction)
    )
    (body,) = fake.calls("POST", f"{API}/authorizations")
    # an mdoc PID cannot carry transaction data (OpenID4VP B.2.1): none is sent
    assert "transaction_data" not in body["responseTypeParameters"]
    assert body["responseTypeParameters"]["verifier_info"][0]["data"] == (
        "Demo Bank - Loan Application Identity Verification"
    )
    client.create_authorization(
        flow_request("loan", ["sd-jwt", "mdoc"], "direct_post", transaction=transaction)
    )
    body = fake.calls("POST", f"{API}/authorizations")[-1]
    data = decode(body["responseTypeParameters"]["transaction_data"][0])
    assert data["type"] == "loan_application" and data["credential_ids"] == ["pid_sd_jwt"]


@pytest.mark.parametrize(
    ("remote", "local"),
    [
        ("created", "pending"),
        ("pending", "pending"),
        ("authorized", "authorized"),
        ("expired", "expired"),
    ],
)
def test_status_mapping(fake, client, remote, local):
    fake.on("GET", f"{API}/authorizations/{AUTH_ID}/status", Canned(200, {"status": remote}))
    result = client.get_status(AUTH_ID)
    assert result.status == local and result.error_info is None


@pytest.mark.parametrize(
    ("vidos_type", "title"),
    [
        ("credential-query-evaluation", "Credential doesn't match requirements"),
        ("trusted-issuer-untrusted", "Credential issuer not trusted"),
        ("identity-mismatch", "Identity mismatch"),
    ],
)
def test_rejected_reads_the_first_policy_error(fake, client, vidos_type, title):
    fake.on("GET", f"{API}/authorizations/{AUTH_ID}/status", Canned(200, {"status": "rejected"}))
    policy = {
        "authorizationId": AUTH_ID,
        "data": [
            {"path": [], "policy": "format", "service": "verifier", "data": {"ok": True}},
            {
                "path": ["pid_sd_jwt"],
                "policy": "trust",
                "service": "verifier",
                "error": {
                    "type": f"https://vidos.id/errors/{vidos_type}",
                    "vidosType": vidos_type,
                    "title": "Remote title",
                    "detail": "What went wrong.",
                    "errors": [{"detail": "first item"}, {"detail": "second item"}],
                },
            },
        ],
    }
    fake.on("GET", f"{API}/authorizations/{AUTH_ID}/policy-response", Canned(200, policy))
    result = client.get_status(AUTH_ID)
    assert result.status == "rejected"
    info = result.error_info
    assert info.error_type == vidos_type and info.title == title
    assert info.detail == "What went wrong."
    assert info.details == ["first item", "second item"] and info.policy == "trust"


def test_error_without_vidos_type_uses_the_policy_name(fake, client):
    fake.on("GET", f"{API}/authorizations/{AUTH_ID}/status", Canned(200, {"status": "error"}))
    policy = {
        "authorizationId": AUTH_ID,
        "data": [
            {
                "path": [],
                "policy": "signature",
                "service": "verifier",
                "error": {"type": "about:blank", "title": "Bad signature"},
            }
        ],
    }
    fake.on("GET", f"{API}/authorizations/{AUTH_ID}/policy-response", Canned(200, policy))
    info = client.get_status(AUTH_ID).error_info
    assert info.error_type == "signature" and info.title == "Bad signature"


def test_claims_are_normalized(fake, client):
    credentials = {
        "authorizationId": AUTH_ID,
        "credentials": [
            {
                "path": ["pid_mdoc", 0],
                "format": "mso_mdoc",
                "credentialType": "eu.europa.ec.eudi.pid.1",
                "claims": {
                    "eu.europa.ec.eudi.pid.1": {
                        "family_name": "Rossi",
                        "given_name": "Mario",
                        "birth_date": "1980-01-02",
                        "nationality": "IT",
                        "personal_administrative_number": "IT-1",
                    }
                },
            }
        ],
    }
    fake.on("GET", f"{API}/authorizations/{AUTH_ID}/credentials", Canned(200, credentials))
    claims = client.get_claims(AUTH_ID)
    assert claims == VerifiedClaims(
        family_name="Rossi",
        given_name="Mario",
        birth_date="1980-01-02",
        nationality=("IT",),
        personal_administrative_number="IT-1",
    )


def test_forward_dc_api_jwt_and_vp_token(fake, client):
    fake.on("POST", f"{API}/{AUTH_ID}/dc_api.jwt", Canned(200, {"status": "authorized"}))
    fake.on("POST", f"{API}/{AUTH_ID}/dc_api", Canned(200, {"status": "rejected"}))
    assert (
        client.forward_dc_api_response(AUTH_ID, "https://bank.example", "eyJ.jwe") == "authorized"
    )
    assert fake.calls("POST", f"{API}/{AUTH_ID}/dc_api.jwt") == [
        {"origin": "https://bank.example", "digitalCredentialGetResponse": {"response": "eyJ.jwe"}}
    ]
    vp = {"vp_token": {"pid_sd_jwt": ["eyJ~disclosure~"]}}
    assert client.forward_dc_api_response(AUTH_ID, "https://bank.example", vp) == "rejected"
    assert fake.calls("POST", f"{API}/{AUTH_ID}/dc_api")[0]["digitalCredentialGetResponse"] == vp


def test_response_code_resolves_once(fake, client):
    path = f"{API}/response-code/resolve"
    fake.on(
        "POST",
        path,
        Canned(200, {"authorization_id": AUTH_ID, "status": "authorized"}),
        Canned(404, {"message": "Response code not found, already used, or expired"}),
    )
    resolved = client.resolve_response_code("code-1")
    assert resolved.authorization_id == AUTH_ID and resolved.status == "authorized"
    with pytest.raises(ResponseCodeNotFound):
        client.resolve_response_code("code-1")
    assert fake.calls("POST", path) == [{"response_code": "code-1"}] * 2


@pytest.mark.parametrize(
    ("canned", "error"),
    [
        (Canned(401, {"message": "Unauthorized"}), AuthorizerRefused),
        (Canned(404, {"message": "Not found"}), AuthorizerRefused),
        (Canned(500, {"message": "Internal"}), AuthorizerUnavailable),
        (Canned(200, raw="this is not json"), AuthorizerRefused),
        (Canned(200, raw='{"status": "sleeping"}'), AuthorizerRefused),
        (Canned(200, {"status": "pending"}, delay=1.0), AuthorizerUnavailable),
    ],
    ids=["401", "404", "500", "not-json", "unknown-status", "timeout"],
)
def test_failures_map_to_two_exception_types(fake, client, canned, error):
    fake.on("GET", f"{API}/authorizations/{AUTH_ID}/status", canned)
    with pytest.raises(error):
        client.get_status(AUTH_ID)


def test_get_is_retried_on_5xx_but_post_is_not(fake, client):
    status_path = f"{API}/authorizations/{AUTH_ID}/status"
    fake.on(
        "GET", status_path, Canned(500, {"message": "busy"}), Canned(200, {"status": "pending"})
    )
    assert client.get_status(AUTH_ID).status == "pending"
    assert len(fake.calls("GET", status_path)) == 2
    fake.on("POST", f"{API}/authorizations", Canned(500, {"message": "Internal"}))
    with pytest.raises(AuthorizerUnavailable):
        client.create_authorization(flow_request("signin", ["sd-jwt"], "direct_post"))
    assert len(fake.calls("POST", f"{API}/authorizations")) == 1


def test_unreachable_server_is_unavailable():
    authorizer = VidosAuthorizer("http://127.0.0.1:9", retries=1, backoff_seconds=0.01)
    with pytest.raises(AuthorizerUnavailable):
        authorizer.get_status(AUTH_ID)
    assert authorizer.health() is False


def test_logs_name_endpoints_but_never_the_key_or_claim_values(fake, client, caplog):
    caplog.set_level(logging.INFO)
    fake.on(
        "GET",
        f"{API}/authorizations/{AUTH_ID}/credentials",
        Canned(
            200,
            {
                "authorizationId": AUTH_ID,
                "credentials": [
                    {
                        "path": [0],
                        "format": "dc+sd-jwt",
                        "credentialType": "urn:eudi:pid:1",
                        "claims": {
                            "family_name": "Secretname",
                            "personal_administrative_number": "X-99",
                        },
                    }
                ],
            },
        ),
    )
    client.get_claims(AUTH_ID)
    text = caplog.text
    assert f"{API}/authorizations/{AUTH_ID}/credentials -> 200" in text
    assert "family_name" in text
    assert API_KEY not in text and "Secretname" not in text and "X-99" not in text
