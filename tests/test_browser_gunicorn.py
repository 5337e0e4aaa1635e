"""The browser journey against the app as deployed: gunicorn with the project's
gunicorn.conf.py and 2 worker processes, the local verifier and the demo wallet
(AUTHORIZER=sandbox), the wallet calling the verifier over real HTTP. Every request may
land on the other worker, so nothing a flow needs may live in one process's memory.

One server per database (SQLite file, and PostgreSQL when TEST_DATABASE_URL is set), each
test starting from an admin reset. The full journey runs once per database with
JavaScript and the wallet in a new tab of the same browser; shorter legs cover the page
without JavaScript (the waiting page refreshes itself) and the wallet in a second browser
(no session cookie there: the first browser's waiting page finishes by polling or by
refreshing), and the wallet's tampered and replayed simulations.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import (
    TIMEOUT_MS,
    euros,
    fill_payment,
    new_page,
    on_waiting_page,
    pay,
    share_in_new_tab,
    share_in_wallet,
    wallet_link,
)
from tests.conftest import truncate_postgres
from tests.helpers import Gunicorn

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "gunicorn-browser-admin-password"
WELCOME = re.compile(r"/profile\?welcome=1$")
# no-JavaScript waiting pages refresh every 3 s (a <noscript> meta refresh)
REFRESH_WAIT_MS = 3 * TIMEOUT_MS


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """gunicorn (gunicorn.conf.py, 2 workers) on a migrated database; yields its URL."""
    folder = tmp_path_factory.mktemp(f"gunicorn-{request.param}")
    if request.param == "sqlite":
        shutil.copyfile(sqlite_template, folder / "demobank.db")
        database_url = f"sqlite:///{folder / 'demobank.db'}"
    else:
        url = request.getfixturevalue("postgres_migrated")
        if url is None:
            pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
        truncate_postgres(url)
        database_url = str(url)
    env = {
        "DATABASE_URL": database_url,
        "AUTO_MIGRATE": "0",
        "SECRET_KEY": "gunicorn-browser-test-secret-key-0123456789",
        "AUTHORIZER": "sandbox",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        # per-worker memory limits; the module makes more starts than a person would
        "RATELIMIT_VERIFICATIONS": "1000 per minute",
        "RATELIMIT_CALLBACKS": "1000 per minute",
        "RATELIMIT_VERIFIER": "1000 per minute",
        "RATELIMIT_ADMIN_LOGIN": "1000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    with Gunicorn(env, folder / "gunicorn.log", workers=2) as gunicorn:
        yield gunicorn.url
        log = gunicorn.log
    assert not re.search(r"Traceback|\[CRITICAL\]|WORKER TIMEOUT", log), log[-5000:]


@pytest.fixture
def base_url(server: str, chromium_browser: Any) -> str:
    """The server, with all demo data deleted from its admin page first."""
    admin_reset(chromium_browser, server)
    return server


def admin_reset(browser: Any, url: str) -> None:
    """Sign in to the admin page in a browser of its own and reset all demo data."""
    page = new_page(browser, url)
    try:
        page.goto("/admin/login")
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/admin$"))
        page.get_by_role("link", name="Reset all demo data").click()
        page.get_by_role("button", name="Reset all demo data").click()
        page.get_by_text("All demo data was deleted.").wait_for()
        assert page.get_by_test_id("stat-users").inner_text() == "0"
    finally:
        page.context.close()


def share_in_other_browser(
    page: Any, open_page: Any, base_url: str, expect_text: str | None = None, **context: Any
) -> Any:
    """On the waiting page: open the wallet link in a second browser (no cookies of the
    first) and share; returns the wallet page, left on the bank's "Confirmed" page."""
    wallet = open_page(base_url, **context)
    wallet.goto(wallet_link(page))
    if expect_text:
        wallet.get_by_text(expect_text).wait_for()
    wallet.get_by_role("button", name="Share").click()
    wallet.wait_for_url(re.compile(r"/callback\?response_code="))
    wallet.get_by_role("heading", name="Confirmed").wait_for()
    return wallet


