"""The bank's own OpenID4VP 1.0 verifier (AUTHORIZER=local), driven through its endpoints as
an independent wallet would: read the `openid4vp://` link of a real flow's waiting page,
fetch and check the request object, answer with a presentation of a PID from a test PID
provider of our own (its CA made here, configured by TRUSTED_ISSUER_CA_PATH), encrypt it to
the request's key, POST it to `response_uri` and follow the `redirect_uri`.

The refusals of the response endpoint and the credential failures are in
test_oid4vp_refusals.py; the wallet and the PID provider below serve both files.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app.extensions import db
from app.models import User
from app.verification import current_authorizer
from app.verification.base import AuthorizerRefused
from app.verification.credentials.jose import b64url_encode, decode_json_segment
from app.verification.credentials.session_transcript import (
    dc_api_session_transcript,
    redirect_session_transcript,
)
from app.verification.local.models import VerifierRequest
from app.verification.oid4vp.request_object import (
    parse_authorization_link,
    verify_request_object,
)
from app.verification.oid4vp.response_crypto import (
    encrypt_response,
    jwk_thumbprint,
    select_response_encryption,
)
from app.verification.sandbox.holder_issue import mdoc_elements, sd_jwt_claims
from app.verification.sandbox.identities import IDENTITIES_BY_KEY
from app.verification.sandbox.mdoc_pid import issue_mdoc, present_mdoc, tamper_element
from app.verification.sandbox.pki import Signer
from app.verification.sandbox.sdjwt_pid import (
    add_key_binding,
    issue_sd_jwt_vc,
    select_disclosures,
    tamper_disclosure,
)
from tests.helpers import Browser, flow_request, make_app

ERIKA = IDENTITIES_BY_KEY["erika"]
ERIKA_PAN = ERIKA.personal_administrative_number
ISSUER_URL = "https://pid-provider.test.example"
BASE_URL = "http://localhost"
LINK_RE = re.compile(r'href="(openid4vp://[^"]+)"')
QUERY_FORMATS = {"sd-jwt": "dc+sd-jwt", "mdoc": "mso_mdoc"}


# -- a PID provider of the test's own: a P-256 CA and an issuer certificate under it ------


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class PidProvider:
    ca_certificate: x509.Certificate
    issuer: Signer  # signs the PIDs; its certificate is the x5c / x5chain leaf

    @property
    def ca_pem(self) -> bytes:
        return self.ca_certificate.public_bytes(serialization.Encoding.PEM)


def make_pid_provider(name: str) -> PidProvider:
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} CA"))
        .issuer_name(_name(f"{name} CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} issuer"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=180))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return PidProvider(ca, Signer(key, leaf))


@contextmanager
def local_verifier_app(database_url: str, folder: Path, trusted: PidProvider) -> Iterator[Flask]:
    """The bank with AUTHORIZER=local, trusting only `trusted`'s CA."""
    ca_path = folder / "trusted-pid-ca.pem"
    ca_path.write_bytes(trusted.ca_pem)
    app = make_app(
        database_url,
        AUTHORIZER="local",
        TRUSTED_ISSUER_CA_PATH=str(ca_path),
        DATABASE_PATH=str(folder / "data" / "demobank.db"),  # the verifier identity's folder
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def provider() -> PidProvider:
    return make_pid_provider("Test PID Provider")


@pytest.fixture
def local_app(database_url: str, tmp_path: Path, provider: PidProvider) -> Iterator[Flask]:
    with local_verifier_app(database_url, tmp_path, provider) as app:
        yield app


# -- an independent wallet --------------------------------------------------------------


@dataclass
class Request:
    """A request object the wallet fetched and checked."""

    id: str  # the verifier's request id (of the request URI)
    claims: dict[str, Any]
    header: dict[str, Any]
    content_type: str
    flow_id: str = ""  # the bank's request id (of /auth/<id>), when started through a flow

    @property
    def jwk(self) -> dict[str, Any]:
        return dict(self.claims["client_metadata"]["jwks"]["keys"][0])

    @property
    def state(self) -> str:
        return str(self.claims["state"])

    def query_id(self, fmt: str) -> str:
        queries = self.claims["dcql_query"]["credentials"]
        return next(str(q["id"]) for q in queries if q["format"] == QUERY_FORMATS[fmt])

    def claim_paths(self, fmt: str) -> list[list[Any]]:
        queries = self.claims["dcql_query"]["credentials"]
        query = next(q for q in queries if q["id"] == self.query_id(fmt))
        return [list(claim["path"]) for claim in query["claims"]]

    def transaction_data(self, fmt: str) -> list[str]:
        query_id = self.query_id(fmt)
        items = self.claims.get("transaction_data") or []
        return [t for t in items if query_id in decode_json_segment(t)["credential_ids"]]

    def session_transcript(self) -> bytes:
        return redirect_session_transcript(
            self.claims["client_id"],
            self.claims["nonce"],
            jwk_thumbprint(self.jwk),
            self.claims["response_uri"],
        )


@dataclass
class Wallet:
    client: FlaskClient
    provider: PidProvider
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    def fetch(self, link: str) -> Request:
        parsed = parse_authorization_link(link)
        path = urlsplit(parsed.request_uri).path
        answer = self.client.get(path)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        jwt = answer.get_data(as_text=True)
        checked = verify_request_object(
            jwt, expected_client_id=parsed.client_id, now=datetime.now(UTC)
        )
        return Request(
            id=path.rsplit("/", 1)[1],
            claims=dict(checked.claims),
            header=decode_json_segment(jwt.split(".")[0]),
            content_type=answer.headers["Content-Type"],
        )

    def vp_token(
        self,
        request: Request,
        fmt: str = "sd-jwt",
        *,
        issuer: Signer | None = None,
        nonce: str | None = None,
        audience: str | None = None,
        transcript: bytes | None = None,
        withhold: Sequence[str] = (),
        tamper: str | None = None,
        expired: bool = False,
        transaction_data: Sequence[str] | None = None,
    ) -> dict[str, list[str]]:
        """{query id: [presentation]} of Erika's PID in `fmt`, honest unless told otherwise."""
        now = datetime.now(UTC)
        if expired:  # valid for a day, two days ago
            issued_at, valid_for = now - timedelta(days=3), timedelta(days=1)
        else:
            issued_at, valid_for = now - timedelta(minutes=1), timedelta(days=30)
        signer = issuer or self.provider.issuer
        paths = [p for p in request.claim_paths(fmt) if p[-1] not in withhold]
        if fmt == "sd-jwt":
            issued = issue_sd_jwt_vc(
                sd_jwt_claims(ERIKA, date.today()),
                signer=signer,
                holder_public_key=self.key.public_key(),
                issuer=ISSUER_URL,
                now=issued_at,
                valid_for=valid_for,
            )
            sd_jwt = select_disclosures(issued, paths)
            if tamper:
                sd_jwt = tamper_disclosure(sd_jwt, tamper, "Musterfrau")
            presentation = add_key_binding(
                sd_jwt,
                holder_key=self.key,
                nonce=nonce or request.claims["nonce"],
                audience=audience or request.claims["client_id"],
                transaction_data=(
                    request.transaction_data(fmt) if transaction_data is None else transaction_data
                ),
                now=now,
            )
            return {request.query_id(fmt): [presentation]}
        stored = issue_mdoc(
            mdoc_elements(ERIKA, date.today()),
            signer=signer,
            device_public_key=self.key.public_key(),
            now=issued_at,
            valid_for=valid_for,
        )
        if tamper:
            stored = tamper_element(stored, tamper, "Musterfrau")
        device_response = present_mdoc(
            stored,
            element_identifiers={str(p[1]) for p in paths},
            device_key=self.key,
            session_transcript=transcript or request.session_transcript(),
        )
        return {request.query_id(fmt): [b64url_encode(device_response)]}

    def encrypt(self, request: Request, payload: dict[str, Any]) -> str:
        jwk, enc = select_response_encryption(request.claims["client_metadata"])
        return encrypt_response(payload, jwk, enc=enc)

    def post(self, form: dict[str, str]) -> TestResponse:
        return self.client.post("/oid4vp/response", data=form)

    def answer(self, request: Request, payload: dict[str, Any]) -> TestResponse:
        """POST `payload` encrypted to the request's key (8.3.1)."""
        return self.post({"response": self.encrypt(request, payload)})

    def present(self, request: Request, fmt: str = "sd-jwt", **faults: Any) -> TestResponse:
        payload = {"vp_token": self.vp_token(request, fmt, **faults), "state": request.state}
        return self.answer(request, payload)


def wallet_link(browser: Browser, request_id: str) -> str:
    """The `openid4vp://` link of the waiting page ("Open wallet on this device")."""
    html = browser.get(f"/auth/{request_id}").get_data(as_text=True)
    match = LINK_RE.search(html)
    assert match, html[:3000]
    return unescape(match.group(1))


def follow(browser: Browser, answer: TestResponse) -> TestResponse:
    """The person's browser following the verifier's `redirect_uri` (8.2)."""
    assert answer.status_code == 200, answer.get_data(as_text=True)
    redirect_uri = answer.get_json()["redirect_uri"]
    assert redirect_uri.startswith(f"{BASE_URL}/callback?response_code=")
    return browser.get(redirect_uri.removeprefix(BASE_URL))


def start_signup(browser: Browser, wallet: Wallet, formats: str = "any") -> Request:
    flow_id = browser.start("/signup", {"mode": "direct_post", "credential_format": formats})
    request = wallet.fetch(wallet_link(browser, flow_id))
    request.flow_id = flow_id
    return request


def sign_up(browser: Browser, wallet: Wallet) -> None:
    landing = follow(browser, wallet.present(start_signup(browser, wallet)))
    assert landing.headers["Location"] == "/profile?welcome=1"


def start_payment(browser: Browser, wallet: Wallet, amount: str = "45.00") -> Request:
    flow_id = browser.confirm_payment("Maria Garcia", amount)
    request = wallet.fetch(wallet_link(browser, flow_id))
    request.flow_id = flow_id
    return request


def balance(app: Flask) -> int:
    with app.app_context():
        db.session.expire_all()
        account = db.session.scalar(select(User).where(User.identifier == ERIKA_PAN))
        assert account is not None
        return int(account.balance_cents)


def row(app: Flask, request_id: str) -> VerifierRequest:
    with app.app_context():
        found = db.session.get(VerifierRequest, request_id)
        assert found is not None
        db.session.expunge(found)
        return found


@pytest.fixture
def browser(local_app: Flask) -> Browser:
    return Browser(local_app.test_client())


@pytest.fixture
def wallet(browser: Browser, provider: PidProvider) -> Wallet:
    return Wallet(browser.client, provider)


@pytest.fixture
def member(browser: Browser, wallet: Wallet) -> Browser:
    """Erika, signed up (and signed in) with the test provider's PID."""
    sign_up(browser, wallet)
    return browser


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
