"""Fixtures of the verifier endpoint tests: the app with AUTHORIZER=local trusting the test
PID provider, a browser, the independent wallet, and a signed-up member."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.helpers import Browser
from tests.oid4vp.wallet import (
    PidProvider,
    Wallet,
    local_verifier_app,
    make_pid_provider,
    sign_up,
)


@pytest.fixture(scope="module")
def provider() -> PidProvider:
    return make_pid_provider("Test PID Provider")


@pytest.fixture
def local_app(database_url: str, tmp_path: Path, provider: PidProvider) -> Iterator[Flask]:
    with local_verifier_app(database_url, tmp_path, provider) as app:
        yield app


@pytest.fixture
def browser(local_app: Flask) -> Browser:
    return Browser(local_app.test_client())


@pytest.fixture
def wallet(browser: Browser, provider: PidProvider) -> Wallet:
    return Wallet(browser.client, provider)


@pytest.fixture
def member(browser: Browser, wallet: Wallet) -> Browser:
    """Erika, signed up (and signed in) with the test provider's PID."""
    sign_up(browser, wallet)
    return browser
