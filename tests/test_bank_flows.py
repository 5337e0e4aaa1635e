"""Every bank flow through the Flask test client, in the sandbox."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.database import write_transaction
from app.extensions import db
from app.models import Activity, LoginSession, PendingAuthRequest, User
from tests.helpers import Browser


def user(app, identifier="DE-7781-4420-1093") -> User:
    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(select(User).where(User.identifier == identifier))


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


# -- public pages ----------------------------------------------------------------------


def test_landing_page(client):
    page = client.get("/").get_data(as_text=True)
    assert ">Create account<" in page and ">Sign in<" in page
    assert "EU Digital Identity Wallet" in page and "PID" in page


def test_guide_page(client):
    page = client.get("/guide").get_data(as_text=True)
    assert "EUDI reference wallet" in page and "Multipaz" in page and "sandbox" in page
    for link in (
        "https://github.com/eu-digital-identity-wallet/eudi-app-android-wallet-ui/releases",
        "https://github.com/eu-digital-identity-wallet/eudi-app-ios-wallet-ui",
        "https://issuer.eudiw.dev",
        "https://openid.net/specs/openid-4-verifiable-presentations-1_0.html",
        "https://github.com/eu-digital-identity-wallet/eudi-doc-architecture-and-reference-framework",
        "https://eur-lex.europa.eu/eli/reg/2024/1183/oj",
    ):
        assert f'href="{link}"' in page, link
    for text in ("SD-JWT only", "mdoc only", "What the sandbox simulates", "annex 3.01"):
        assert text in page, text


def test_landing_explains_pid_and_selective_disclosure(client):
    page = client.get("/").get_data(as_text=True)
    assert "What is a PID? What is selective disclosure?" in page
    assert 'href="https://eur-lex.europa.eu/eli/reg/2024/1183/oj"' in page
    assert 'href="https://openid.net/specs/openid-4-verifiable-presentations-1_0.html"' in page


@pytest.mark.parametrize(
    ("path", "button", "traditional"),
    [
        ("/signup", "Sign up with EUDI Wallet", "Take a selfie"),
        ("/signin", "Sign in with EUDI Wallet", "Password"),
    ],
)
def test_start_pages(client, path, button, traditional):
    page = client.get(path).get_data(as_text=True)
    assert button in page and "Not available in this demo" in page and traditional in page
    assert "QR code / deep link" in page and "Browser wallet" in page
    assert "SD-JWT only" in page and "mdoc only" in page and ">Any<" in page
    assert re.search(r'value="dc_api"[^>]*disabled|disabled[^>]*value="dc_api"', page)
    assert 'aria-current="step"' in page


def test_waiting_page(browser, client):
    request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    page = client.get(f"/auth/{request_id}").get_data(as_text=True)
    assert "Verify your identity for signup" in page
    for name in ("Family name", "Date of birth", "Nationality", "Portrait", "Document number"):
        assert name in page
    assert 'role="img" aria-label="QR code"' in page and "<svg" in page
    size = int(re.search(r'<svg width="(\d+)"', page).group(1))
    assert size >= 200
    assert re.search(
        r'href="http://localhost/sandbox/wallet/[0-9a-f-]+"[^>]*>Open wallet on this device', page
    )
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "js/waiting.js" in page


# -- sign-up and sign-in ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("formats", "fmt"), [("any", "mdoc"), ("sd-jwt", "sd-jwt"), ("mdoc", "mdoc")]
)
def test_signup_creates_the_account_and_signs_in(app, browser, client, formats, fmt):
    browser.signup(fmt=fmt, formats=formats)
    page = client.get("/profile?welcome=1").get_data(as_text=True)
    assert "Welcome to Demo Bank" in page and "Erika Mustermann" in page
    assert "•••• 1093" in page and "DE-7781" not in page
    assert 'src="data:image/jpeg;base64,' in page
    account = user(app)
    assert account.nationality == "DE" and account.birth_date == "1984-08-12"
    assert account.document_number == "T22000129"
    with app.app_context():
        session = db.session.scalar(select(LoginSession))
    expected = {"any": ["sd-jwt", "mdoc"], "sd-jwt": ["sd-jwt"], "mdoc": ["mdoc"]}[formats]
    assert session.mode == "direct_post" and session.credential_formats == expected
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Available balance" in dashboard and "Erika Mustermann" in dashboard
    assert re.search(r"€\d{1,2},\d{3}\.\d{2}", dashboard)


def test_signup_twice_says_account_exists(app, member):
    member.post_form("/signout", {}, token_page="/dashboard")
    request_id = member.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    member.wallet_answer(member.wallet_url(request_id))
    status = member.status(request_id)
    assert status["status"] == "account_exists"
    assert status["detail"] == "An account already exists for this identity."
    assert status["next_url"] == "/signin"
    assert count(app, User) == 1
    page = member.get(f"/auth/{request_id}").get_data(as_text=True)
    assert "An account already exists for this identity." in page and 'href="/signin"' in page


def test_signin(app, member):
    member.post_form("/signout", {}, token_page="/dashboard")
    assert member.get("/dashboard").status_code == 302
    request_id = member.signin()
    status = member.status(request_id)
    assert status == {
        "status": "authorized",
        "title": "Verified",
        "detail": "Your identity was confirmed.",
        "next_url": "/dashboard",
    }
    assert member.get("/dashboard").status_code == 200


def test_signin_unknown_identity(browser):
    request_id = browser.signin(identity="jan")
    status = browser.status(request_id)
    assert status["status"] == "not_found"
    assert status["detail"] == "No account found for this identity. Create an account first."
    assert browser.get("/dashboard").status_code == 302


def test_signin_returns_to_next(member):
    member.post_form("/signout", {}, token_page="/dashboard")
    response = member.get("/send")
    assert response.status_code == 302 and response.headers["Location"] == "/signin?next=%2Fsend"
    request_id = member.start(
        "/signin?next=/send", {"mode": "direct_post", "credential_format": "any"}
    )
    member.wallet_answer(member.wallet_url(request_id))
    assert member.status(request_id)["next_url"] == "/send"


def test_next_is_only_ever_our_own_path(member):
    member.post_form("/signout", {}, token_page="/dashboard")
    request_id = member.start(
        "/signin?next=//evil.example/x", {"mode": "direct_post", "credential_format": "any"}
    )
    member.wallet_answer(member.wallet_url(request_id))
    assert member.status(request_id)["next_url"] == "/dashboard"


def test_login_is_given_once(app, browser):
    request_id = browser.signup()
    assert count(app, LoginSession) == 1
    browser.status(request_id)
    browser.get(f"/auth/{request_id}")
    assert count(app, LoginSession) == 1


def test_signout_invalidates_the_cookie(app, member, client):
    stolen = client.get_cookie("session").value
    response = member.post_form("/signout", {}, token_page="/dashboard")
    assert response.status_code == 303
    assert count(app, LoginSession) == 0
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/dashboard").status_code == 302


def test_session_expiry(app, member):
    with app.app_context(), write_transaction():
        db.session.execute(
            update(LoginSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    response = member.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")


@pytest.mark.parametrize(
    "path",
    ["/dashboard", "/send", "/send/confirm", "/loan", "/loan/review", "/profile", "/account/reset"],
)
def test_anonymous_visitors_are_sent_to_signin(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=")


# -- payments --------------------------------------------------------------------------


def test_payment(app, member):
    before = user(app).balance_cents
    page = member.get("/send").get_data(as_text=True)
    assert "Landlord - Rent" in page and "€1,200.00" in page and "Insurance Co." in page
    prefilled = member.get("/send?recipient=Electric+Company&amount=85.00").get_data(as_text=True)
    assert 'value="Electric Company"' in prefilled and 'value="85.00"' in prefilled
    response = member.post_form(
        "/send", {"recipient": "Maria Garcia", "amount": "45.00", "reference": "Dinner"}
    )
    assert response.headers["Location"] == "/send/confirm"
    confirm = member.get("/send/confirm").get_data(as_text=True)
    assert (
        "Maria Garcia" in confirm and "€45.00" in confirm and "Confirm with EUDI Wallet" in confirm
    )
    request_id = member.start("/send/confirm")
    waiting = member.get(f"/auth/{request_id}").get_data(as_text=True)
    assert "Confirm your identity for payment" in waiting and "€45.00" in waiting
    member.wallet_answer(member.wallet_url(request_id))
    status = member.status(request_id)
    assert status["status"] == "authorized" and status["next_url"] == f"/send/success/{request_id}"
    assert user(app).balance_cents == before - 4500
    success = member.get(status["next_url"]).get_data(as_text=True)
    assert "Maria Garcia" in success and "€45.00" in success and "Dinner" in success
    assert "txn-" in success and "Erika Mustermann" in success
    with app.app_context():
        activity = db.session.scalar(select(Activity).order_by(Activity.created_at.desc()))
        assert activity.title == "Payment to Maria Garcia" and activity.amount_cents == -4500
        assert activity.meta.recipient == "Maria Garcia" and activity.meta.reference == "Dinner"
        assert activity.meta.transaction_id.startswith("txn-")
    dashboard = member.get("/dashboard").get_data(as_text=True)
    assert "Payment to Maria Garcia" in dashboard and "-€45.00" in dashboard


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"recipient": "", "amount": "5"}, "Enter who you are paying."),
        (
            {"recipient": "X" * 101, "amount": "5"},
            "Field must be between 1 and 100 characters long.",
        ),
        ({"recipient": "Bob", "amount": "0"}, "The amount must be more than 0."),
        ({"recipient": "Bob", "amount": "1.234"}, "Use at most two decimals."),
        ({"recipient": "Bob", "amount": "2,000,000.00"}, "at most €1,000,000.00"),
        ({"recipient": "Bob", "amount": "lots"}, "Enter the amount as a number"),
        ({"recipient": "Bob", "amount": "900000"}, "more than your available balance"),
        ({"recipient": "Bob", "amount": "5", "reference": "r" * 201}, "At most 200 characters."),
    ],
)
def test_payment_form_errors_change_nothing(app, member, data, message):
    response = member.post_form("/send", {"reference": "", **data})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(app, PendingAuthRequest, PendingAuthRequest.type == "payment") == 0


def test_confirm_without_a_draft_goes_back_to_the_form(member):
    response = member.get("/send/confirm")
    assert response.status_code == 302 and response.headers["Location"] == "/send"


def test_payment_identity_mismatch(app, member):
    before = user(app).balance_cents
    request_id = member.confirm_payment("Maria Garcia", "45.00")
    member.wallet_answer(member.wallet_url(request_id), identity="jan")
    status = member.status(request_id)
    assert status["status"] == "rejected" and status["title"] == "Identity mismatch"
    assert (
        status["detail"]
        == "The credential used for verification does not match your account identity."
    )
    assert user(app).balance_cents == before
    with app.app_context():
        stored = db.session.get(PendingAuthRequest, request_id)
        assert (
            stored.status == "failed" and stored.result.error_info.error_type == "identity-mismatch"
        )


def test_insufficient_funds_at_completion_time(app, member):
    request_id = member.confirm_payment("Maria Garcia", "100.00")
    with app.app_context(), write_transaction():
        db.session.execute(update(User).values(balance_cents=5000))
    member.wallet_answer(member.wallet_url(request_id))
    status = member.status(request_id)
    assert status["status"] == "error" and status["title"] == "Insufficient funds"
    assert user(app).balance_cents == 5000
    assert count(app, Activity, Activity.title == "Payment to Maria Garcia") == 0


def test_payment_declined_shows_error_info(app, member):
    request_id = member.confirm_payment("Maria Garcia", "45.00")
    member.wallet_answer(member.wallet_url(request_id), decline="Decline")
    status = member.status(request_id)
    assert status["status"] == "rejected" and status["title"] == "Request declined"
    page = member.get(f"/auth/{request_id}").get_data(as_text=True)
    assert "Request declined" in page and "Try again" in page
    # "Try again" goes back to the form with what was typed.
    assert 'href="/send?recipient=Maria+Garcia&amp;amount=45.00">Try again' in page


@pytest.mark.parametrize(
    ("outcome", "title", "hint"),
    [
        ("untrusted", "Credential issuer not trusted", "trusted issuers only"),
        (
            "incomplete",
            "Credential doesn&#39;t match requirements",
            "Share every requested attribute",
        ),
    ],
)
def test_wallet_failures_show_tailored_errors(member, outcome, title, hint):
    """Each error type has its own title and its own hint."""
    request_id = member.confirm_payment("Maria Garcia", "45.00")
    member.wallet_answer(member.wallet_url(request_id), outcome=outcome)
    assert member.status(request_id)["status"] == "rejected"
    page = member.get(f"/auth/{request_id}").get_data(as_text=True)
    assert title in page
    assert hint in page


def test_expired_request(app, member):
    request_id = member.confirm_payment("Maria Garcia", "45.00")
    with app.app_context(), write_transaction():
        db.session.execute(
            update(PendingAuthRequest).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    status = member.status(request_id)
    assert status["status"] == "expired" and status["title"] == "This request has expired"


# -- loans and profile -----------------------------------------------------------------


def test_loan(app, member):
    before = user(app).balance_cents
    page = member.get("/loan").get_data(as_text=True)
    for text in ("€5,000.00", "€50,000.00", "Home Improvement", "48 months", "Review application"):
        assert text in page
    # The application is reviewed before the wallet confirms it.
    response = member.post_form("/loan", {"amount": "25000", "purpose": "Education", "term": "36"})
    assert response.status_code == 303 and response.headers["Location"] == "/loan/review"
    review = member.get("/loan/review").get_data(as_text=True)
    for text in ("€25,000.00", "Education", "36 months", "Submit application", "What happens next"):
        assert text in review
    assert count(app, PendingAuthRequest, PendingAuthRequest.type == "loan") == 0
    request_id = member.start("/loan/review")
    member.wallet_answer(member.wallet_url(request_id))
    status = member.status(request_id)
    assert status["next_url"] == f"/loan/success/{request_id}"
    account = user(app)
    assert account.balance_cents == before + 2_500_000
    assert account.pending_loans_total_cents == 2_500_000
    success = member.get(status["next_url"]).get_data(as_text=True)
    assert "We'll review your application and contact you within 2 business days." in success
    assert re.search(r"LN-[0-9A-F]{8}", success)
    dashboard = member.get("/dashboard").get_data(as_text=True)
    assert "Pending loans" in dashboard and "€25,000.00" in dashboard
    assert "Loan application submitted" in dashboard and "+€25,000.00" in dashboard


@pytest.mark.parametrize("amount", ["999999", "abc", ""])
def test_loan_refuses_values_outside_the_lists(app, member, amount):
    response = member.post_form("/loan", {"amount": amount, "purpose": "Car", "term": "24"})
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert count(app, PendingAuthRequest, PendingAuthRequest.type == "loan") == 0


def test_a_loan_over_the_limit_keeps_its_estimate(app, member):
    """The refusal says why, and the repayment estimate of what was chosen stays on the
    page (the page's script only updates an estimate that is there)."""
    app.extensions["demobank.settings"] = dataclasses.replace(
        app.extensions["demobank.settings"], loan_exposure_limit_cents=500_000
    )
    form = {"amount": "25000", "purpose": "Education", "term": "36"}
    response = member.post_form("/loan", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "You can apply for at most €5,000.00 more" in page
    assert 'data-testid="monthly-repayment"' in page and 'id="update-estimate"' in page
    assert count(app, PendingAuthRequest, PendingAuthRequest.type == "loan") == 0


def test_profile_update(app, member):
    page = member.get("/profile").get_data(as_text=True)
    for name in (
        "Family name",
        "Given name",
        "Date of birth",
        "Nationality",
        "Email",
        "Address",
        "Portrait",
    ):
        assert f"<span>{name}</span>" in page
    request_id = member.start("/profile", {"claims": ["email_address", "resident_address"]})
    waiting = member.get(f"/auth/{request_id}").get_data(as_text=True)
    assert "Verify your identity for profile update" in waiting
    member.wallet_answer(member.wallet_url(request_id))
    status = member.status(request_id)
    assert status["next_url"] == f"/profile?update={request_id}"
    page = member.get(status["next_url"]).get_data(as_text=True)
    assert "Profile updated from your wallet: Email, Address." in page
    account = user(app)
    assert account.email == "erika.mustermann@example.de"
    assert account.address == "Heidestraße 17, 51147 Köln, DE"


def test_profile_update_needs_one_choice(app, member):
    response = member.post_form("/profile", {})
    assert response.status_code == 400
    assert "Pick at least one thing to update." in response.get_data(as_text=True)


# -- dashboard -------------------------------------------------------------------------


def test_dashboard_filter_and_pagination(app, member):
    account = user(app)
    with app.app_context(), write_transaction():
        from app.ledger import record_movement
        from app.schemas import LoanActivityMeta, SeededMeta

        for i in range(25):
            record_movement(account.id, "payment", f"Shop {i}", -1, SeededMeta())
        record_movement(
            account.id,
            "loan",
            "Loan application submitted",
            100,
            LoanActivityMeta(
                amount_cents=100, purpose="Car", term_months=12, loan_reference="LN-1"
            ),
        )
    first = member.get("/dashboard").get_data(as_text=True)
    assert first.count('class="activity-row"') == 20 and 'rel="next"' in first
    assert "Loan application submitted" in first  # newest first
    second = member.get("/dashboard?page=2").get_data(as_text=True)
    assert "Page 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    loans = member.get("/dashboard?filter=loans").get_data(as_text=True)
    assert loans.count('class="activity-row"') == 1 and 'aria-current="page">Loans' in loans
    assert member.get("/dashboard?filter=bogus&page=abc").status_code == 200


# -- account reset and admin -----------------------------------------------------------


def test_reset_my_data(app, member):
    page = member.get("/account/reset").get_data(as_text=True)
    assert "Yes, reset my data" in page
    response = member.post_form("/account/reset", {})
    assert response.status_code == 303 and response.headers["Location"] == "/?reset=1"
    assert "Your demo data was reset." in member.get("/?reset=1").get_data(as_text=True)
    for model in (User, LoginSession, Activity, PendingAuthRequest):
        assert count(app, model) == 0
    assert member.get("/dashboard").status_code == 302


def test_account_menu(member):
    page = member.get("/dashboard").get_data(as_text=True)
    assert "<details" in page and "Erika Mustermann" in page
    assert ">Sign out<" in page and "Reset my demo data" in page


def test_admin(app, member, client):
    admin = Browser(app.test_client())
    assert admin.get("/admin").headers["Location"] == "/admin/login"
    wrong = admin.post_form("/admin/login", {"password": "nope"})
    assert wrong.status_code == 400 and "That password is not right." in wrong.get_data(
        as_text=True
    )
    assert admin.post_form("/admin/login", {"password": "demo"}).status_code == 303
    page = admin.get("/admin").get_data(as_text=True)
    assert 'data-testid="stat-users">1<' in page and "Database size" in page
    assert admin.get("/admin/reset").status_code == 200
    done = admin.post_form("/admin/reset", {})
    assert done.headers["Location"] == "/admin?reset=1"
    for model in (User, LoginSession, Activity, PendingAuthRequest):
        assert count(app, model) == 0
    assert member.get("/dashboard").status_code == 302
    admin.post_form("/admin/logout", {}, token_page="/admin")
    assert admin.get("/admin").status_code == 302
