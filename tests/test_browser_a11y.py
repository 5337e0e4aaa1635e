"""axe-core (vendored in tests/vendor) on every main page, light and dark, at 1280 and
375 px: no serious or critical violation."""

from __future__ import annotations

import pytest

from tests.browser_support import DESKTOP, PHONE, axe_violations
from tests.tour import build_tour

pytestmark = pytest.mark.browser

MAIN_PAGES = {
    "landing", "guide", "signup", "signin", "waiting", "dashboard", "send", "send-confirm",
    "send-success", "loan", "loan-review", "loan-success", "profile", "account-reset",
    "admin-login", "admin", "wallet", "error",
}  # fmt: skip


def test_main_pages_pass_axe_in_both_schemes_and_sizes(open_page, live_server):
    visitor, customer = open_page(live_server), open_page(live_server)
    stops = build_tour(visitor, customer)
    assert {stop.name for stop in stops} >= MAIN_PAGES
    problems: list[str] = []
    for stop in stops:
        page = visitor if stop.visitor else customer
        page.goto(stop.url)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for viewport in (DESKTOP, PHONE):
                page.set_viewport_size(viewport)
                problems += [
                    f"{stop.name} {scheme} {viewport['width']}px: {violation}"
                    for violation in axe_violations(page)
                ]
    assert problems == [], "\n".join(problems)


def test_axe_finds_a_planted_violation(page):
    """The check itself works: an image without alternative text is caught."""
    page.goto("/guide")
    page.evaluate(
        "document.querySelector('main').append(Object.assign(document.createElement('input'),"
        " {type: 'image', src: '/static/img/logo.svg'}))"
    )
    assert any(v.startswith("input-image-alt") for v in axe_violations(page))
