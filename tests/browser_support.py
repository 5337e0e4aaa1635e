"""What the browser tests and `make screenshots` share: Debian's Chromium driven by
Playwright (never a browser Playwright downloads), the app on a real HTTP server in a
thread, and the steps people take through the demo wallet."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.helpers import free_port, make_app

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 667}
TIMEOUT_MS = 15_000


def require_browser() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(
            f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing "
            "(apt-get install chromium, or set CHROMIUM_PATH)"
        )
    pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH")


@contextmanager
def serving(database_url: str, **overrides: object) -> Iterator[str]:
    """The app on a real HTTP server in a thread; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # the demo wallet calls the verifier over real HTTP, as a phone wallet would
    overrides = {"DEMO_WALLET_TRANSPORT": "http", **overrides}
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
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Any, base_url: str, **context_options: Any) -> Any:
    """A page in a fresh context (its own cookies), desktop-sized unless told otherwise."""
    options = {"viewport": DESKTOP, **context_options}
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def euros(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.-]", "", text))


def on_waiting_page(page: Any) -> None:
    """Wait until the waiting page is loaded with its stylesheet: which of its two ways to
    the wallet shows (phone or desktop) is decided by CSS."""
    page.wait_for_url(re.compile(r"/auth/[0-9a-f-]+(\?.*)?$"))
    page.wait_for_load_state("load")


def wallet_link(page: Any) -> str:
    """The waiting page's link to the wallet."""
    on_waiting_page(page)
    href: str = page.get_by_role("link", name="Open wallet on this device").get_attribute("href")
    return href


def open_wallet(page: Any) -> None:
    """On the waiting page: open the demo wallet in this tab, by whichever way this screen
    size leads with."""
    on_waiting_page(page)
    page.get_by_role("link", name="Open wallet on this device").click()
    page.get_by_text("Simulator").wait_for()


def share_in_wallet(page: Any, expect_text: str | None = None, **choices: str) -> None:
    """On the waiting page: open the demo wallet in this tab and share (the first identity,
    unless `identity=` names another)."""
    open_wallet(page)
    if expect_text:
        page.get_by_text(expect_text).wait_for()
    for label, value in choices.items():
        page.get_by_label(label, exact=True).select_option(value)
    page.get_by_role("button", name="Share").click()


def wallet_in_new_tab(page: Any) -> Any:
    """On the waiting page: open the wallet link in a new tab of the same browser (as a
    person does with a second tab or a phone's browser); returns the wallet tab."""
    wallet = page.context.new_page()
    wallet.goto(wallet_link(page))
    # the link leads to the OpenID4VP request: client id and request URI (5.10)
    assert re.search(r"/sandbox/wallet\?client_id=x509_hash%3A.+&request_uri=", wallet.url)
    return wallet


def share_in_new_tab(
    page: Any, expect_text: str | None = None, *, button: str = "Share", **choices: str
) -> Any:
    """On the waiting page: open the wallet link in a new tab of the same browser and share
    (or press `button=`, e.g. "Decline"); returns the wallet tab (it follows the bank's
    redirect after the answer)."""
    wallet = wallet_in_new_tab(page)
    if expect_text:
        wallet.get_by_text(expect_text).wait_for()
    for label, value in choices.items():
        wallet.get_by_label(label, exact=True).select_option(value)
    wallet.get_by_role("button", name=button).click()
    return wallet


def sign_up(page: Any, identity: str = "erika") -> None:
    """From anywhere: create an account in the demo wallet and land on the welcome page."""
    page.goto("/signup")
    page.get_by_role("button", name="Sign up with EUDI Wallet").click()
    page.wait_for_url(re.compile(r"/auth/[0-9a-f-]+$"))
    share_in_wallet(page, Identity=identity)
    page.wait_for_url(re.compile(r"/profile\?welcome=1$"))


def fill_payment(page: Any, recipient: str, amount: str, reference: str = "") -> None:
    """On the payment form: fill it in and go on (Continue)."""
    page.get_by_label("Recipient").fill(recipient)
    page.get_by_label("Amount (EUR)").fill(amount)
    page.get_by_label("Reference").fill(reference)
    page.get_by_role("button", name="Continue").click()


def pay(page: Any, recipient: str, amount: str, reference: str = "") -> None:
    """Fill the payment form and go on to the review page."""
    page.goto("/send")
    fill_payment(page, recipient, amount, reference)
    page.wait_for_url(re.compile(r"/send/confirm$"))


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of these impacts on the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # evaluated by the driver: the page's CSP allows it
    results = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)})))"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} {json.dumps(v['nodes'])}"
        for v in results
        if v["impact"] in impacts
    ]
