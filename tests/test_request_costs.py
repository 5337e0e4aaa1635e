"""What a request costs the database, asserted by counting statements (never by timing:
the figures come from benchmarks/requests.py and benchmarks/payments.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, update

from app.database import write_transaction
from app.extensions import db
from app.flows.views import qr_svg
from app.models import LoginSession
from tests.helpers import Browser, make_app
from tests.test_vidos_mode import API, CLAIMS, authorized, created
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


STATUS_PATH = f"{API}/authorizations/a-1/status"


def vidos_signin(fake_authorizer, database_url, check_interval: float):
    """An app asking the fake Vidos at most every `check_interval` seconds, and a sign-in
    started in a browser whose wallet has not answered yet: (app, browser, request id)."""
    app = make_app(
        database_url,
        AUTHORIZER="vidos",
        VIDOS_AUTHORIZER_URL=fake_authorizer.url,
        STATUS_CHECK_INTERVAL_SECONDS=check_interval,
    )
    fake_authorizer.on("POST", f"{API}/authorizations", Canned(201, created("a-1")))
    fake_authorizer.on("GET", STATUS_PATH, Canned(200, {"status": "created"}))
    browser = Browser(app.test_client())
    return app, browser, browser.start("/signin", {"mode": "direct_post"})


def test_a_vidos_poll_that_is_not_due_writes_nothing(fake_authorizer, database_url):
    app, browser, request_id = vidos_signin(fake_authorizer, database_url, 3600)
    assert browser.status(request_id)["status"] == "pending"  # this one asks Vidos
    assert len(fake_authorizer.calls("GET", STATUS_PATH)) == 1
    with statements(app) as seen:
        for _ in range(5):
            assert browser.status(request_id)["status"] == "pending"
    assert len(fake_authorizer.calls("GET", STATUS_PATH)) == 1  # throttled: not asked again
    assert [s for s in seen if WRITE.match(s)] == []
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 5 * 1  # the request (no login session: signing in)


def test_the_waiting_page_reads_its_request_once_when_it_asks_vidos(fake_authorizer, database_url):
    """A due check claims its slot with one conditional UPDATE and renders from the row it
    read first: the claim's commit does not send the page back to the database."""
    app, browser, request_id = vidos_signin(fake_authorizer, database_url, 0)
    with statements(app) as seen:
        page = browser.get(f"/auth/{request_id}")
    assert page.status_code == 200 and b"qr-code" in page.data
    assert len(fake_authorizer.calls("GET", STATUS_PATH)) == 1
    table = re.compile(r"\bpending_auth_requests\b")
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT") and table.search(s)]
    assert len(reads) == 1
    writes = [s.split()[0].upper() for s in seen if WRITE.match(s)]
    assert writes == ["BEGIN", "UPDATE"]  # BEGIN IMMEDIATE, then the claim


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


@pytest.fixture(params=["local", "vidos"])
def any_slow_app(request, database_url, fake_authorizer):
    """A pending payment's app: the sandbox's own verifier, or Vidos asked at most once an
    hour (where most polls take the one-read answer)."""
    if request.param == "local":
        return make_app(database_url, STATUS_CHECK_INTERVAL_SECONDS=3600)
    fake_authorizer.on("POST", f"{API}/authorizations", Canned(201, created("a-signup")))
    authorized(fake_authorizer, "a-signup", CLAIMS)
    app = make_app(
        database_url,
        AUTHORIZER="vidos",
        VIDOS_AUTHORIZER_URL=fake_authorizer.url,
        STATUS_CHECK_INTERVAL_SECONDS=3600,
    )
    app.config["TEST_FAKE_VIDOS"] = fake_authorizer
    return app


def any_pending_payment(app) -> tuple[Browser, str]:
    fake = app.config.get("TEST_FAKE_VIDOS")
    if fake is None:
        return pending_payment(app)
    browser = Browser(app.test_client())
    request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "sd-jwt"})
    assert browser.status(request_id)["next_url"] == "/profile?welcome=1"
    fake.on("POST", f"{API}/authorizations", Canned(201, created("a-pay")))
    fake.on("GET", f"{API}/authorizations/a-pay/status", Canned(200, {"status": "created"}))
    request_id = browser.confirm_payment("Maria Garcia", "1.00")
    assert browser.status(request_id)["status"] == "pending"
    return browser, request_id


