"""Fixtures in the style of the Flask tutorial: `app`, `client`, `runner`.

Database tests run on SQLite always and on PostgreSQL too when TEST_DATABASE_URL is set
(`any_app`, `any_client`). Every test starts from a clean, fully migrated schema.
"""

from __future__ import annotations

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
from tests.helpers import BASE_CONFIG, make_app, postgres_url


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


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Expose each phase's report on the test item (the browser tests screenshot failures)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
