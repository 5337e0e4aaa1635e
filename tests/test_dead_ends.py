"""Dead ends a newcomer hits first: another host name of this server, a bad callback link,
a test database that does not exist. (The other-device callback page's way back is checked
in test_callback_and_races.py.)"""

from __future__ import annotations

import pytest

from tests.helpers import make_app, postgres_problem


@pytest.fixture
def public_app(database_url):
    return make_app(database_url, PUBLIC_BASE_URL="http://127.0.0.1:5600")


def test_another_host_name_is_sent_to_the_public_base_url(public_app):
    client = public_app.test_client()
    response = client.get("/signup?x=1", base_url="http://localhost:5600")
    assert response.status_code == 302
    assert response.headers["Location"] == "http://127.0.0.1:5600/signup?x=1"
    same = client.get("/signup", base_url="http://127.0.0.1:5600")
    assert same.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "base_url"),
    [
        ("post", "/signup", "http://localhost:5600"),  # only GET is redirected
        ("get", "/health", "http://localhost:5600"),
        ("get", "/static/css/app.css", "http://localhost:5600"),
        ("get", "/sandbox/wallet/unknown", "http://localhost:5600"),
        ("get", "/signup", "http://localhost:8000"),  # another port: another server
        ("get", "/signup", "https://localhost:5600"),  # another scheme
    ],
)
def test_what_is_never_redirected(public_app, method, path, base_url):
    response = getattr(public_app.test_client(), method)(path, base_url=base_url)
    assert response.status_code != 302 or "127.0.0.1:5600" not in response.headers["Location"]


def test_production_never_redirects(database_url):
    app = make_app(
        database_url,
        DEMOBANK_ENV="production",
        SECRET_KEY="s" * 32,
        ADMIN_PASSWORD="a-long-admin-password",
        PUBLIC_BASE_URL="https://bank.example:5600",
        ALLOW_SANDBOX_IN_PRODUCTION="1",
    )
    response = app.test_client().get("/", base_url="https://localhost:5600")
    assert response.status_code == 200


def test_bad_callback_link_has_a_way_back(client):
    page = client.get("/callback?response_code=not-a-known-code").get_data(as_text=True)
    assert ">Go to Demo Bank</a>" in page


def test_a_missing_test_database_is_named(postgres_migrated):
    if postgres_migrated is None:
        pytest.skip("TEST_DATABASE_URL not set")
    from sqlalchemy import make_url

    missing = make_url(postgres_migrated).set(database="demobank_does_not_exist_42")
    problem = postgres_problem(missing.render_as_string(hide_password=False))
    assert problem is not None and "does not exist" in problem
    assert "createdb" in problem and "unreachable" not in problem
