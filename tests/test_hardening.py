"""The security review's attacks (issue 7), each tried as an attacker would, through the
app's own pages. Configuration refusals are in test_config.py, rate limits across worker
processes in test_rate_limits.py, DC API completion in test_vidos_mode.py."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.database import write_transaction
from app.extensions import db
from app.flows import engine
from app.housekeeping import prune_if_due
from app.logs import RedactSecrets
from app.models import Activity, LoginSession, MaintenanceRun, PendingAuthRequest, User
from app.schemas import LoanMeta
from tests.helpers import Browser, csrf_token, make_app


@pytest.fixture
def member(client) -> Browser:
    browser = Browser(client)
    browser.signup()
    return browser


def account(app) -> User:
    with app.app_context():
        db.session.expire_all()
        user = db.session.scalar(select(User))
        db.session.expunge(user)
        return user


# -- 3. a profile update with another person's PID ---------------------------------------


def test_profile_update_with_another_persons_pid_changes_nothing(app, member):
    request_id = member.start("/profile", {"claims": ["family_name"]})
    waiting = member.get(f"/auth/{request_id}").get_data(as_text=True)
    assert "Personal administrative number" in waiting  # always asked, not only if picked
    member.wallet_answer(member.wallet_url(request_id), identity="jan")
    assert member.status(request_id)["title"] == "Identity mismatch"
    assert account(app).family_name == "Mustermann"


def test_profile_update_without_the_identity_number_is_a_mismatch(app):
    from tests.test_completion import StubAuthorizer

    with app.app_context():
        from app.accounts import NewAccount, create_user
        from app.schemas import ProfileUpdateMeta

        with write_transaction():
            user = create_user(NewAccount(identifier="DE-1", family_name="Old", given_name="N"))
        stub = StubAuthorizer({"family_name": "Hijacked"})  # no number disclosed
        meta = ProfileUpdateMeta(credential_formats=["sd-jwt"], requested_claims=["family_name"])
        request = engine.start(stub, meta, "direct_post", "n", user_id=user.id)
        assert "personal_administrative_number" in stub.created[0].dcql["credentials"][0][
            "claims"
        ][0]["path"]
        assert engine.complete(stub, request).title == "Identity mismatch"
        db.session.expire_all()
        assert db.session.get(User, user.id).family_name == "Old"


# -- 5. open redirect after sign-in -------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "//evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "https://evil.example/",
        "/%0a/evil.example",
        "/%0d%0aSet-Cookie:x=1",
        "http:/evil.example",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
        "/no-such-page",
    ],
)
def test_signin_next_never_leaves_the_site(client, target):
    browser = Browser(client)
    browser.signup()
    browser.post_form("/signout", {}, token_page="/dashboard")
    response = browser.post_form(
        f"/signin?next={target}",
        {"mode": "direct_post", "credential_format": "any"},
        token_page="/signin",
    )
    assert response.status_code == 303
    request_id = response.headers["Location"].rsplit("/", 1)[1]
    callback = browser.wallet_answer(browser.wallet_url(request_id))
    landing = browser.get(callback.headers["Location"])
    assert landing.status_code == 303
    assert landing.headers["Location"] == "/dashboard"
    signed_in = browser.get(f"/signin?next={target}")
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/dashboard"


def test_signin_next_to_a_page_of_ours_is_kept(client):
    browser = Browser(client)
    browser.signup()
    browser.post_form("/signout", {}, token_page="/dashboard")
    request_id = browser.start(
        "/signin?next=/send%3Frecipient%3DBob",
        {"mode": "direct_post", "credential_format": "any"},
        token_page="/signin",
    )
    callback = browser.wallet_answer(browser.wallet_url(request_id))
    landing = browser.get(callback.headers["Location"])
    assert landing.headers["Location"] == "/send?recipient=Bob"


# -- 6. unbounded amounts ----------------------------------------------------------------


@pytest.mark.parametrize(
    "amount", ["9" * 900_000, "1" * 1_000_000, "\uff11\uff12", "\u0665\u0660", "1E+999999"]
)
def test_absurd_amounts_get_a_clear_message_quickly(member, amount):
    started = time.monotonic()
    response = member.post_form("/send", {"recipient": "Bob", "amount": amount})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "at most" in text or "like 45.00 or 45,00" in text
    assert time.monotonic() - started < 5  # generous: this is a guard against seconds of work


def test_a_decimal_comma_amount_is_understood(member):
    response = member.post_form("/send", {"recipient": "Bob", "amount": "12,50"})
    assert response.status_code == 303
    assert "€12.50" in member.get("/send/confirm").get_data(as_text=True)


# -- 7. loans mint money without limit ---------------------------------------------------


def apply(browser: Browser, amount: str = "50000") -> str:
    chosen = browser.post_form("/loan", {"amount": amount, "purpose": "Car", "term": "24"})
    assert chosen.headers["Location"] == "/loan/review"
    return browser.start("/loan/review")


def test_loans_beyond_the_exposure_limit_are_refused(app, member):
    first, second = apply(member), apply(member)  # both pass the form: nothing pending yet
    for request_id in (first, second):
        member.wallet_answer(member.wallet_url(request_id))
    statuses = {member.status(first)["status"], member.status(second)["title"]}
    assert statuses == {"authorized", "Loan limit reached"}
    assert account(app).pending_loans_total_cents == 5_000_000
    page = member.get("/loan").get_data(as_text=True)
    assert "You can still apply for up to" in page and "€0.00" in page
    refused = member.post_form("/loan", {"amount": "5000", "purpose": "Car", "term": "24"})
    assert refused.status_code == 400
    assert "at most €0.00 more" in refused.get_data(as_text=True)


def test_loan_limit_is_configurable(database_url):
    app = make_app(database_url, LOAN_EXPOSURE_LIMIT_EUR="12000")
    browser = Browser(app.test_client())
    browser.signup()
    assert "€12,000.00" in browser.get("/loan").get_data(as_text=True)
    refused = browser.post_form("/loan", {"amount": "25000", "purpose": "Car", "term": "24"})
    assert refused.status_code == 400


def test_five_concurrent_loan_completions_cannot_pass_the_cap(any_app):
    """Each completes a different €25,000 application; the cap of €50,000 lets two through."""
    from app.accounts import NewAccount, create_user
    from tests.test_completion import StubAuthorizer

    with any_app.app_context():
        with write_transaction():
            user = create_user(NewAccount(identifier="DE-1", family_name="A", given_name="B"))
        stub = StubAuthorizer(
            {"personal_administrative_number": "DE-1", "family_name": "A", "given_name": "B"}
        )
        meta = LoanMeta(
            credential_formats=["sd-jwt"], amount_cents=2_500_000, purpose="Car", term_months=24
        )
        ids = [engine.start(stub, meta, "direct_post", "n", user_id=user.id).id for _ in range(5)]
        user_id = user.id
        db.session.remove()
    barrier = __import__("threading").Barrier(5)
    results: list[str] = []

    def complete(request_id: str) -> None:
        with any_app.app_context():
            row = db.session.get(PendingAuthRequest, request_id)
            barrier.wait()
            results.append(engine.complete(stub, row).status)
            db.session.remove()

    threads = [__import__("threading").Thread(target=complete, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["authorized", "authorized", "error", "error", "error"]
    with any_app.app_context():
        stored = db.session.get(User, user_id)
        assert stored.pending_loans_total_cents == 5_000_000
        loans = db.session.scalar(
            select(func.count()).select_from(Activity).where(Activity.type == "loan")
        )
        assert loans == 2


# -- 8. admin access ----------------------------------------------------------------------


def admin_login(client, password: str = "demo"):
    token = csrf_token(client, "/admin/login")
    return client.post("/admin/login", data={"password": password, "csrf_token": token})


def test_a_copied_admin_cookie_is_dead_after_logout(app, client):
    assert admin_login(client).status_code == 303
    copied = client.get_cookie("session").value
    assert client.get("/admin").status_code == 200
    token = csrf_token(client, "/admin")
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/admin")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/login"


def test_admin_logout_is_post_with_csrf_only(client):
    admin_login(client)
    assert client.get("/admin/logout").status_code == 405
    assert client.post("/admin/logout").status_code == 400  # no CSRF token
    assert client.get("/admin").status_code == 200  # still signed in


def test_admin_sessions_expire_after_30_minutes(app, client):
    admin_login(client)
    with app.app_context(), write_transaction():
        from app.models import AdminSession

        db.session.execute(
            update(AdminSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert client.get("/admin").status_code == 302


def test_admin_sign_ins_and_resets_are_logged_without_the_password(database_url, caplog):
    caplog.set_level(logging.WARNING)
    client = make_app(database_url, ADMIN_PASSWORD="Sup3r-Secret-Admin").test_client()
    admin_login(client, "wrong-password-123")
    admin_login(client, "Sup3r-Secret-Admin")
    token = csrf_token(client, "/admin/reset")
    client.post("/admin/reset", data={"csrf_token": token})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("admin sign-in failed from 127.0.0.1" in w for w in warnings)
    assert any("admin sign-in from 127.0.0.1" in w for w in warnings)
    assert any("reset all demo data" in w and "127.0.0.1" in w for w in warnings)
    assert "wrong-password-123" not in caplog.text and "Sup3r-Secret" not in caplog.text


# -- 10. /callback costs -------------------------------------------------------------------


def test_callback_is_rate_limited_per_ip(database_url):
    app = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_CALLBACKS="5 per minute")
    client = app.test_client()
    codes = [client.get(f"/callback?response_code=guess-{i:08d}").status_code for i in range(8)]
    assert codes[:5] == [400] * 5 and codes[5:] == [429] * 3


def test_a_random_response_code_takes_no_write_lock(app, client, monkeypatch):
    import app.verification.local.authorizer as verifier

    def no_writes():
        raise AssertionError("a write transaction for an unknown code")

    monkeypatch.setattr(verifier, "write_transaction", no_writes)
    assert client.get("/callback?response_code=made-up-code-123456").status_code == 400


# -- 12. failures that left a request stuck --------------------------------------------------


def test_claims_too_long_for_their_columns_end_the_request(any_app):
    from app.accounts import NewAccount, create_user
    from app.schemas import SignupMeta
    from tests.test_completion import StubAuthorizer

    hostile = [
        {"birthdate": "1" * 200},
        {"nationalities": ["DE"] * 40},
        {"nationalities": ["Deutschland"]},
    ]
    with any_app.app_context():
        with write_transaction():
            create_user(NewAccount(identifier="OTHER", family_name="A", given_name="B"))
        stub = StubAuthorizer({})
        for extra in hostile:
            stub.claims = {
                "personal_administrative_number": "X",
                "family_name": "A",
                "given_name": "B",
                **extra,
            }
            meta = SignupMeta(credential_formats=["sd-jwt"])
            request = engine.start(stub, meta, "direct_post", "n")
            outcome = engine.complete(stub, request)
            assert outcome.status == "error" and outcome.title == "Information not accepted"
            assert db.session.get(PendingAuthRequest, request.id).status == "failed"
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


# -- 13. sessions -------------------------------------------------------------------------


def test_signing_in_again_ends_the_previous_login_session(app, member):
    old_cookie = member.client.get_cookie("session").value
    request_id = member.start(
        "/signin?fresh=1", {"mode": "direct_post", "credential_format": "any"}, "/signin?fresh=1"
    )
    member.wallet_answer(member.wallet_url(request_id))
    assert member.status(request_id)["status"] == "authorized"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/dashboard").status_code == 302


def test_an_idle_session_ends(database_url):
    app = make_app(database_url, SESSION_IDLE_MINUTES="30")
    browser = Browser(app.test_client())
    browser.signup()
    assert browser.get("/dashboard").status_code == 200
    with app.app_context(), write_transaction():
        old = datetime.now(UTC) - timedelta(minutes=31)
        db.session.execute(update(LoginSession).values(created_at=old, last_seen_at=old))
    assert browser.get("/dashboard").status_code == 302


def test_activity_keeps_a_session_alive_with_at_most_one_write_a_minute(app, member):
    with app.app_context(), write_transaction():
        old = datetime.now(UTC) - timedelta(minutes=20)
        db.session.execute(update(LoginSession).values(created_at=old, last_seen_at=old))
    assert member.get("/dashboard").status_code == 200
    with app.app_context():
        seen = db.session.scalar(select(LoginSession.last_seen_at))
    assert datetime.now(UTC) - seen < timedelta(minutes=1)
    assert member.get("/dashboard").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(LoginSession.last_seen_at)) == seen  # no second write


def test_resetting_ones_account_needs_a_recent_wallet_sign_in(app, member):
    with app.app_context(), write_transaction():
        old = datetime.now(UTC) - timedelta(minutes=11)
        db.session.execute(update(LoginSession).values(created_at=old))
    page = member.get("/account/reset")
    assert page.status_code == 303
    assert page.headers["Location"] == "/signin?next=/account/reset&fresh=1"
    token = csrf_token(member.client, "/dashboard")
    stale = member.client.post("/account/reset", data={"csrf_token": token})
    assert stale.status_code == 303 and account(app) is not None
    assert member.get("/signin?next=/account/reset&fresh=1").status_code == 200
    request_id = member.start(
        "/signin?next=/account/reset&fresh=1",
        {"mode": "direct_post", "credential_format": "any"},
        token_page="/signin?next=/account/reset&fresh=1",
    )
    callback = member.wallet_answer(member.wallet_url(request_id))
    assert member.get(callback.headers["Location"]).headers["Location"] == "/account/reset"
    done = member.post_form("/account/reset", {})
    assert done.status_code == 303 and done.headers["Location"] == "/?reset=1"


# -- 14. smaller items ----------------------------------------------------------------------


@pytest.mark.parametrize("page", ["\u00b2", "\u0663", "\uff12", "1" * 20, "-1", "x"])
def test_odd_page_numbers_show_the_first_page(member, page):
    response = member.get(f"/dashboard?page={page}")
    assert response.status_code == 200 and 'rel="prev"' not in response.get_data(as_text=True)


def test_duplicate_profile_choices_are_asked_once(member):
    request_id = member.start("/profile", {"claims": ["email_address", "email_address"]})
    waiting = member.get(f"/auth/{request_id}").get_data(as_text=True)
    assert waiting.count(">Email<") == 1


def test_stored_results_keep_only_the_name(app, member):
    with app.app_context():
        result = db.session.scalar(select(PendingAuthRequest.result))
    assert result.claims == {"given_name": "Erika", "family_name": "Mustermann"}


def test_response_codes_are_redacted_from_access_logs():
    line = "GET /callback?response_code=SECRET123&x=1 HTTP/1.1"
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, "", 0, '%s "%s"', ("1.2.3.4", line), None
    )
    RedactSecrets().filter(record)
    assert "SECRET123" not in record.getMessage()
    assert "response_code=[redacted]&x=1" in record.getMessage()


def test_response_codes_are_redacted_from_the_development_server_log(app, client, caplog):
    from werkzeug.serving import WSGIRequestHandler  # noqa: F401 - its logger is "werkzeug"

    caplog.set_level(logging.INFO, logger="werkzeug")
    logging.getLogger("werkzeug").info('"GET /callback?response_code=TOPSECRET99 HTTP/1.1" 303 -')
    assert "TOPSECRET99" not in caplog.text and "[redacted]" in caplog.text


def test_old_requests_are_pruned_by_themselves_once_an_hour(app, member):
    long_ago = datetime.now(UTC) - timedelta(days=2)
    with app.app_context():
        with write_transaction():
            db.session.execute(
                update(PendingAuthRequest).values(created_at=long_ago, expires_at=long_ago)
            )
            db.session.execute(
                update(MaintenanceRun).values(last_run_at=datetime.now(UTC) - timedelta(hours=2))
            )
        assert prune_if_due() is not None
        assert db.session.scalar(select(func.count()).select_from(PendingAuthRequest)) == 0
        assert prune_if_due() is None  # not again within the hour


def test_the_wallet_link_is_only_offered_for_wallet_schemes(app, member, monkeypatch):
    from app.flows.views import opens_a_wallet

    with app.test_request_context():
        assert opens_a_wallet("openid4vp://?client_id=x")
        assert opens_a_wallet("haip://?x") and opens_a_wallet("eudi-openid4vp://x")
        assert opens_a_wallet("https://wallet.example/x")
        assert opens_a_wallet("http://localhost/sandbox/wallet/abc")
        hostile = ("javascript:alert(1)", "data:text/html,x", "http://evil.example/x", "vbs:x")
        for url in hostile:
            assert not opens_a_wallet(url)
