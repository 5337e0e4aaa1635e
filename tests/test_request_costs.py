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
from tests.test_vidos_mode import API, created
from tests.vidos_fake import Canned

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
    """An app that asks a remote authorizer at most once an hour per request."""
    return make_app(database_url, STATUS_CHECK_INTERVAL_SECONDS=3600)


def pending_payment(app) -> tuple[Browser, str]:
    browser = Browser(app.test_client())
    browser.signup()
    request_id = browser.confirm_payment("Maria Garcia", "1.00")
    assert browser.status(request_id)["status"] == "pending"
    return browser, request_id


def test_a_vidos_poll_that_is_not_due_writes_nothing(fake_authorizer, database_url):
    app = make_app(
        database_url,
        AUTHORIZER="vidos",
        VIDOS_AUTHORIZER_URL=fake_authorizer.url,
        STATUS_CHECK_INTERVAL_SECONDS=3600,
    )
    fake_authorizer.on("POST", f"{API}/authorizations", Canned(201, created("a-1")))
    fake_authorizer.on(
        "GET", f"{API}/authorizations/a-1/status", Canned(200, {"status": "created"})
    )
    browser = Browser(app.test_client())
    request_id = browser.start("/signin", {"mode": "direct_post"})
    assert browser.status(request_id)["status"] == "pending"  # this one asks Vidos
    status_path = f"{API}/authorizations/a-1/status"
    assert len(fake_authorizer.calls("GET", status_path)) == 1
    with statements(app) as seen:
        for _ in range(5):
            assert browser.status(request_id)["status"] == "pending"
    assert len(fake_authorizer.calls("GET", status_path)) == 1  # throttled: not asked again
    assert [s for s in seen if WRITE.match(s)] == []
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 5 * 1  # the request (no login session: signing in)


def test_a_local_poll_reads_its_own_verifier_and_writes_nothing(slow_checks_app):
    """The sandbox's verifier is this database: every poll looks (no throttle), and a
    pending answer costs one read more than a remote authorizer's not-due poll."""
    browser, request_id = pending_payment(slow_checks_app)
    with statements(slow_checks_app) as seen:
        for _ in range(5):
            assert browser.status(request_id)["status"] == "pending"
    assert [s for s in seen if WRITE.match(s)] == []
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 5 * 3  # the login session, the request, the verifier's row


def test_a_local_answer_is_seen_on_the_next_poll(slow_checks_app):
    browser, request_id = pending_payment(slow_checks_app)
    browser.wallet_answer(browser.wallet_url(request_id))
    assert browser.status(request_id)["status"] == "authorized"


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
