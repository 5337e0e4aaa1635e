"""The wallet callback (same and cross device) and exactly-once completion under races."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, LoginSession, User
from tests.helpers import Browser


def balance(app) -> int:
    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(select(User.balance_cents))


def payments(app, recipient="Maria Garcia") -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(Activity)
            .where(Activity.title == f"Payment to {recipient}")
        )


def test_cross_device_payment_callback(app, client):
    desktop = Browser(client)
    desktop.signup()
    before = balance(app)
    request_id = desktop.confirm_payment("Maria Garcia", "45.00")
    phone = Browser(app.test_client())
    callback = phone.wallet_answer(desktop.wallet_url(request_id))
    page = phone.get(callback.headers["Location"])
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Payment of €45.00 to Maria Garcia confirmed. You can return to your computer." in text
    assert "Erika" not in text and "Mustermann" not in text
    assert phone.get("/dashboard").status_code == 302
    assert balance(app) == before - 4500
    again = phone.get(callback.headers["Location"]).get_data(as_text=True)
    assert "Payment of €45.00 to Maria Garcia confirmed." in again
    assert payments(app) == 1
    status = desktop.status(request_id)
    assert status["status"] == "authorized" and status["next_url"] == f"/send/success/{request_id}"


def test_cross_device_signup_signs_in_only_the_desktop(app, client):
    desktop = Browser(client)
    request_id = desktop.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    phone = Browser(app.test_client())
    callback = phone.wallet_answer(desktop.wallet_url(request_id))
    text = phone.get(callback.headers["Location"]).get_data(as_text=True)
    assert "Confirmed" in text
    assert "Your identity was verified and your account is ready." in text
    assert 'href="/">Go to Demo Bank</a>' in text  # not a dead end on the phone
    assert phone.get("/dashboard").status_code == 302
    assert desktop.status(request_id)["next_url"] == "/profile?welcome=1"
    assert desktop.get("/dashboard").status_code == 200


def test_same_device_decline_returns_to_the_waiting_page(app, client):
    browser = Browser(client)
    request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    callback = browser.wallet_answer(browser.wallet_url(request_id), decline="Decline")
    response = browser.get(callback.headers["Location"])
    assert response.status_code == 303 and response.headers["Location"] == f"/auth/{request_id}"
    assert "Request declined" in browser.get(f"/auth/{request_id}").get_data(as_text=True)


@pytest.mark.parametrize("code", ["", "short", "not-a-known-code-at-all", "x" * 600])
def test_bad_codes_get_a_friendly_page(client, code):
    response = client.get(f"/callback?response_code={code}")
    assert response.status_code == 400
    assert "already been used or has expired" in response.get_data(as_text=True)


def _run_together(targets):
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(target):
        try:
            barrier.wait()
            target()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors


def test_twenty_concurrent_polls_debit_once(any_app, any_client):
    owner = Browser(any_client)
    owner.signup()
    before = balance(any_app)
    request_id = owner.confirm_payment("Maria Garcia", "45.00")
    owner.wallet_answer(owner.wallet_url(request_id))
    cookie = any_client.get_cookie("session").value
    answers: list[dict] = []

    def poll():
        browser = any_app.test_client()
        browser.set_cookie("session", cookie)
        response = browser.get(f"/auth/{request_id}/status")
        assert response.status_code == 200, response.status_code
        answers.append(response.get_json())

    _run_together([poll] * 20)
    # A poll that arrives while another one is asking the authorizer answers "pending";
    # every other one sees the one stored result.
    statuses = [a["status"] for a in answers]
    assert len(statuses) == 20 and set(statuses) <= {"pending", "authorized"}
    assert "authorized" in statuses
    assert owner.status(request_id)["status"] == "authorized"
    assert balance(any_app) == before - 4500
    assert payments(any_app) == 1


def test_callback_racing_a_status_poll(any_app, any_client):
    owner = Browser(any_client)
    owner.signup()
    before = balance(any_app)
    request_id = owner.confirm_payment("Maria Garcia", "12.34")
    phone = Browser(any_app.test_client())
    callback = phone.wallet_answer(owner.wallet_url(request_id)).headers["Location"]
    cookie = any_client.get_cookie("session").value

    def poll():
        desktop = any_app.test_client()
        desktop.set_cookie("session", cookie)
        assert desktop.get(f"/auth/{request_id}/status").status_code == 200

    def open_callback():
        assert any_app.test_client().get(callback).status_code == 200

    _run_together([poll, open_callback, poll])
    assert balance(any_app) == before - 1234
    assert payments(any_app) == 1


def test_replayed_callback_does_not_log_in_again(app, client):
    browser = Browser(client)
    request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    callback = browser.wallet_answer(browser.wallet_url(request_id)).headers["Location"]
    browser.get(callback)
    browser.post_form("/signout", {}, token_page="/dashboard")
    replay = app.test_client()
    replay.get(callback)
    browser.get(callback)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0
    assert browser.get("/dashboard").status_code == 302
