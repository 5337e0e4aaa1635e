import subprocess
import sys
from pathlib import Path

import pytest

from app.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def settings(**env):
    return load_settings(environ={"DATABASE_URL": "sqlite:///:memory:", **env})


def test_development_defaults():
    s = settings()
    assert s.env == "development"
    assert s.secret_key_generated and len(s.secret_key) >= 32
    assert s.session_ttl_minutes == 60
    assert s.public_base_url == "http://127.0.0.1:5000"
    assert s.authorizer == "sandbox"
    assert s.admin_password == "demo"
    assert s.auto_migrate is True
    assert s.log_level == "INFO"
    assert s.ratelimit_verifications == "20 per minute"
    assert s.ratelimit_admin_login == "5 per minute"


def test_production_defaults_and_requirements():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        settings(DEMOBANK_ENV="production", ADMIN_PASSWORD="x" * 12)
    with pytest.raises(ConfigError, match="ADMIN_PASSWORD"):
        settings(DEMOBANK_ENV="production", SECRET_KEY="s" * 32)
    s = settings(DEMOBANK_ENV="production", SECRET_KEY="s" * 32, ADMIN_PASSWORD="hunter22")
    assert s.auto_migrate is False
    assert s.production


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DEMOBANK_ENV": "staging"}, "DEMOBANK_ENV"),
        ({"SESSION_TTL_MINUTES": "soon"}, "SESSION_TTL_MINUTES"),
        ({"SESSION_TTL_MINUTES": "0"}, "SESSION_TTL_MINUTES"),
        ({"PUBLIC_BASE_URL": "localhost:5000"}, "PUBLIC_BASE_URL"),
        ({"VIDOS_AUTHORIZER_URL": "ftp://x"}, "VIDOS_AUTHORIZER_URL"),
        ({"AUTHORIZER": "other"}, "AUTHORIZER"),
        ({"AUTHORIZER": "vidos"}, "VIDOS_AUTHORIZER_URL"),
        ({"AUTO_MIGRATE": "maybe"}, "AUTO_MIGRATE"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"RATELIMIT_VERIFICATIONS": "often"}, "RATELIMIT_VERIFICATIONS"),
    ],
)
def test_bad_values_name_the_variable(env, variable):
    with pytest.raises(ConfigError, match=variable):
        settings(**env)


def test_vidos_url_selects_vidos_and_authorizer_forces_sandbox():
    assert settings(VIDOS_AUTHORIZER_URL="https://authorizer.example").authorizer == "vidos"
    forced = settings(VIDOS_AUTHORIZER_URL="https://authorizer.example", AUTHORIZER="sandbox")
    assert forced.authorizer == "sandbox"


def test_database_path_folder_is_created(tmp_path):
    target = tmp_path / "deep" / "folder" / "bank.db"
    s = load_settings(environ={"DATABASE_PATH": str(target)})
    assert s.database_url == f"sqlite:///{target}"
    assert target.parent.is_dir()


def test_https_base_url_makes_cookies_secure():
    config = settings(PUBLIC_BASE_URL="https://bank.example").flask_config()
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings().flask_config()["SESSION_COOKIE_SECURE"] is False


def test_bad_value_stops_the_process_with_one_line(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "SESSION_TTL_MINUTES": "abc",
        "DATABASE_PATH": str(tmp_path / "x.db"),
        "HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["Configuration error: SESSION_TTL_MINUTES must be a whole number, got 'abc'"]
    assert "Traceback" not in result.stderr


def test_debugger_is_off_by_default(app):
    assert app.debug is False
