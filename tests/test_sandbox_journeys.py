"""Every sandbox journey through real credentials, in every format choice: sign-up, payment,
loan, profile update, sign-out and sign-in, each answered by the demo wallet with a signed
PID (SD-JWT VC or mdoc) that the bank's verifier checked before anything counted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PendingAuthRequest, User
from app.verification.local.models import VerifierRequest
from tests.helpers import Browser

FORMAT_CHOICES = [  # what the person chose at sign-up, what the wallet answered with
    ("sd-jwt", "sd-jwt"),
    ("mdoc", "mdoc"),
    ("any", "sd-jwt"),
    ("any", "mdoc"),
]


def presented_format(app, request_id: str) -> str:
    """The format of what the wallet sent, read from the verifier's own record."""
    with app.app_context():
        authorization_id = db.session.scalar(
            select(PendingAuthRequest.authorization_id).where(PendingAuthRequest.id == request_id)
        )
        row = db.session.get(VerifierRequest, authorization_id)
        assert row is not None and row.status == "authorized" and row.vp_token
        (query_id,) = row.vp_token
        presentation = row.vp_token[query_id][0]
    # an SD-JWT VC is a compact JWS followed by "~"-separated disclosures; an mdoc a CBOR
    # DeviceResponse in base64url
    return "sd-jwt" if "~" in presentation else "mdoc"


def balance(app) -> int:
    with app.app_context():
        return int(db.session.scalar(select(User.balance_cents)))


@pytest.mark.parametrize(("formats", "fmt"), FORMAT_CHOICES)
def test_every_journey_completes_through_real_presentations(app, client, formats, fmt):
    browser = Browser(client)
    signup = browser.start("/signup", {"mode": "direct_post", "credential_format": formats})
    landing = browser.get(
        browser.wallet_answer(browser.wallet_url(signup), credential_format=fmt).headers[
            "Location"
        ]
    )
    assert landing.headers["Location"] == "/profile?welcome=1"
    assert presented_format(app, signup) == fmt
    opening = balance(app)

    payment = browser.confirm_payment("Maria Garcia", "12.50", "Dinner")
    browser.wallet_answer(browser.wallet_url(payment), credential_format=fmt)
    assert browser.status(payment)["next_url"] == f"/send/success/{payment}"
    assert presented_format(app, payment) == fmt

    browser.post_form("/loan", {"amount": "5000", "purpose": "Education", "term": "24"})
    loan = browser.start("/loan/review")
    browser.wallet_answer(browser.wallet_url(loan), credential_format=fmt)
    assert browser.status(loan)["next_url"] == f"/loan/success/{loan}"
    assert presented_format(app, loan) == fmt

    update = browser.start("/profile", {"claims": ["email_address"]})
    browser.wallet_answer(browser.wallet_url(update), credential_format=fmt)
    assert browser.status(update)["next_url"] == f"/profile?update={update}"
    assert presented_format(app, update) == fmt

    browser.post_form("/signout", {}, token_page="/dashboard")
    signin = browser.start("/signin", {"mode": "direct_post", "credential_format": formats})
    browser.wallet_answer(browser.wallet_url(signin), credential_format=fmt)
    assert browser.status(signin)["status"] == "authorized"
    assert presented_format(app, signin) == fmt

    with app.app_context():
        assert db.session.scalar(select(User.email)) == "erika.mustermann@example.de"
    assert balance(app) == opening - 1_250 + 500_000  # the payment out, the loan in
