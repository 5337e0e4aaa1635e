"""The issue's user-experience promises in a real browser: layout order on a 375 px phone,
Cancel, kept form values, the repayment estimate, error details, the theme choice, the
header menus and the demo wallet following its selects."""

from __future__ import annotations

import re

import pytest

from app.banking.loans import estimate
from app.money import format_cents
from tests.browser_support import (
    PHONE,
    on_waiting_page,
    open_wallet,
    pay,
    share_in_new_tab,
    share_in_wallet,
    sign_up,
    wallet_link,
)

pytestmark = pytest.mark.browser
DARK_BG = "rgb(13, 17, 23)"
LIGHT_BG = "rgb(247, 248, 250)"


def top(locator) -> float:
    box = locator.bounding_box()
    assert box is not None, locator
    return float(box["y"])


@pytest.fixture
def phone(open_page, live_server):
    return open_page(live_server, viewport=PHONE)


@pytest.mark.parametrize(("path", "button"), [("/signup", "Sign up"), ("/signin", "Sign in")])
def test_phone_start_pages_lead_with_the_wallet_button(phone, path, button):
    phone.goto(path)
    wallet_button = phone.get_by_role("button", name=f"{button} with EUDI Wallet")
    assert top(wallet_button) + 44 <= PHONE["height"], "the button is below the fold"
    assert top(wallet_button) < top(phone.get_by_role("heading", name="The traditional way"))


def test_phone_waiting_page_leads_with_this_device(phone):
    sign_up(phone)
    pay(phone, "Maria Garcia", "45.00")
    phone.get_by_role("button", name="Confirm with EUDI Wallet").click()
    on_waiting_page(phone)
    open_here = phone.get_by_role("link", name="Open wallet on this device")
    assert top(open_here) + 44 <= PHONE["height"]
    qr = phone.get_by_role("img", name="QR code")
    assert qr.count() == 0  # folded away (and the desktop one is not shown)
    phone.get_by_text("Use another device").click()
    assert qr.count() == 1 and top(qr) > top(open_here)
    phone.set_viewport_size({"width": 1280, "height": 800})
    desktop_qr = phone.get_by_role("img", name="QR code")
    assert desktop_qr.count() == 1
    assert top(desktop_qr) < top(phone.get_by_role("link", name="Open wallet on this device"))


def test_phone_send_form_comes_before_the_payees(phone):
    sign_up(phone)
    phone.goto("/send")
    assert top(phone.get_by_label("Recipient")) < top(phone.get_by_text("Recent payees"))
    assert top(phone.get_by_role("button", name="Continue")) < top(
        phone.get_by_role("link", name=re.compile("Landlord"))
    )


def test_cancel_goes_back_with_the_values_and_the_wallet_is_closed(page):
    sign_up(page)
    pay(page, "Maria Garcia", "45.00", "Dinner")
    page.get_by_role("button", name="Confirm with EUDI Wallet").click()
    wallet_url = wallet_link(page)
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(re.compile(r"/send\?"))
    page.get_by_text("Request cancelled.").wait_for()
    assert page.get_by_label("Recipient").input_value() == "Maria Garcia"
    assert page.get_by_label("Amount (EUR)").input_value() == "45.00"
    assert page.get_by_label("Reference").input_value() == "Dinner"
    page.goto(wallet_url)
    page.get_by_text("This request is closed").wait_for()


def test_try_again_and_change_keep_what_was_typed(page):
    sign_up(page)
    pay(page, "Maria Garcia", "45.00", "Dinner")
    page.get_by_role("link", name="Change the payment").click()
    assert page.get_by_label("Reference").input_value() == "Dinner"
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm with EUDI Wallet").click()
    open_wallet(page)
    page.get_by_role("button", name="Decline").click()
    page.get_by_text("Request declined").wait_for()
    page.get_by_role("link", name="Try again").click()
    assert page.get_by_label("Recipient").input_value() == "Maria Garcia"
    assert page.get_by_label("Amount (EUR)").input_value() == "45.00"
    assert page.get_by_label("Reference").input_value() == "Dinner"

    page.goto("/loan")
    page.get_by_label("Amount").select_option("25000")
    page.get_by_label("Purpose").select_option("Education")
    page.get_by_label("Term").select_option("36")
    page.get_by_role("button", name="Review application").click()
    page.get_by_role("link", name="Change the application").click()
    assert page.get_by_label("Amount").input_value() == "25000"
    assert page.get_by_label("Purpose").input_value() == "Education"
    assert page.get_by_label("Term").input_value() == "36"


def test_repayment_estimate_follows_amount_and_term(page):
    sign_up(page)
    page.goto("/loan")
    monthly = page.get_by_test_id("monthly-repayment")
    assert monthly.inner_text() == format_cents(estimate(1_000_000, 24).monthly_cents)
    assert not page.get_by_role("button", name="Update estimate").is_visible()  # JS does it
    page.get_by_label("Amount").select_option("50000")
    page.get_by_label("Term").select_option("48")
    assert monthly.inner_text() == format_cents(estimate(5_000_000, 48).monthly_cents)
    page.get_by_text("6.9% interest rate per year").wait_for()


