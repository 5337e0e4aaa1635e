"""End to end in a real browser: Debian's Chromium driven by Playwright, against the app
served by a real HTTP server in a thread, in sandbox mode. The whole journey runs with
JavaScript and again without it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.browser_support import (
    euros,
    fill_payment,
    on_waiting_page,
    open_wallet,
    serving,
    share_in_new_tab,
    share_in_wallet,
    wallet_in_new_tab,
    wallet_link,
)
from tests.vidos_fake import Canned

pytestmark = pytest.mark.browser


@pytest.fixture
def vidos_page(database_url, fake_authorizer, open_page):
    """A page on a server that uses the spec-checking fake Vidos Authorizer."""
    with serving(
        database_url,
        AUTHORIZER="vidos",
        VIDOS_AUTHORIZER_URL=fake_authorizer.url,
        STATUS_CHECK_INTERVAL_SECONDS=0,
    ) as base_url:
        yield open_page(base_url)


def test_a_customer_journey(page, live_server):
    # Sign up: the waiting page follows the wallet through its status polling.
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Create account").click()
    page.get_by_role("button", name="Sign up with EUDI Wallet").click()
    on_waiting_page(page)
    qr = page.get_by_role("img", name="QR code")
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 200
    assert wallet_link(page).startswith(f"{live_server}/sandbox/wallet/")
    wallet = wallet_in_new_tab(page)
    assert wallet.get_by_label("Identity").input_value() == "erika"
    wallet.get_by_role("button", name="Share").click()
    page.wait_for_url(re.compile(r"/profile\?welcome=1$"))
    page.get_by_text("Welcome to Demo Bank").wait_for()
    wallet.close()

    # Dashboard
    page.goto("/dashboard")
    page.get_by_role("heading", name="Welcome back, Erika").wait_for()
    balance = euros(page.get_by_test_id("balance").inner_text())
    assert balance > 0

    # Send money, reviewed, then confirmed in the wallet
    page.get_by_role("link", name="Send money").click()
    fill_payment(page, "Maria Garcia", "45.00", "Dinner")
    page.get_by_role("button", name="Confirm with EUDI Wallet").click()
    page.get_by_text("Confirm it is you to send €45.00 to Maria Garcia").wait_for()
    share_in_wallet(page, "Pay €45.00 to Maria Garcia")
    page.wait_for_url(re.compile(r"/send/success/"))
    page.get_by_text("Payment sent").wait_for()
    assert euros(page.get_by_test_id("new-balance").inner_text()) == balance - Decimal("45.00")
    page.get_by_role("link", name="Back to dashboard").click()
    assert euros(page.get_by_test_id("balance").inner_text()) == balance - Decimal("45.00")

    # Apply for a loan: choose, review, confirm
    page.get_by_role("link", name="Apply for loan").click()
    page.get_by_label("Amount").select_option("10000")
    page.get_by_role("button", name="Review application").click()
    page.get_by_role("heading", name="Check your application").wait_for()
    page.get_by_role("button", name="Submit application").click()
    share_in_wallet(page, "Apply for a loan of €10,000.00")
    page.wait_for_url(re.compile(r"/loan/success/"))
    page.get_by_text(re.compile(r"LN-[0-9A-F]{8}")).wait_for()
    page.goto("/dashboard")
    assert page.get_by_test_id("pending-loans").inner_text() == "€10,000.00"

    # Sign out from the account menu, then sign in again
    page.locator("summary", has_text="Erika Mustermann").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/")
    page.goto("/dashboard")
    page.wait_for_url(re.compile(r"/signin"))
    page.get_by_role("button", name="Sign in with EUDI Wallet").click()
    share_in_wallet(page)
    page.wait_for_url(re.compile(r"/dashboard$"))

    # Update the profile from the wallet
    page.goto("/profile")
    page.get_by_label("Email").check()
    page.get_by_role("button", name="Update from wallet").click()
    share_in_wallet(page)
    page.wait_for_url(re.compile(r"/profile\?update="))
    page.get_by_text("Profile updated from your wallet: Email.").wait_for()
    page.get_by_text("erika.mustermann@example.de").wait_for()

    # Reset my demo data
    page.locator("summary", has_text="Erika Mustermann").click()
    page.get_by_role("link", name="Reset my demo data").click()
    page.get_by_role("button", name="Yes, reset my data").click()
    page.get_by_text("Your demo data was reset.").wait_for()


def test_the_journey_without_javascript(open_page, live_server):
    """Every step works with JavaScript off: the wallet's return path leads on, forms post,
    the theme menu posts, the estimate has its own button, the wallet its "Show"."""
    page = open_page(live_server, java_script_enabled=False)
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Create account").click()
    page.get_by_role("button", name="Sign up with EUDI Wallet").click()
    page.wait_for_url(re.compile(r"/auth/[0-9a-f-]+$"))
    open_wallet(page)
    page.get_by_label("Identity", exact=True).select_option("lucia")
    page.get_by_role("button", name="Show").click()
    page.locator('[data-identity="lucia"]').get_by_text("Lucía Fernández").wait_for()
    assert not page.locator('[data-identity="erika"]').is_visible()
    page.get_by_role("button", name="Share").click()
    page.wait_for_url(re.compile(r"/profile\?welcome=1$"))
    page.get_by_role("link", name="Go to your dashboard").click()
    balance = euros(page.get_by_test_id("balance").inner_text())

    # Theme menu: a form post that sets the cookie
    page.locator("summary", has_text="Theme").click()
    page.get_by_role("button", name="Dark").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert page.locator("html").get_attribute("data-theme") == "dark"

    # Payment
    page.get_by_role("link", name="Send money").click()
    fill_payment(page, "Maria Garcia", "45.00")
    page.get_by_role("button", name="Confirm with EUDI Wallet").click()
    share_in_wallet(page, "Pay €45.00 to Maria Garcia", Identity="lucia")
    page.wait_for_url(re.compile(r"/send/success/"))
    assert euros(page.get_by_test_id("new-balance").inner_text()) == balance - Decimal("45.00")
    assert not page.get_by_role("button", name=re.compile("^Copy")).is_visible()
    assert page.locator("#transaction-id").inner_text().startswith("txn-")

    # Loan: the estimate updates with its own button
    page.get_by_role("link", name="Back to dashboard").click()
    page.get_by_role("link", name="Apply for loan").click()
    before = page.get_by_test_id("monthly-repayment").inner_text()
    page.get_by_label("Term").select_option("48")
    page.get_by_role("button", name="Update estimate").click()
    assert page.get_by_test_id("monthly-repayment").inner_text() != before
    assert page.get_by_label("Term").input_value() == "48"
    page.get_by_role("button", name="Review application").click()
    page.get_by_role("button", name="Submit application").click()
    share_in_wallet(page, Identity="lucia")
    page.wait_for_url(re.compile(r"/loan/success/"))
    page.get_by_text("48 months").wait_for()

    # Cancel on the waiting page
    page.goto("/profile")
    page.get_by_label("Email").check()
    page.get_by_role("button", name="Update from wallet").click()
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(re.compile(r"/profile$"))
    page.get_by_text("Request cancelled.").wait_for()


def test_waiting_page_shows_a_declined_request(page, live_server):
    page.goto("/signin")
    page.get_by_role("button", name="Sign in with EUDI Wallet").click()
    share_in_new_tab(page, button="Decline")
    page.get_by_text("Request declined").wait_for()
    assert page.get_by_role("link", name="Try again").is_visible()


def test_pages_have_no_console_errors_and_fit_a_small_phone(page, live_server):
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/", "/signup", "/signin", "/guide", "/admin/login"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, (path, width)
    assert errors == []


def test_waiting_page_rides_out_an_authorizer_outage(vidos_page, fake_authorizer):
    page = vidos_page
    api = "/openid4/vp/v1_0"
    fake_authorizer.on(
        "POST",
        f"{api}/authorizations",
        Canned(
            201,
            {
                "authorizationId": "a-1",
                "expiresAt": "2030-01-01T00:00:00Z",
                "nonce": "n",
                "authorizeUrl": "openid4vp://?request_uri=x",
                "authorizationEndpoint": "openid4vp://",
            },
        ),
    )
    status_path = f"{api}/authorizations/a-1/status"
    fake_authorizer.on("GET", status_path, Canned(200, {"status": "pending"}))
    page.goto("/signup")
    # "Browser wallet" is offered exactly when this browser has the DC API.
    supported = page.evaluate("typeof window.DigitalCredential !== 'undefined'")
    assert page.locator('input[value="dc_api"]').is_enabled() == supported
    page.get_by_role("button", name="Sign up with EUDI Wallet").click()
    on_waiting_page(page)
    page.get_by_role("img", name="QR code").wait_for()
    fake_authorizer.on("GET", status_path, Canned(500, {"message": "down"}))
    page.get_by_text("The identity service is unavailable right now").wait_for()
    fake_authorizer.on("GET", status_path, Canned(200, {"status": "authorized"}))
    claims = {
        "family_name": "Rossi",
        "given_name": "Mario",
        "personal_administrative_number": "IT-1",
    }
    credential = {
        "path": [0],
        "format": "dc+sd-jwt",
        "credentialType": "urn:eudi:pid:1",
        "claims": claims,
    }
    fake_authorizer.on(
        "GET",
        f"{api}/authorizations/a-1/credentials",
        Canned(200, {"authorizationId": "a-1", "credentials": [credential]}),
    )
    page.wait_for_url(re.compile(r"/profile\?welcome=1$"))
    page.get_by_text("Welcome to Demo Bank").wait_for()
