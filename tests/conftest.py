"""Fixtures in the style of the Flask tutorial: `app`, `client`, `runner`; `browser` (the
test client with a person's steps) and `member` (the same, signed up as Erika).

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
from tests.helpers import BASE_CONFIG, Browser, make_app, postgres_url


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
def browser(client: FlaskClient) -> Browser:
    """The test client with the steps a person takes (tests/helpers.py)."""
    return Browser(client)


@pytest.fixture
def member(browser: Browser) -> Browser:
    """A browser signed in as Erika (signed up through the demo wallet)."""
    browser.signup()
    return browser


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


# -- browser tests (tests/browser_support.py) -------------------------------------------


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    """One headless Chromium per test module; each test gets its own context."""
    from tests.browser_support import chromium

    with chromium() as browser:
        yield browser


@pytest.fixture
def live_server(database_url: str) -> Iterator[str]:
    from tests.browser_support import serving

    with serving(database_url, STATUS_CHECK_INTERVAL_SECONDS=1) as base_url:
        yield base_url


def _screenshot_on_failure(pages: list[Any], node: pytest.Item) -> None:
    """When the test failed: each page into tests/artifacts/<test>-<index>.png."""
    report = getattr(node, "rep_call", None)
    if pages and report is not None and report.failed:
        artifacts = Path(__file__).parent / "artifacts"
        artifacts.mkdir(exist_ok=True)
        for i, page in enumerate(pages):
            page.screenshot(path=str(artifacts / f"{node.name}-{i}.png"), full_page=True)


@pytest.fixture
def open_page(chromium_browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """`open_page(base_url, **context_options)` makes a page in a fresh context (a browser
    of its own); all are closed afterwards, and each is screenshotted into tests/artifacts/
    (numbered in the order made) when the test fails."""
    from tests.browser_support import new_page

    pages: list[Any] = []

    def make(base_url: str, **options: Any) -> Any:
        pages.append(new_page(chromium_browser, base_url, **options))
        return pages[-1]

    yield make
    try:
        _screenshot_on_failure(pages, request.node)
    finally:
        for page in pages:
            page.context.close()


@pytest.fixture
def page(open_page: Any, live_server: str) -> Any:
    return open_page(live_server)