def test_error_details_are_the_same_live_and_after_a_reload(page):
    sign_up(page)
    pay(page, "Maria Garcia", "45.00")
    page.get_by_role("button", name="Confirm with EUDI Wallet").click()
    waiting_url = page.url
    share_in_new_tab(page, **{"Credential to present": "untrusted"})
    page.get_by_text("Credential issuer not trusted").wait_for()  # drawn by waiting.js
    page.get_by_text("Details", exact=True).click()
    page.get_by_text("trusted-issuer-untrusted").first.wait_for()
    live = page.locator("#status-error").inner_text()
    assert "Policy that failed" in live and "trusted issuers only" in live
    page.goto(waiting_url)
    page.get_by_text("Details", exact=True).click()
    assert page.locator("#status-error").inner_text() == live


def test_theme_choice_is_applied_at_once_and_remembered(page):
    page.emulate_media(color_scheme="light")
    page.goto("/guide")
    page.evaluate("window.sameDocument = true")  # gone if a click reloads the page
    body = page.locator("body")
    assert body.evaluate("e => getComputedStyle(e).backgroundColor") == LIGHT_BG
    page.locator("details.theme-menu summary").click()
    page.get_by_role("button", name="Dark").click()
    assert page.locator("html").get_attribute("data-theme") == "dark"
    assert body.evaluate("e => getComputedStyle(e).backgroundColor") == DARK_BG
    assert page.evaluate("window.sameDocument === true")  # applied without a reload
    page.reload()
    assert body.evaluate("e => getComputedStyle(e).backgroundColor") == DARK_BG
    # Light wins over a dark device; System follows the device again.
    page.emulate_media(color_scheme="dark")
    page.locator("details.theme-menu summary").click()
    page.get_by_role("button", name="Light").click()
    assert body.evaluate("e => getComputedStyle(e).backgroundColor") == LIGHT_BG
    page.locator("details.theme-menu summary").click()
    page.get_by_role("button", name="System").click()
    assert page.locator("html").get_attribute("data-theme") is None
    assert body.evaluate("e => getComputedStyle(e).backgroundColor") == DARK_BG
    page.reload()
    assert page.locator("html").get_attribute("data-theme") is None


def test_header_menus_close_with_escape(page):
    sign_up(page)
    page.goto("/dashboard")
    menu = page.locator("details.account-menu")
    assert page.locator("details.account-menu .chevron").is_visible()
    page.locator("summary", has_text="Erika Mustermann").click()
    assert menu.evaluate("e => e.open")
    page.get_by_role("link", name="Reset my demo data").wait_for()
    page.keyboard.press("Escape")
    assert not menu.evaluate("e => e.open")
    assert page.evaluate("document.activeElement.closest('summary') !== null")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Guide").click()
    page.wait_for_url(re.compile(r"/guide$"))


def test_copy_button_copies_the_reference(open_page, live_server):
    page = open_page(live_server, permissions=["clipboard-read", "clipboard-write"])
    sign_up(page)
    pay(page, "Maria Garcia", "45.00")
    page.get_by_role("button", name="Confirm with EUDI Wallet").click()
    share_in_wallet(page)
    page.wait_for_url(re.compile(r"/send/success/"))
    reference = page.locator("#transaction-id").inner_text()
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == reference


def test_activity_times_show_their_zone(open_page, live_server):
    """The server writes UTC; the page shows the visitor's own time and says which."""
    page = open_page(live_server, timezone_id="Asia/Tokyo", locale="en-GB")
    sign_up(page)
    page.goto("/dashboard")
    first = page.locator("time[data-local-time]").first.inner_text()
    assert "UTC" not in first and re.search(r"GMT\+9|JST", first), first


def test_wallet_card_and_list_follow_the_selects(page):
    page.goto("/signup")
    page.get_by_text("Connection and credential format").click()
    page.get_by_label("Any").check()
    page.get_by_role("button", name="Sign up with EUDI Wallet").click()
    open_wallet(page)
    assert not page.get_by_role("button", name="Show").is_visible()  # JS follows the selects
    card = page.locator(".credential-card:visible")
    assert "Erika Mustermann" in card.inner_text()
    page.get_by_label("Identity", exact=True).select_option("jan")
    assert "Jan" in page.locator(".credential-card:visible").inner_text()
    shared = page.locator(".checklist:visible")
    assert shared.get_attribute("data-format") == "sd-jwt"
    page.get_by_label("Credential format").select_option("mdoc")
    assert page.locator(".checklist:visible").get_attribute("data-format") == "mdoc"
    # Custom identity opens its fields, and the card follows the name typed in.
    page.get_by_label("Identity", exact=True).select_option("custom")
    assert page.locator("#custom-identity").evaluate("e => e.open")
    page.get_by_label("Given name").fill("Ana")
    page.get_by_label("Family name").fill("Silva")
    assert "Ana Silva" in page.locator(".credential-card:visible").inner_text()
    page.get_by_label("Personal administrative number").fill("PT-555")
    page.get_by_label("Date of birth").fill("1999-09-09")
    page.get_by_label("Nationality").fill("pt")
    page.get_by_role("button", name="Share").click()
    page.wait_for_url(re.compile(r"/profile\?welcome=1$"))
    page.get_by_text("Ana Silva").first.wait_for()
