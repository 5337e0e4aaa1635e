"""End to end in a real browser: Debian's Chromium driven by Playwright, against the app
served by a real HTTP server in a thread, in sandbox mode."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.helpers import free_port, make_app
from tests.vidos_fake import Canned

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
pytestmark = pytest.mark.browser


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail("REQUIRE_BROWSER=1 but /usr/bin/chromium is missing (apt-get install chromium)")
    pytest.skip("Chromium not installed: apt-get install chromium to run the browser tests")


@contextmanager
def serving(database_url: str, **overrides: object) -> Iterator[str]:
    """The app on a real HTTP server in a thread; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = make_app(database_url, PUBLIC_BASE_URL=base_url, **overrides)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def browser_page(base_url: str, node: pytest.Item) -> Iterator[object]:
    """A page in headless Debian Chromium; a screenshot lands in tests/artifacts on failure."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        context = browser.new_context(base_url=base_url)
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            yield page
        finally:
            report = getattr(node, "rep_call", None)
            if report is not None and report.failed:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"{node.name}.png"), full_page=True)
            context.close()
            browser.close()


@pytest.fixture
def live_server(database_url: str) -> Iterator[str]:
    with serving(database_url, STATUS_CHECK_INTERVAL_SECONDS=1) as base_url:
        yield base_url


@pytest.fixture
def page(live_server: str, request: pytest.FixtureRequest) -> Iterator[object]:
    with browser_page(live_server, request.node) as page:
        yield page


@pytest.fixture
def vidos_page(database_url: str, fake_authorizer, request: pytest.FixtureRequest):
    """A page on a server that uses the spec-checking fake Vidos Authorizer."""
    with (
        serving(
            database_url,
            AUTHORIZER="vidos",
            VIDOS_AUTHORIZER_URL=fake_authorizer.url,
            STATUS_CHECK_INTERVAL_SECONDS=0,
        ) as base_url,
        browser_page(base_url, request.node) as page,
    ):
        yield page


def euros(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.-]", "", text))


def share_in_wallet(page, expect_text: str | None = None) -> None:
    """On the waiting page: open the demo wallet in this tab and share the first identity."""
    page.get_by_role("img", name="QR code").wait_for()
    page.get_by_role("link", name="Open wallet on this device").click()
    page.get_by_text("Simulator").wait_for()
    if expect_text:
        page.get_by_text(expect_text).wait_for()
    page.get_by_role("button", name="Share").click()


def test_a_customer_journey(page, live_server):
    # Sign up: the waiting page follows the wallet through its status polling.
    page.goto("/")
    page.get_by_role("link", name="Create account").click()
    page.get_by_role("button", name="Sign up with EUDI Wallet").click()
    page.wait_for_url(re.compile(r"/auth/[0-9a-f-]+$"))
    qr = page.get_by_role("img", name="QR code")
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 200
    wallet_url = page.get_by_role("link", name="Open wallet on this device").get_attribute("href")
    assert wallet_url.startswith(f"{live_server}/sandbox/wallet/")
    wallet = page.context.new_page()
    wallet.goto(wallet_url)
    assert wallet.get_by_label("Identity").input_value() == "erika"
    wallet.get_by_role("button", name="Share").click()
    page.wait_for_url(re.compile(r"/profile\?welcome=1$"))
    page.get_by_text("Welcome to Demo Bank").wait_for()
    wallet.close()

    # Dashboard
    page.goto("/dashboard")
    balance = euros(page.get_by_test_id("balance").inner_text())
    assert balance > 0

    # Send money, confirmed in the wallet
    page.get_by_role("link", name="Send money").click()
    page.get_by_label("Recipient").fill("Maria Garcia")
    page.get_by_label("Amount (EUR)").fill("45.00")
    page.get_by_label("Reference").fill("Dinner")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm with EUDI Wallet").click()
    share_in_wallet(page, "Pay €45.00 to Maria Garcia")
    page.wait_for_url(re.compile(r"/send/success/"))
    page.get_by_text("Payment sent").wait_for()
    page.goto("/dashboard")
    assert euros(page.get_by_test_id("balance").inner_text()) == balance - Decimal("45.00")

    # Apply for a loan
    page.get_by_role("link", name="Apply for loan").click()
    page.get_by_label("Amount").select_option("10000")
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


def test_waiting_page_shows_a_declined_request(page, live_server):
    page.goto("/signin")
    page.get_by_role("button", name="Sign in with EUDI Wallet").click()
    wallet_url = page.get_by_role("link", name="Open wallet on this device").get_attribute("href")
    wallet = page.context.new_page()
    wallet.goto(wallet_url)
    wallet.get_by_role("button", name="Decline").click()
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
