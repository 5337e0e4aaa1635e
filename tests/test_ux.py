"""What people see along the journey, through the Flask test client: progress steps,
purposes, Cancel, kept values, receipts, the loan estimate and review, the dashboard,
error details, the header, the theme and the demo wallet."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.banking.loans import LOAN_RATE_PERCENT, estimate, monthly_repayment_cents
from app.extensions import db
from app.flows.kinds import _KINDS, WALLET_STEP, progress
from app.models import PendingAuthRequest, User
from tests.helpers import csrf_token


def balance(app) -> int:
    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(select(User.balance_cents))


def stored(app, request_id) -> PendingAuthRequest:
    with app.app_context():
        db.session.expire_all()
        return db.session.get(PendingAuthRequest, request_id)


def current_step(page: str) -> list[str]:
    """The label of each progress indicator's current step on a page."""
    return re.findall(
        r'aria-current="step">\s*<span class="dot"[^>]*></span>\s*'
        r'<span class="progress-label">([^<]+)<',
        page,
    )


# -- progress ----------------------------------------------------------------------------


def test_every_flow_has_its_own_steps_with_a_wallet_step():
    for kind in _KINDS.values():
        keys = [step.key for step in kind.steps]
        assert WALLET_STEP in keys and len(keys) == len(set(keys)), kind.name
        assert all(step.label and step.description for step in kind.steps)
        assert "Intro" not in [step.label for step in kind.steps]
    with pytest.raises(KeyError):
        progress("payment", "no-such-step")


def test_each_page_marks_its_real_step(app, member):
    assert current_step(member.get("/send").get_data(as_text=True)) == ["Payment details"]
    member.post_form("/send", {"recipient": "Maria Garcia", "amount": "45.00"})
    assert current_step(member.get("/send/confirm").get_data(as_text=True)) == ["Review"]
    request_id = member.start("/send/confirm")
    waiting = member.get(f"/auth/{request_id}").get_data(as_text=True)
    assert current_step(waiting) == ["Confirm in your wallet"]
    member.wallet_answer(member.wallet_url(request_id))
    success = member.get(member.status(request_id)["next_url"]).get_data(as_text=True)
    assert current_step(success) == ["Receipt"]

    assert current_step(member.get("/loan").get_data(as_text=True)) == ["Your loan"]
    member.post_form("/loan", {"amount": "5000", "purpose": "Car", "term": "12"})
    assert current_step(member.get("/loan/review").get_data(as_text=True)) == ["Review"]
    loan_id = member.start("/loan/review")
    member.wallet_answer(member.wallet_url(loan_id))
    loan_done = member.get(member.status(loan_id)["next_url"]).get_data(as_text=True)
    assert current_step(loan_done) == ["Submitted"]

    assert current_step(member.get("/profile").get_data(as_text=True)) == ["Choose details"]
    update_id = member.start("/profile", {"claims": ["email_address"]})
    waiting = member.get(f"/auth/{update_id}").get_data(as_text=True)
    assert current_step(waiting) == ["Confirm in your wallet"]
    member.wallet_answer(member.wallet_url(update_id))
    updated = member.get(member.status(update_id)["next_url"]).get_data(as_text=True)
    assert current_step(updated) == ["Updated"]
    assert current_step(member.get("/profile?welcome=1").get_data(as_text=True)) == [
        "Account ready"
    ]


def test_start_pages_mark_their_first_step(client):
    assert current_step(client.get("/signup").get_data(as_text=True)) == ["Choose your wallet"]
    assert current_step(client.get("/signin").get_data(as_text=True)) == ["Choose your wallet"]


# -- the waiting page ------------------------------------------------------------------


def test_waiting_page_says_what_it_is_for_in_plain_words(member):
    request_id = member.confirm_payment("Maria Garcia", "45.00")
    page = member.get(f"/auth/{request_id}").get_data(as_text=True)
    assert "Confirm it is you to send €45.00 to Maria Garcia." in page
    assert "“Confirm your identity for payment”" in page  # what the wallet will show


def test_waiting_page_leads_with_the_wallet_on_a_phone_and_the_qr_code_on_a_desktop(member):
    request_id = member.confirm_payment("Maria Garcia", "45.00")
    page = member.get(f"/auth/{request_id}").get_data(as_text=True)
    phone = page[page.index('class="handoff handoff-phone"') : page.index("handoff-desktop")]
    assert phone.index("Open wallet on this device") < phone.index("<summary>Use another device")
    assert phone.index("<summary>Use another device") < phone.index('aria-label="QR code"')
    assert "<details class=\"other-device\">" in phone  # folded unless asked for
    desktop = page[page.index('class="handoff handoff-desktop"') :]
    assert desktop.index('aria-label="QR code"') < desktop.index("Open wallet on this device")
    kept_open = member.get(f"/auth/{request_id}?device=other").get_data(as_text=True)
    assert '<details class="other-device" open>' in kept_open


