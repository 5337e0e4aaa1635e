"""The main pages of Demo Bank, each reachable by URL: `build_tour` walks a visitor and a
customer through the demo so that every page has something to show. The accessibility
test and `make screenshots` both go round it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.browser_support import pay, share_in_wallet, sign_up, wallet_link


@dataclass(frozen=True)
class Stop:
    name: str
    url: str
    visitor: bool  # seen by the signed-out visitor's page, else by the customer's


def _here(page: Any) -> str:
    url: str = page.url
    return url


def build_tour(visitor: Any, customer: Any) -> list[Stop]:
    """Set the demo up through two pages (two browsers: signed out, signed in as Erika)
    and return the main pages in the order people meet them."""
    stops = [
        Stop("landing", "/", True),
        Stop("guide", "/guide", True),
        Stop("signup", "/signup", True),
        Stop("signin", "/signin", True),
        Stop("error", "/no-such-page", True),
        Stop("admin-login", "/admin/login", True),
    ]
    sign_up(customer)
    stops.append(Stop("welcome", _here(customer), False))
    stops.append(Stop("dashboard", "/dashboard", False))

    pay(customer, "Maria Garcia", "45.00", "Dinner")
    customer.get_by_role("button", name="Confirm with EUDI Wallet").click()
    share_in_wallet(customer)
    customer.wait_for_url(re.compile(r"/send/success/"))
    stops.append(Stop("send-success", _here(customer), False))

    customer.goto("/loan")
    customer.get_by_role("button", name="Review application").click()
    customer.get_by_role("button", name="Submit application").click()
    share_in_wallet(customer)
    customer.wait_for_url(re.compile(r"/loan/success/"))
    stops.append(Stop("loan-success", _here(customer), False))

    # A payment the wallet refused: the waiting page with its error and details.
    pay(customer, "Insurance Co.", "150.00")
    customer.get_by_role("button", name="Confirm with EUDI Wallet").click()
    customer.wait_for_url(re.compile(r"/auth/[0-9a-f-]+$"))
    refused = _here(customer)
    share_in_wallet(customer, **{"Credential to present": "incomplete"})
    customer.wait_for_url(re.compile(r"/auth/[0-9a-f-]+$"))
    customer.get_by_text("Credential doesn't match requirements").wait_for()
    stops.append(Stop("waiting-error", refused, False))

    # A payment waiting for the wallet (the waiting page and the demo wallet), then drafts
    # that stay on their review pages.
    pay(customer, "Electric Company", "85.00")
    customer.get_by_role("button", name="Confirm with EUDI Wallet").click()
    customer.wait_for_url(re.compile(r"/auth/[0-9a-f-]+$"))
    stops.append(Stop("waiting", _here(customer), False))
    wallet = wallet_link(customer)
    stops.append(Stop("wallet", wallet, False))
    pay(customer, "Landlord - Rent", "1,200.00", "Rent")
    stops.append(Stop("send-confirm", "/send/confirm", False))
    customer.goto("/loan?amount=25000&purpose=Education&term=36")
    customer.get_by_role("button", name="Review application").click()
    stops.append(Stop("loan-review", "/loan/review", False))
    stops += [
        Stop("send", "/send", False),
        Stop("loan", "/loan", False),
        Stop("profile", "/profile", False),
        Stop("account-reset", "/account/reset", False),
    ]

    visitor.goto("/admin/login")
    visitor.get_by_label("Password").fill("demo")
    visitor.get_by_role("button", name="Sign in").click()
    visitor.wait_for_url(re.compile(r"/admin$"))
    stops.append(Stop("admin", "/admin", True))
    return stops
