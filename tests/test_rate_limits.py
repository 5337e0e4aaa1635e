"""Rate limits that mean something with several worker processes and behind a proxy
(security review, item 9). The Redis tests need the Redis server on 127.0.0.1:6379:
`.ci/run` starts it, and REQUIRE_REDIS=1 makes its absence a failure instead of a skip."""

from __future__ import annotations

import os
import re
import secrets

import httpx
import pytest

from tests.helpers import Gunicorn, csrf_token, make_app

REDIS_URL = "redis://127.0.0.1:6379/0"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but Redis is unreachable: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")


def failed_admin_logins(urls: list[str], attempts: int, client_ip: str) -> list[int]:
    """Wrong admin passwords, alternating between the servers, from one client address
    (as the one trusted proxy in front of them reports it); returns the status codes."""
    codes = []
    for attempt in range(attempts):
        # A fresh connection and cookie jar each time: nothing ties the attempts together
        # but the client's address.
        with httpx.Client(
            base_url=urls[attempt % len(urls)],
            headers={"X-Forwarded-For": client_ip},
            timeout=10,
        ) as client:
            token = CSRF.search(client.get("/admin/login").text).group(1)
            response = client.post(
                "/admin/login", data={"password": "not-the-password", "csrf_token": token}
            )
            codes.append(response.status_code)
    return codes


def two_workers(database_url: str, tmp_path, storage: str):
    """Two gunicorn worker processes (one per server, so requests alternate between them
    deterministically) behind one trusted proxy hop, sharing the database."""
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "rate-limit-test-secret-key-0123456789",
        "AUTO_MIGRATE": "0",
        "AUTHORIZER": "sandbox",
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_ADMIN_LOGIN": "5 per minute",
        "TRUSTED_PROXY_HOPS": "1",
    }
    return (
        Gunicorn(env, tmp_path / "first.log", workers=1),
        Gunicorn(env, tmp_path / "second.log", workers=1),
    )


def test_admin_limit_holds_across_two_workers_with_redis(database_url, tmp_path):
    require_redis()
    first, second = two_workers(database_url, tmp_path, REDIS_URL)
    client_ip = f"198.51.100.{secrets.randbelow(250) + 1}"  # a bucket of this run's own
    with first, second:
        codes = failed_admin_logins([first.url, second.url], 8, client_ip)
    assert codes == [400] * 5 + [429] * 3


def test_per_process_memory_limits_multiply_with_workers(database_url, tmp_path):
    """Why Redis: with memory:// each worker counts alone, so 2 workers allow 10, not 5."""
    first, second = two_workers(database_url, tmp_path, "memory://")
    with first, second:
        codes = failed_admin_logins([first.url, second.url], 12, "198.51.100.7")
    assert codes.count(400) == 10 and codes[-2:] == [429, 429]


def test_production_warns_about_memory_limits_with_several_workers(database_url, tmp_path):
    env = {
        "DEMOBANK_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "s" * 40,
        "ADMIN_PASSWORD": "a-long-admin-password",
        "ALLOW_SANDBOX_IN_PRODUCTION": "1",
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_BASE_URL": "https://bank.example",  # production wants https; served on http here
    }
    with Gunicorn(env, tmp_path / "prod.log", workers=2) as server:
        log = server.log
    assert "RATELIMIT_STORAGE_URI=memory:// with 2 workers" in log and "WARNING" in log
    assert "sandbox authorizer is serving in production" in log


def test_behind_one_proxy_each_client_has_its_own_limit(database_url):
    app = make_app(
        database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_ADMIN_LOGIN="2 per minute",
        TRUSTED_PROXY_HOPS="1",
    )
    client = app.test_client()
    assert [attempt(client, "203.0.113.1") for _ in range(3)] == [400, 400, 429]
    assert attempt(client, "203.0.113.2") == 400  # another client behind the same proxy


def attempt(client, forwarded_for: str) -> int:
    """One wrong admin password (with a valid form token) from `forwarded_for`."""
    token = csrf_token(client, "/admin/login")
    data = {"password": "wrong", "csrf_token": token}
    headers = {"X-Forwarded-For": forwarded_for}
    return client.post("/admin/login", data=data, headers=headers).status_code


def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(database_url):
    app = make_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_ADMIN_LOGIN="2 per minute")
    client = app.test_client()
    codes = [attempt(client, f"203.0.113.{i}") for i in range(3)]
    assert codes == [400, 400, 429]  # spoofed addresses do not buy new attempts