def test_cancel_ends_the_request_and_goes_back_with_the_values(app, member):
    before = balance(app)
    request_id = member.confirm_payment("Maria Garcia", "45.00", "Dinner")
    wallet_url = member.wallet_url(request_id)
    response = member.post_form(f"/auth/{request_id}/cancel", {}, token_page=f"/auth/{request_id}")
    assert response.status_code == 303
    assert response.headers["Location"] == (
        "/send?recipient=Maria+Garcia&amount=45.00&reference=Dinner"
    )
    form = member.get(response.headers["Location"]).get_data(as_text=True)
    assert "Request cancelled. Nothing was shared and nothing changed." in form
    assert 'value="Maria Garcia"' in form and 'value="45.00"' in form and 'value="Dinner"' in form
    row = stored(app, request_id)
    assert row.status == "failed" and row.result.error_info.error_type == "cancelled"
    # The wallet can no longer complete it: its page is closed and an answer is ignored.
    assert "This request is closed" in member.get(wallet_url).get_data(as_text=True)
    member.post_form(
        wallet_url.removeprefix("http://localhost"),
        {"identity": "erika", "outcome": "valid", "share": "Share"},
        token_page="/dashboard",
    )
    assert stored(app, request_id).status == "failed"
    assert balance(app) == before
    assert member.status(request_id)["title"] == "Request cancelled"


def test_cancel_needs_the_csrf_token_and_the_owner(app, member):
    request_id = member.confirm_payment("Maria Garcia", "45.00")
    assert member.client.post(f"/auth/{request_id}/cancel").status_code == 400
    stranger = app.test_client()
    token = csrf_token(stranger, "/signup")
    assert (
        stranger.post(f"/auth/{request_id}/cancel", data={"csrf_token": token}).status_code
        == 404
    )
    assert stored(app, request_id).status == "pending"


def test_cancel_after_completion_changes_nothing(app, member):
    request_id = member.confirm_payment("Maria Garcia", "45.00")
    member.wallet_answer(member.wallet_url(request_id))
    member.status(request_id)
    response = member.post_form(f"/auth/{request_id}/cancel", {}, token_page="/dashboard")
    assert response.headers["Location"] == f"/auth/{request_id}"
    assert stored(app, request_id).status == "completed"


# -- errors ----------------------------------------------------------------------------------


def test_error_details_show_what_the_verifier_said_on_the_page_and_in_the_json(member):
    request_id = member.confirm_payment("Maria Garcia", "45.00")
    member.wallet_answer(member.wallet_url(request_id), outcome="incomplete")
    status = member.status(request_id)
    assert status["error"] == {
        "type": "credential-query-evaluation",
        "title": "Credential doesn't match requirements",
        "detail": "The credential you shared does not contain everything Demo Bank asked for.",
        # the verifier's own words: which presentation and which claim
        "details": [
            "credential 'pid_sd_jwt' lacks the requested claim personal_administrative_number"
        ],
        "policy": "credential-query-evaluation",
        "hint": status["error"]["hint"],
    }
    assert "Share every requested attribute" in status["error"]["hint"]
    page = member.get(f"/auth/{request_id}").get_data(as_text=True)
    panel = page[page.index('<div id="status-error"') :]
    assert "<summary>Details</summary>" in panel
    assert "credential-query-evaluation" in panel and "Policy that failed" in panel
    assert "lacks the requested claim personal_administrative_number" in panel
    # The JSON carries the same panel the page shows.
    assert status["html"].strip() in page


def test_declined_and_mismatch_hints(member):
    declined = member.confirm_payment("Maria Garcia", "45.00")
    member.wallet_answer(member.wallet_url(declined), decline="Decline")
    page = member.get(f"/auth/{declined}").get_data(as_text=True)
    assert "choose Share in your wallet" in page and "access-denied" in page
    assert "wallet-response" in page  # the policy that failed
    mismatch = member.confirm_payment("Maria Garcia", "45.00")
    member.wallet_answer(member.wallet_url(mismatch), identity="jan")
    assert "sign in as the person whose wallet" in member.get(f"/auth/{mismatch}").get_data(
        as_text=True
    )


