"""CSRF, ownership of requests, headers, hostile input, rate limits, error pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import PendingAuthRequest
from tests.helpers import Browser, csrf_token, make_app


@pytest.fixture
def member(client) -> Browser:
    browser = Browser(client)
    browser.signup()
    return browser


def pending_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PendingAuthRequest))


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_and_secure_cookie_with_https(database_url):
    app = make_app(database_url, PUBLIC_BASE_URL="https://bank.example")
    client = app.test_client()
    response = client.get("/signup")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert (
        "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    )
    assert "SameSite=Lax" in response.headers["Set-Cookie"]


def test_no_inline_script_or_style_in_templates():
    from pathlib import Path

    for template in (Path(__file__).parent.parent / "templates").rglob("*.html"):
        text = template.read_text()
        assert "style=" not in text, template
        assert "<script>" not in text and "<style" not in text, template
        assert "http://" not in text.replace("http://www.w3.org", ""), template


def test_csrf_missing_is_refused(app, client):
    response = client.post("/signup", data={"mode": "direct_post", "credential_format": "any"})
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)
    assert pending_count(app) == 0


def test_another_browser_cannot_see_a_request(app, client):
    owner = Browser(client)
    request_id = owner.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    stranger = app.test_client()
    assert stranger.get(f"/auth/{request_id}/status").status_code == 404
    assert stranger.get(f"/auth/{request_id}").status_code == 404
    assert owner.get(f"/auth/{request_id}/status").status_code == 200


def test_another_account_cannot_see_a_payment_request(app, member):
    request_id = member.confirm_payment("Maria Garcia", "45.00")
    other = Browser(app.test_client())
    other.signup(identity="jan")
    assert other.get(f"/auth/{request_id}/status").status_code == 404
    assert other.get(f"/send/success/{request_id}").status_code == 404
    # Same browser, but signed in as someone else now: still not theirs.
    member.post_form("/signout", {}, token_page="/dashboard")
    assert member.get(f"/auth/{request_id}/status").status_code == 404


def test_browser_binding_survives_the_sign_in(app, client):
    browser = Browser(client)
    request_id = browser.signup()  # signs in: the session is renewed, the nonce kept
    assert browser.get(f"/auth/{request_id}/status").status_code == 200
    assert app.test_client().get(f"/auth/{request_id}/status").status_code == 404


def test_name_with_script_is_shown_as_text(app, client):
    browser = Browser(client)
    request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "sd-jwt"})
    callback = browser.wallet_answer(
        browser.wallet_url(request_id),
        identity="custom",
        given_name="<script>alert(1)</script>",
        family_name="O'Hara",
        birth_date="1990-01-01",
        nationality="IE",
        personal_administrative_number="XSS-1",
    )
    browser.get(callback.headers["Location"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    "path",
    [
        "/auth/%00abc",
        "/auth/abc%00/status",
        "/callback?response_code=abc%00def",
        "/sandbox/wallet/x%00y",
        "/dashboard?filter=%00",
    ],
)
def test_control_characters_never_reach_the_database(client, path):
    assert client.get(path).status_code in (400, 404)


@pytest.mark.parametrize("character", ["\x00", "\x08", "\x0b", "\x1f", "\x7f"])
def test_control_characters_in_form_fields(member, character):
    response = member.post_form("/send", {"recipient": f"Bob{character}", "amount": "5"})
    assert response.status_code == 400


def test_tabs_and_line_breaks_are_not_control_characters_here(member):
    form = {"recipient": "Bob", "amount": "5", "reference": "a\tb\r\nc"}
    response = member.post_form("/send", form)
    assert response.status_code == 303  # accepted by the form, not refused by the guard
    assert response.headers["Location"] == "/send/confirm"


def test_complete_for_a_qr_request_is_refused(member, client):
    """A QR-code request's answer never comes through the browser (item 11): 409."""
    request_id = member.confirm_payment("Maria Garcia", "1.00")
    header = {"X-CSRFToken": csrf_token(client, "/send")}
    url = f"/auth/{request_id}/complete"
    body = {"origin": "http://localhost", "response": {"response": "eyJ.jwe"}}
    response = client.post(url, json=body, headers=header)
    assert response.status_code == 409 and response.get_json()["status"] == "error"
    assert member.status(request_id)["status"] == "pending"
    assert client.post(url, json=body).status_code == 400  # no CSRF header


def test_large_body_gets_413(client):
    response = client.post("/signup", data={"x": "a" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def test_error_pages_are_in_the_site_style(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404
    text = page.get_data(as_text=True)
    assert "Page not found" in text and "Demo Bank" in text and "Traceback" not in text


def test_unexpected_errors_show_no_trace(app, client, monkeypatch):
    def boom():
        raise RuntimeError("secret internal detail")

    monkeypatch.setitem(app.view_functions, "pages.guide", boom)
    response = client.get("/guide")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internal detail" not in text and "Something went wrong" in text


def test_rate_limit_on_verification_starts(database_url):
    app = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_VERIFICATIONS="2 per minute")
    browser = Browser(app.test_client())
    data = {"mode": "direct_post", "credential_format": "any"}
    browser.start("/signin", data)
    browser.start("/signin", data)
    limited = browser.post_form("/signin", data)
    assert limited.status_code == 429
    assert "Too many requests" in limited.get_data(as_text=True)
    assert pending_count(app) == 2


def test_rate_limit_on_admin_login(database_url):
    app = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_ADMIN_LOGIN="3 per minute")
    admin = Browser(app.test_client())
    for _ in range(3):
        assert admin.post_form("/admin/login", {"password": "wrong"}).status_code == 400
    assert admin.post_form("/admin/login", {"password": "demo"}).status_code == 429


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "authorizer": {"name": "sandbox", "status": "ok"},
    }


def test_health_degraded_when_the_database_is_gone(database_url, tmp_path):
    from pathlib import Path

    app = make_app(database_url)
    Path(database_url.removeprefix("sqlite:///")).unlink()
    Path(database_url.removeprefix("sqlite:///")).mkdir()  # now not even openable
    with app.app_context():
        db.engine.dispose()
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert (
        response.get_json()["database"] == "error" and response.get_json()["status"] == "degraded"
    )


def test_errors_are_json_for_json_views_and_for_clients_that_ask(client):
    status = client.get("/auth/00000000-0000-4000-8000-000000000000/status")
    assert status.status_code == 404 and status.get_json()["status"] == "error"
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    asked = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert asked.status_code == 404 and asked.get_json()["title"] == "Page not found"
    browser = client.get("/no-such-page", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.mimetype == "text/html"