def test_the_journey_on_two_workers(open_page, base_url):
    """With JavaScript, the wallet in a new tab: the waiting page follows by polling."""
    page = open_page(base_url)

    # Sign up
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Create account").click()
    page.get_by_role("button", name="Sign up with EUDI Wallet").click()
    on_waiting_page(page)
    assert wallet_link(page).startswith(f"{base_url}/sandbox/wallet/")
    wallet = share_in_new_tab(page)
    page.wait_for_url(WELCOME)
    page.get_by_text("Welcome to Demo Bank").wait_for()
    wallet.close()

    # Dashboard, over several requests (either worker)
    for _ in range(3):
        page.goto("/dashboard")
        page.get_by_role("heading", name="Welcome back, Erika").wait_for()
    balance = euros(page.get_by_test_id("balance").inner_text())
    assert balance > 0

    # Payment
    page.get_by_role("link", name="Send money").click()
    fill_payment(page, "Maria Garcia", "45.00", "Dinner")
    page.get_by_role("button", name="Confirm with EUDI Wallet").click()
    page.get_by_text("Confirm it is you to send €45.00 to Maria Garcia").wait_for()
    wallet = share_in_new_tab(page, "Pay €45.00 to Maria Garcia")
    page.wait_for_url(re.compile(r"/send/success/"))
    page.get_by_text("Payment sent").wait_for()
    assert euros(page.get_by_test_id("new-balance").inner_text()) == balance - Decimal("45.00")
    wallet.close()
    page.get_by_role("link", name="Back to dashboard").click()
    assert euros(page.get_by_test_id("balance").inner_text()) == balance - Decimal("45.00")

    # Loan
    page.get_by_role("link", name="Apply for loan").click()
    page.get_by_label("Amount").select_option("10000")
    page.get_by_role("button", name="Review application").click()
    page.get_by_role("heading", name="Check your application").wait_for()
    page.get_by_role("button", name="Submit application").click()
    wallet = share_in_new_tab(page, "Apply for a loan of €10,000.00")
    page.wait_for_url(re.compile(r"/loan/success/"))
    page.get_by_text(re.compile(r"LN-[0-9A-F]{8}")).wait_for()
    wallet.close()
    page.goto("/dashboard")
    assert page.get_by_test_id("pending-loans").inner_text() == "€10,000.00"

    # Profile update from the wallet
    page.goto("/profile")
    page.get_by_label("Email").check()
    page.get_by_role("button", name="Update from wallet").click()
    wallet = share_in_new_tab(page)
    page.wait_for_url(re.compile(r"/profile\?update="))
    page.get_by_text("Profile updated from your wallet: Email.").wait_for()
    page.get_by_text("erika.mustermann@example.de").wait_for()
    wallet.close()

    # Sign out, then sign in again
    page.locator("summary", has_text="Erika Mustermann").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base_url}/")
    page.goto("/dashboard")
    page.wait_for_url(re.compile(r"/signin"))
    page.get_by_role("button", name="Sign in with EUDI Wallet").click()
    wallet = share_in_new_tab(page)
    page.wait_for_url(re.compile(r"/dashboard$"))
    page.get_by_role("heading", name="Welcome back, Erika").wait_for()
    wallet.close()

    # Reset my demo data, then all demo data from the admin page
    page.locator("summary", has_text="Erika Mustermann").click()
    page.get_by_role("link", name="Reset my demo data").click()
    page.get_by_role("button", name="Yes, reset my data").click()
    page.get_by_text("Your demo data was reset.").wait_for()
    admin_reset(page.context.browser, base_url)
    page.goto("/dashboard")
    page.wait_for_url(re.compile(r"/signin"))  # the reset ended the login