def test_account_exists_explains_why_and_what_to_do(member):
    member.post_form("/signout", {}, token_page="/dashboard")
    request_id = member.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    member.wallet_answer(member.wallet_url(request_id))
    page = member.get(f"/auth/{request_id}").get_data(as_text=True)
    assert "Account already exists" in page and "Sign in with it instead." in page
    assert "test identities are shared by everyone" in page and "Custom identity" in page
    assert member.status(request_id)["html"].strip() in page


# -- kept values, receipts, loans --------------------------------------------------------


def test_change_the_payment_keeps_everything(member):
    member.post_form(
        "/send", {"recipient": "Maria Garcia", "amount": "45.00", "reference": "Dinner"}
    )
    confirm = member.get("/send/confirm").get_data(as_text=True)
    assert (
        'href="/send?recipient=Maria+Garcia&amp;amount=45.00&amp;reference=Dinner">'
        "Change the payment" in confirm
    )


def test_loan_try_again_and_change_keep_the_choices(member):
    member.post_form("/loan", {"amount": "25000", "purpose": "Education", "term": "36"})
    review = member.get("/loan/review").get_data(as_text=True)
    assert 'href="/loan?amount=25000&amp;purpose=Education&amp;term=36">Change' in review
    form = member.get("/loan?amount=25000&purpose=Education&term=36").get_data(as_text=True)
    for value in ("25000", "Education", "36"):
        assert re.search(rf'<option selected value="{value}"|value="{value}" selected', form)
    assert "€25,000.00" in form and "€770." in form  # the estimate follows the choices
    request_id = member.start("/loan/review")
    member.wallet_answer(member.wallet_url(request_id), decline="Decline")
    page = member.get(f"/auth/{request_id}").get_data(as_text=True)
    assert 'href="/loan?amount=25000&amp;purpose=Education&amp;term=36">Try again' in page


def test_bad_loan_choices_in_the_url_are_ignored(member):
    form = member.get("/loan?amount=7&purpose=Yacht&term=999").get_data(as_text=True)
    assert re.search(r'<option selected value="10000"|value="10000" selected', form)


def test_receipts_show_the_new_balance_and_a_way_on(app, member):
    request_id = member.confirm_payment("Maria Garcia", "45.00")
    member.wallet_answer(member.wallet_url(request_id))
    member.status(request_id)
    page = member.get(f"/send/success/{request_id}").get_data(as_text=True)
    assert "Your balance now" in page and f">€{balance(app) // 100:,}." in page
    assert ">Send another</a>" in page and 'data-copy="transaction-id"' in page
    member.post_form("/loan", {"amount": "5000", "purpose": "Car", "term": "12"})
    loan_id = member.start("/loan/review")
    member.wallet_answer(member.wallet_url(loan_id))
    member.status(loan_id)
    loan = member.get(f"/loan/success/{loan_id}").get_data(as_text=True)
    assert ">Apply again</a>" in loan and 'data-copy="loan-reference"' in loan
    assert "What happens next" in loan and "Your balance now" in loan