def sign_in_stranger(app, stranger: Browser) -> None:
    """Another person signs up in their own browser."""
    fake = app.config.get("TEST_FAKE_VIDOS")
    if fake is None:
        stranger.signup("jan")
        return
    fake.on("POST", f"{API}/authorizations", Canned(201, created("a-stranger")))
    other = {**CLAIMS, "personal_administrative_number": "PL-999", "given_name": "Jan"}
    authorized(fake, "a-stranger", other)
    request_id = stranger.start("/signup", {"mode": "direct_post", "credential_format": "sd-jwt"})
    assert stranger.status(request_id)["next_url"] == "/profile?welcome=1"


def test_a_poll_keeps_an_idle_login_alive_with_one_write(any_slow_app):
    """The one-read answer leaves "last seen" to the full path when it is due to be written:
    a waiting person stays signed in, and the next poll writes nothing."""
    slow_checks_app = any_slow_app
    browser, request_id = any_pending_payment(slow_checks_app)
    with slow_checks_app.app_context(), write_transaction():
        old = datetime.now(UTC) - timedelta(minutes=20)
        db.session.execute(update(LoginSession).values(created_at=old, last_seen_at=old))
    with statements(slow_checks_app) as seen:
        assert browser.status(request_id)["status"] == "pending"
    assert len([s for s in seen if WRITE.match(s)]) == 2  # BEGIN IMMEDIATE, UPDATE
    with slow_checks_app.app_context():
        last_seen = db.session.scalar(select(LoginSession.last_seen_at))
    assert last_seen > old  # the poll wrote a fresh last-seen
    with statements(slow_checks_app) as seen:
        assert browser.status(request_id)["status"] == "pending"
    assert [s for s in seen if WRITE.match(s)] == []


def test_a_poll_answers_nobody_else_in_one_read(any_slow_app):
    """The one-read answer is given only to the browser that made the request and, for a
    payment, only while its account is signed in: anyone else gets a 404, signed out too."""
    slow_checks_app = any_slow_app
    browser, request_id = any_pending_payment(slow_checks_app)
    stranger = Browser(slow_checks_app.test_client())
    sign_in_stranger(slow_checks_app, stranger)
    assert stranger.get(f"/auth/{request_id}/status").status_code == 404
    with browser.client.session_transaction() as cookie:
        nonce = cookie["browser_nonce"]
    with stranger.client.session_transaction() as cookie:
        cookie["browser_nonce"] = nonce  # the right browser, the wrong account
    assert stranger.get(f"/auth/{request_id}/status").status_code == 404
    with browser.client.session_transaction() as cookie:
        cookie.pop("_user_id")  # the right browser, signed out
    assert browser.get(f"/auth/{request_id}/status").status_code == 404


def test_a_remembered_session_cookie_still_expires(slow_checks_app, monkeypatch):
    """Session cookies are verified once per worker and then remembered; a remembered one
    is still refused once it is older than the session lifetime."""
    browser = Browser(slow_checks_app.test_client())
    browser.signup()
    assert browser.get("/dashboard").status_code == 200  # verified, remembered
    assert browser.get("/dashboard").status_code == 200  # from the cache
    lifetime = slow_checks_app.permanent_session_lifetime.total_seconds()
    later = time.time() + lifetime + 60
    monkeypatch.setattr("app.web.time.time", lambda: later)
    assert browser.get("/dashboard").status_code == 302  # to the sign-in page
    tampered = Browser(slow_checks_app.test_client())
    cookie = browser.client.get_cookie("session")
    tampered.client.set_cookie("session", cookie.value[:-2] + "xx")
    monkeypatch.undo()
    assert tampered.get("/dashboard").status_code == 302
