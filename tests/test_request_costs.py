"""What a request costs the database, asserted by counting statements (never by timing:
the figures come from benchmarks/requests.py and benchmarks/payments.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.extensions import db
from app.flows.views import qr_svg
from tests.helpers import Browser, make_app

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|BEGIN IMMEDIATE)", re.IGNORECASE)


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """Every SQL statement the app runs inside the block."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def slow_checks_app(database_url):
    """An app that asks the authorizer at most once an hour per request."""
    return make_app(database_url, STATUS_CHECK_INTERVAL_SECONDS=3600)


def pending_payment(app) -> tuple[Browser, str]:
    browser = Browser(app.test_client())
    browser.signup()
    request_id = browser.confirm_payment("Maria Garcia", "1.00")
    assert browser.status(request_id)["status"] == "pending"  # this one checks
    return browser, request_id


def test_a_poll_that_is_not_due_writes_nothing(slow_checks_app):
    browser, request_id = pending_payment(slow_checks_app)
    with statements(slow_checks_app) as seen:
        for _ in range(5):
            assert browser.status(request_id)["status"] == "pending"
    writes = [s for s in seen if WRITE.match(s)]
    assert writes == []
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 5 * 2  # the login session, then the request: once each


def test_a_signed_in_page_writes_nothing_within_a_minute(slow_checks_app):
    browser, _ = pending_payment(slow_checks_app)
    with statements(slow_checks_app) as seen:
        for _ in range(3):
            assert browser.get("/dashboard").status_code == 200
    assert [s for s in seen if WRITE.match(s)] == []


def test_the_session_cookie_is_not_sent_again_on_every_response(slow_checks_app):
    browser, request_id = pending_payment(slow_checks_app)
    response = browser.get(f"/auth/{request_id}/status")
    assert "Set-Cookie" not in response.headers


def test_the_qr_code_is_drawn_once_per_request(slow_checks_app):
    browser, request_id = pending_payment(slow_checks_app)
    qr_svg.cache_clear()
    for _ in range(3):
        assert browser.get(f"/auth/{request_id}").status_code == 200
    info = qr_svg.cache_info()
    assert info.misses == 1 and info.hits == 2