def test_update_estimate_without_javascript(member):
    response = member.post_form(
        "/loan", {"amount": "50000", "purpose": "Car", "term": "48", "estimate": "1"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    expected = estimate(5_000_000, 48)
    assert f"€{expected.monthly_cents // 100:,}.{expected.monthly_cents % 100:02d}" in page
    assert f"{LOAN_RATE_PERCENT}%" in page


def test_loan_review_without_a_draft_goes_back_to_the_form(member):
    response = member.get("/loan/review")
    assert response.status_code == 302 and response.headers["Location"] == "/loan"


# -- the repayment arithmetic --------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "months", "rate", "expected"),
    [
        (1_000_000, 24, Decimal("6.9"), 44_727),  # €10,000 over 2 years: €447.27
        (500_000, 12, Decimal("6.9"), 43_240),
        (5_000_000, 48, Decimal("6.9"), 119_499),
        (1_200_000, 12, Decimal("0"), 100_000),  # no interest: equal parts
        (100, 3, Decimal("0"), 33),  # rounded to the cent
        (1_000_000, 12, Decimal("12"), 88_849),  # textbook: 1% a month
    ],
)
def test_monthly_repayment(principal, months, rate, expected):
    assert monthly_repayment_cents(principal, months, rate) == expected


def test_estimate_totals_are_whole_cents():
    figures = estimate(2_500_000, 36)
    assert figures.total_cents == figures.monthly_cents * 36
    assert figures.interest_cents == figures.total_cents - 2_500_000
    assert isinstance(figures.monthly_cents, int) and figures.rate_percent == LOAN_RATE_PERCENT


@pytest.mark.parametrize(("principal", "months"), [(0, 12), (100, 0), (-5, 12)])
def test_estimate_refuses_nonsense(principal, months):
    with pytest.raises(ValueError):
        monthly_repayment_cents(principal, months)


# -- dashboard -------------------------------------------------------------------------------


def test_dashboard_greets_and_shows_direction_and_zone(member):
    page = member.get("/dashboard").get_data(as_text=True)
    assert "<h1 class=\"greeting\">Welcome back, Erika</h1>" in page
    assert "Money out:" in page or "Money in:" in page
    assert re.search(r'activity-icon (in|out)[^"]*" aria-hidden="true">[↓↑]<', page)
    assert re.search(r"\d{2}:\d{2} UTC</time>", page)


@pytest.mark.parametrize(
    ("selected", "title", "action"),
    [("loans", "No loans yet", "Apply for a loan"), ("payments", "No payments yet", "Send money")],
)
def test_empty_state_per_filter(app, member, selected, title, action):
    from sqlalchemy import delete

    from app.database import write_transaction
    from app.models import Activity

    with app.app_context(), write_transaction():
        db.session.execute(delete(Activity))
    page = member.get(f"/dashboard?filter={selected}").get_data(as_text=True)
    assert title in page and f">{action}</a>" in page


# -- header and theme --------------------------------------------------------------------------


def test_header_for_visitors_and_customers(client, member):
    visitor = client.application.test_client().get("/guide").get_data(as_text=True)
    for link in (">Guide</a>", ">Create account</a>", ">Sign in</a>"):
        assert link in visitor
    page = member.get("/dashboard").get_data(as_text=True)
    assert 'class="chevron"' in page and ">Guide</a>" in page


def test_theme_choice_is_remembered_without_javascript(client, browser):
    response = browser.post_form("/theme", {"theme": "dark", "next": "/guide"}, token_page="/")
    assert response.status_code == 303 and response.headers["Location"] == "/guide"
    assert "theme=dark" in response.headers["Set-Cookie"]
    page = client.get("/guide").get_data(as_text=True)
    assert '<html lang="en" data-theme="dark">' in page and 'content="dark"' in page
    assert 'value="dark" class="menu-item" aria-pressed="true"' in page
    response = browser.post_form(
        "/theme", {"theme": "system", "next": "//evil.example"}, token_page="/"
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_theme_needs_csrf(client):
    assert client.post("/theme", data={"theme": "dark"}).status_code == 400


# -- the demo wallet ---------------------------------------------------------------------


def test_wallet_is_its_own_app_with_every_card(member):
    request_id = member.confirm_payment("Maria Garcia", "45.00")
    wallet = member.get(member.wallet_url(request_id)).get_data(as_text=True)
    assert 'class="wallet-app"' in wallet and "site-header" not in wallet
    assert "Reset my demo data" not in wallet  # none of the bank's chrome
    for key in ("erika", "lucia", "jan", "custom"):
        assert f'data-identity="{key}"' in wallet
    assert re.search(r'data-identity="lucia" hidden', wallet)
    assert re.search(r'data-identity="erika">', wallet)
    assert 'name="show"' in wallet


def test_wallet_show_button_renders_the_choice(app, browser):
    request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    path = browser.wallet_url(request_id).removeprefix("http://localhost")
    page = browser.post_form(
        path, {"identity": "custom", "credential_format": "mdoc", "show": "Show"}
    ).get_data(as_text=True)
    assert '<details class="custom-identity" id="custom-identity" open>' in page
    assert re.search(r'data-identity="custom">', page)
    assert re.search(r'data-format="mdoc" aria-labelledby="shared-title">', page)
    assert re.search(r'data-format="sd-jwt" aria-labelledby="shared-title" hidden', page)
    assert stored(app, request_id).status == "pending"


def test_wallet_accepts_a_lower_case_nationality(app, member):
    member.post_form("/signout", {}, token_page="/dashboard")
    request_id = member.start("/signup", {"mode": "direct_post", "credential_format": "sd-jwt"})
    member.wallet_answer(
        member.wallet_url(request_id),
        identity="custom",
        given_name="Ana",
        family_name="Silva",
        birth_date="1999-09-09",
        nationality="pt",
        personal_administrative_number="PT-555",
        credential_format="sd-jwt",
    )
    assert member.status(request_id)["status"] == "authorized"
    with app.app_context():
        assert db.session.scalar(select(User.nationality).where(User.given_name == "Ana")) == "PT"
