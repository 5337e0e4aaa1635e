"""An independent OpenID4VP wallet and PID provider for the tests of the bank's own verifier
(AUTHORIZER=local): a P-256 CA and issuer certificate made here (configured through
TRUSTED_ISSUER_CA_PATH), and a wallet that reads a real flow's `openid4vp://` link, fetches
and checks the request object, presents, encrypts to the request's key, POSTs and follows
the `redirect_uri`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
from app.verification.credentials.jose import b64url_encode, decode_json_segment
from app.verification.credentials.session_transcript import (
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
from tests.helpers import Browser, make_app

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