def test_without_javascript_the_waiting_page_refreshes_itself(open_page, base_url):
    """No JavaScript, the wallet in a new tab: the waiting page's own refresh finishes."""
    page = open_page(base_url, java_script_enabled=False)
    page.goto("/signup")
    page.get_by_role("button", name="Sign up with EUDI Wallet").click()
    on_waiting_page(page)
    wallet = share_in_new_tab(page, Identity="lucia")
    wallet.wait_for_url(WELCOME)  # the wallet tab, signed in by the bank's redirect
    page.wait_for_url(WELCOME, timeout=REFRESH_WAIT_MS)
    wallet.close()

    page.goto("/dashboard")
    balance = euros(page.get_by_test_id("balance").inner_text())
    page.get_by_role("link", name="Send money").click()
    fill_payment(page, "Maria Garcia", "12.50")
    page.get_by_role("button", name="Confirm with EUDI Wallet").click()
    # this time the wallet in the same tab: its redirect leads on
    share_in_wallet(page, "Pay €12.50 to Maria Garcia", Identity="lucia")
    page.wait_for_url(re.compile(r"/send/success/"))
    assert euros(page.get_by_test_id("new-balance").inner_text()) == balance - Decimal("12.50")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_wallet_in_a_second_browser(open_page, base_url, javascript):
    """The wallet's browser has no session cookie of the first: the bank shows it
    "Confirmed", and the first browser's waiting page finishes by polling (JavaScript) or
    by refreshing itself (none)."""
    page = open_page(base_url, java_script_enabled=javascript)
    wait_ms = TIMEOUT_MS if javascript else REFRESH_WAIT_MS
    page.goto("/signup")
    page.get_by_role("button", name="Sign up with EUDI Wallet").click()
    on_waiting_page(page)
    share_in_other_browser(page, open_page, base_url, java_script_enabled=javascript)
    page.wait_for_url(WELCOME, timeout=wait_ms)
    page.get_by_text("Welcome to Demo Bank").wait_for()

    pay(page, "Ola Nordmann", "7.50")
    page.get_by_role("button", name="Confirm with EUDI Wallet").click()
    on_waiting_page(page)
    share_in_other_browser(page, open_page, base_url, "Pay €7.50 to Ola Nordmann")
    page.wait_for_url(re.compile(r"/send/success/"), timeout=wait_ms)
    page.get_by_text("Payment sent").wait_for()


def test_the_wallet_simulations(open_page, base_url):
    """Tampered: the bank refuses and says so. Replayed: the bank refuses the answer, the
    wallet says so, and the request stays open for a genuine one."""
    page = open_page(base_url)
    page.goto("/signup")
    page.get_by_role("button", name="Sign up with EUDI Wallet").click()
    share_in_wallet(page)
    page.wait_for_url(WELCOME)

    def start_payment(amount: str) -> str:
        pay(page, "Maria Garcia", amount)
        page.get_by_role("button", name="Confirm with EUDI Wallet").click()
        on_waiting_page(page)
        return str(page.url.rsplit("/", 1)[-1])

    # tampered: the wallet's redirect brings the bank's verdict
    start_payment("5.00")
    share_in_wallet(page, "Pay €5.00 to Maria Garcia", **{"Credential to present": "tampered"})
    page.get_by_text("Credential was changed").wait_for()
    assert page.get_by_role("link", name="Try again").is_visible()

    # replayed: refused at the response endpoint, shown in the wallet
    request_id = start_payment("6.00")
    wallet = share_in_new_tab(
        page, "Pay €6.00 to Maria Garcia", **{"Credential to present": "replayed"}
    )
    wallet.get_by_role("alert").get_by_text("Demo Bank refused the answer").wait_for()
    status = page.request.get(f"/auth/{request_id}/status").json()
    assert status["status"] == "pending", status
    assert page.get_by_role("button", name="Cancel").is_visible()
    # still open: a genuine answer from the same wallet screen completes it
    wallet.get_by_label("Credential to present", exact=True).select_option("valid")
    wallet.get_by_role("button", name="Share").click()
    page.wait_for_url(re.compile(rf"/send/success/{request_id}$"))
    page.get_by_text("Payment sent").wait_for()
