"""The sandbox (the local verifier with the demo wallet), driven through the wallet pages:
every answer goes over OpenID4VP to /oid4vp/request and /oid4vp/response."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from app.database import write_transaction
from app.extensions import db
from app.verification import current_authorizer
from app.verification.base import AuthorizerRefused, ResponseCodeNotFound
from app.verification.local.models import VerifierRequest
from app.verification.sandbox.identities import BUILT_IN_IDENTITIES
from tests.helpers import csrf_token, flow_request


def create(app, flow="signup", formats=("sd-jwt", "mdoc"), transaction=None):
    with app.app_context():
        request = flow_request(
            flow, list(formats), "direct_post", transaction=transaction
        )
        return current_authorizer().create_authorization(request)


def wallet_path(client, short_link):
    """The demo wallet page the waiting page's short link redirects to."""
    parts = urlsplit(client.get(short_link).headers["Location"])
    return f"{parts.path}?{parts.query}"


def answer(client, url, **data):
    path = wallet_path(client, url)
    token = csrf_token(client, path)
    form = {"identity": "erika", "outcome": "valid", "share": "Share", "csrf_token": token, **data}
    if "decline" in data:
        form.pop("share")
    response = client.post(path, data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert location.startswith("http://localhost/callback?response_code=")
    return parse_qs(urlsplit(location).query)["response_code"][0]


def test_authorize_url_points_at_the_demo_wallet(app):
    created = create(app)
    assert created.authorize_url == f"http://localhost/sandbox/wallet/{created.authorization_id}"
    with app.test_client() as client:
        resolved = client.get(created.authorize_url).headers["Location"]
    parts = urlsplit(resolved)
    assert parts.netloc == "localhost" and parts.path == "/sandbox/wallet"
    query = parse_qs(parts.query)
    assert query["client_id"][0].startswith("x509_hash:")
    assert query["request_uri"] == [
        f"http://localhost/oid4vp/request/{created.authorization_id}"
    ]


def test_wallet_page_shows_the_request(app, client):
    created = create(app, "signup", ("sd-jwt", "mdoc"))
    page = client.get(created.authorize_url, follow_redirects=True).get_data(as_text=True)
    assert "Demo Bank" in page and "Simulator" in page
    assert "Verify your identity for signup" in page
    assert "Personal administrative number" in page and "Portrait" in page
    labels = [identity.label for identity in BUILT_IN_IDENTITIES]
    positions = [page.index(f">{label}<") for label in labels]
    assert positions == sorted(positions)
    assert '<option selected value="erika">' in page or 'value="erika" selected' in page
    assert "<label" in page and ">Identity<" in page
    assert 'value="sd-jwt" selected' in page or '<option selected value="sd-jwt">' in page


def test_wallet_page_decodes_transaction_details(app, client):
    created = create(
        app,
        "payment",
        ("sd-jwt",),
        {
            "type": "payment",
            "recipient": "Maria Garcia",
            "amount": "45.00",
            "reference": "r",
            "transaction_id": "t",
        },
    )
    page = client.get(created.authorize_url, follow_redirects=True).get_data(as_text=True)
    assert "Pay €45.00 to Maria Garcia" in page
    assert "Demo Bank - Secure Payment Authorization" in page


@pytest.mark.parametrize(
    ("fmt", "identity", "expected"),
    [
        ("sd-jwt", "erika", {"family_name": "Mustermann", "nationality": ("DE",)}),
        ("mdoc", "erika", {"family_name": "Mustermann", "nationality": ("DE",)}),
        ("mdoc", "lucia", {"given_name": "Lucía", "nationality": ("ES", "AR")}),
        ("sd-jwt", "jan", {"family_name": "Kowalski", "birth_date": "1978-11-02"}),
    ],
)
def test_share_cycle_with_each_format(app, client, fmt, identity, expected):
    created = create(app)
    code = answer(client, created.authorize_url, credential_format=fmt, identity=identity)
    with app.app_context():
        authorizer = current_authorizer()
        assert authorizer.get_status(created.authorization_id).status == "authorized"
        claims = authorizer.get_claims(created.authorization_id)
        for key, value in expected.items():
            assert getattr(claims, key) == value
        assert claims.portrait.startswith("data:image/jpeg;base64,/9j/")  # a JPEG (rulebook 2.2)
        row = db.session.get(VerifierRequest, created.authorization_id)
        shape = row.credentials[0]
        assert shape["format"] == ("mso_mdoc" if fmt == "mdoc" else "dc+sd-jwt")
        if fmt == "mdoc":
            assert set(shape["claims"]) == {"eu.europa.ec.eudi.pid.1"}
        else:
            assert "birthdate" in shape["claims"]
        resolved = authorizer.resolve_response_code(code)
        assert resolved.authorization_id == created.authorization_id
        assert resolved.status == "authorized"
        with pytest.raises(ResponseCodeNotFound):
            authorizer.resolve_response_code(code)


def test_only_requested_attributes_are_disclosed(app, client):
    created = create(app, "signin", ("sd-jwt",))
    answer(client, created.authorize_url)
    with app.app_context():
        row = db.session.get(VerifierRequest, created.authorization_id)
        assert row.credentials[0]["claims"] == {
            "personal_administrative_number": "DE-7781-4420-1093"
        }


def test_custom_identity(app, client):
    created = create(app, "signup", ("sd-jwt",))
    answer(
        client,
        created.authorize_url,
        identity="custom",
        given_name="Ana",
        family_name="Silva",
        birth_date="1999-09-09",
        nationality="PT",
        personal_administrative_number="PT-555",
    )
    with app.app_context():
        claims = current_authorizer().get_claims(created.authorization_id)
    assert claims.given_name == "Ana" and claims.nationality == ("PT",)
    assert claims.personal_administrative_number == "PT-555"


def test_custom_identity_needs_its_fields(app, client):
    created = create(app, "signup", ("sd-jwt",))
    path = wallet_path(client, created.authorize_url)
    token = csrf_token(client, path)
    response = client.post(
        path, data={"identity": "custom", "outcome": "valid", "share": "Share", "csrf_token": token}
    )
    assert response.status_code == 200
    assert "Required for a custom identity." in response.get_data(as_text=True)


def test_decline(app, client):
    created = create(app)
    code = answer(client, created.authorize_url, decline="Decline")
    with app.app_context():
        status = current_authorizer().get_status(created.authorization_id)
        assert status.status == "rejected"
        assert status.error_info.title == "Request declined"
        assert current_authorizer().resolve_response_code(code).status == "rejected"


@pytest.mark.parametrize(
    ("outcome", "error_type", "title"),
    [
        ("untrusted", "trusted-issuer-untrusted", "Credential issuer not trusted"),
        ("incomplete", "credential-query-evaluation", "Credential doesn't match requirements"),
        ("tampered", "invalid-credential", "Credential was changed"),
    ],
)
def test_simulated_failures(app, client, outcome, error_type, title):
    created = create(app)
    answer(client, created.authorize_url, outcome=outcome)
    with app.app_context():
        status = current_authorizer().get_status(created.authorization_id)
    assert status.status == "rejected"
    assert status.error_info.error_type == error_type and status.error_info.title == title


@pytest.mark.parametrize("fmt", ["sd-jwt", "mdoc"])
def test_a_replayed_answer_is_refused_and_the_request_stays_open(app, client, fmt):
    created = create(app)
    path = wallet_path(client, created.authorize_url)
    form = {
        "identity": "erika",
        "outcome": "replayed",
        "credential_format": fmt,
        "share": "Share",
        "csrf_token": csrf_token(client, path),
    }
    response = client.post(path, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Demo Bank refused the answer" in page and "not bound to this request" in page
    with app.app_context():
        assert current_authorizer().get_status(created.authorization_id).status == "pending"
    answer(client, created.authorize_url, credential_format=fmt)  # the honest answer counts
    with app.app_context():
        assert current_authorizer().get_status(created.authorization_id).status == "authorized"


def test_answered_request_is_closed(app, client):
    created = create(app)
    answer(client, created.authorize_url)
    page = client.get(created.authorize_url, follow_redirects=True).get_data(as_text=True)
    assert "This request is closed" in page


def test_expiry(app, client):
    created = create(app)
    with app.app_context(), write_transaction():
        db.session.execute(
            update(VerifierRequest).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with app.app_context():
        assert current_authorizer().get_status(created.authorization_id).status == "expired"
        with pytest.raises(AuthorizerRefused):
            current_authorizer().get_claims(created.authorization_id)
    page = client.get(created.authorize_url, follow_redirects=True).get_data(as_text=True)
    assert "This request is closed" in page


def test_expired_response_code_is_refused(app, client):
    created = create(app)
    code = answer(client, created.authorize_url)
    with app.app_context(), write_transaction():
        db.session.execute(
            update(VerifierRequest).values(
                response_code_expires_at=datetime.now(UTC) - timedelta(seconds=1)
            )
        )
    with app.app_context(), pytest.raises(ResponseCodeNotFound):
        current_authorizer().resolve_response_code(code)


def test_sandbox_offers_no_browser_wallet(client):
    """The demo wallet is not a Digital Credentials API wallet, so the sandbox offers only
    the QR code / link mode (AUTHORIZER=local offers both)."""
    page = client.get("/signin").get_data(as_text=True)
    assert re.search(r'<input disabled[^>]*value="dc_api"', page)


def test_unknown_wallet_page_is_404(client):
    assert client.get("/sandbox/wallet/does-not-exist", follow_redirects=True).status_code == 404
    assert client.get("/sandbox/wallet").status_code == 404


def test_sandbox_notice_on_every_page(client):
    assert "Sandbox: identities are simulated" in client.get("/").get_data(as_text=True)


def test_the_sandbox_ca_is_served_for_anyone_who_re_verifies(app, client):
    from cryptography import x509

    from app.verification.sandbox.pki import CA_NAME, sandbox_pki

    response = client.get("/sandbox/trust/issuer-ca.pem")
    assert response.status_code == 200 and response.mimetype == "application/x-pem-file"
    certificate = x509.load_pem_x509_certificate(response.data)
    assert CA_NAME in certificate.subject.rfc4514_string()
    assert certificate == sandbox_pki(app.config["SECRET_KEY"]).ca_certificate


def test_every_built_in_identity_has_a_jpeg_portrait():
    from app.verification.sandbox.portraits import portrait_jpeg_base64

    for identity in BUILT_IN_IDENTITIES:
        jpeg = base64.b64decode(portrait_jpeg_base64(identity.key))
        assert jpeg.startswith(b"\xff\xd8\xff") and jpeg.endswith(b"\xff\xd9")


def test_old_verifier_requests_are_pruned_with_the_bank_requests(app):
    from app.housekeeping import prune

    created = create(app)
    fresh = create(app)
    with app.app_context(), write_transaction():
        db.session.execute(
            update(VerifierRequest)
            .where(VerifierRequest.id == created.authorization_id)
            .values(expires_at=datetime.now(UTC) - timedelta(days=2))
        )
    with app.app_context():
        assert prune().requests == 0  # counted are the bank's requests, none of them old
        assert db.session.get(VerifierRequest, created.authorization_id) is None
        assert db.session.get(VerifierRequest, fresh.authorization_id) is not None


def test_a_wallet_that_cannot_reach_the_bank_says_so(database_url):
    """The demo wallet calls the bank at PUBLIC_BASE_URL over HTTP; when that address does
    not answer from the server (NAT, a wrong port), its page says what to fix."""
    from tests.helpers import free_port, make_app

    base = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = make_app(database_url, PUBLIC_BASE_URL=base, DEMO_WALLET_TRANSPORT="http")
    client = app.test_client()
    with app.app_context():
        created = current_authorizer().create_authorization(
            flow_request("signin", ["sd-jwt"], "direct_post")
        )
    page = client.get(created.authorize_url, base_url=base, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "could not reach" in text and "PUBLIC_BASE_URL" in text


def test_the_verifier_endpoints_are_limited_per_address_but_not_for_the_demo_wallet(
    database_url,
):
    """RATELIMIT_VERIFIER counts each address; the sandbox's own wallet, which calls from
    this server for every visitor, proves itself with a key only the server has, and its
    page is what counts each visitor instead."""
    from tests.helpers import make_app

    app = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_VERIFIER="2 per minute")
    client = app.test_client()
    created = create(app)
    request_uri = f"/oid4vp/request/{created.authorization_id}"
    assert [client.get(request_uri).status_code for _ in range(3)] == [200, 200, 429]
    forged = client.get(request_uri, headers={"X-Demo-Wallet": "0" * 64})
    assert forged.status_code == 429
    other = create(app)
    # Two visits of the wallet page (GET, then Share), each fetching the request from the
    # verifier, whose limit for this address is used up: the wallet's calls are not counted.
    answer(client, other.authorize_url)
    third = client.get(wallet_path(client, create(app).authorize_url))
    assert third.status_code == 429  # the page's own limit for this visitor
