"""Fixtures in the style of the Flask tutorial: `app`, `client`, `runner`.

Database tests run on SQLite always and on PostgreSQL too when TEST_DATABASE_URL is set
(`any_app`, `any_client`). Every test starts from a clean, fully migrated schema.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db

TEST_SECRET = "test-secret-key-0123456789"
BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": TEST_SECRET,
    "AUTHORIZER": "sandbox",
    "PUBLIC_BASE_URL": "http://localhost",
    "RATELIMIT_ENABLED": False,
    "STATUS_CHECK_INTERVAL_SECONDS": 0,
    "LOG_LEVEL": "WARNING",
}


def postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        return None
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    return url


def make_app(database_url: str, **overrides: Any) -> Flask:
    return create_app(
        {**BASE_CONFIG, "DATABASE_URL": database_url, "AUTO_MIGRATE": "0", **overrides}
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = create_app({**BASE_CONFIG, "DATABASE_URL": f"sqlite:///{path}", "AUTO_MIGRATE": "1"})
    with app.app_context():
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str | None:
    url = postgres_url()
    if url is None:
        return None
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({**BASE_CONFIG, "DATABASE_URL": url, "AUTO_MIGRATE": "1"})
    with app.app_context():
        db.engine.dispose()
    return url


def fresh_sqlite_url(template: Path, tmp_path: Path) -> str:
    target = tmp_path / "demobank.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = (
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename != 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
    engine.dispose()


def _build(url: str) -> Iterator[Flask]:
    app = make_app(url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    return fresh_sqlite_url(sqlite_template, tmp_path)


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    yield from _build(database_url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(params=ENGINES)
def any_database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return fresh_sqlite_url(sqlite_template, tmp_path)
    url = request.getfixturevalue("postgres_migrated")
    if url is None:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    truncate_postgres(url)
    return str(url)


@pytest.fixture
def any_app(any_database_url: str) -> Iterator[Flask]:
    yield from _build(any_database_url)


@pytest.fixture
def any_client(any_app: Flask) -> FlaskClient:
    return any_app.test_client()


@pytest.fixture
def fake_authorizer(httpserver: Any) -> Iterator[Any]:
    """A fake Vidos Authorizer; the test fails on any request or answer off the spec."""
    from tests.vidos_fake import FakeAuthorizer

    fake = FakeAuthorizer(httpserver)
    yield fake
    assert fake.violations == [], fake.violations


CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token from a form page (as a browser would read it)."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Expose each phase's report on the test item (the browser tests screenshot failures)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
