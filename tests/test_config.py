import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from app.config import ConfigError, load_settings
from tests.helpers import make_app

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(tempfile.mkdtemp(prefix="demobank-config-"))  # keeps data/secret_key out of ./data


def run_wsgi(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import wsgi (as a server does) in a fresh Python with exactly this environment."""
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings(**env):
    return load_settings(
        environ={"DATABASE_URL": "sqlite:///:memory:", "DATABASE_PATH": str(DATA / "x.db"), **env}
    )


def test_development_defaults():
    s = settings()
    assert s.env == "development"
    assert len(s.secret_key) >= 32
    assert (DATA / "secret_key").read_text() == s.secret_key  # kept, not per process
    assert s.session_ttl_minutes == 60
    assert s.public_base_url == "http://127.0.0.1:5000"
    assert s.authorizer == "sandbox"
    assert s.admin_password == "demo"
    assert s.auto_migrate is True
    assert s.log_level == "INFO"
    assert s.ratelimit_verifications == "20 per minute"
    assert s.ratelimit_admin_login == "5 per minute"


PRODUCTION = {
    "DEMOBANK_ENV": "production",
    "SECRET_KEY": "s" * 32,
    "ADMIN_PASSWORD": "correct horse battery",
    "PUBLIC_BASE_URL": "https://bank.example",
    "VIDOS_AUTHORIZER_URL": "https://authorizer.example",
}


def test_production_defaults_and_requirements():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        settings(**{**PRODUCTION, "SECRET_KEY": ""})
    with pytest.raises(ConfigError, match="ADMIN_PASSWORD"):
        settings(**{**PRODUCTION, "ADMIN_PASSWORD": ""})
    s = settings(**PRODUCTION)
    assert s.auto_migrate is False
    assert s.production and s.authorizer == "vidos"


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
    result = run_wsgi(env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["Configuration error: SESSION_TTL_MINUTES must be a whole number, got 'abc'"]
    assert "Traceback" not in result.stderr


def test_debugger_is_off_by_default(app):
    assert app.debug is False


# -- production refuses what is unsafe (security review, issue 7 items 1 and 2) ---------


def test_production_refuses_the_sandbox_without_the_opt_in():
    with pytest.raises(ConfigError, match="VIDOS_AUTHORIZER_URL is required in production"):
        settings(**{**PRODUCTION, "VIDOS_AUTHORIZER_URL": ""})
    with pytest.raises(ConfigError, match="VIDOS_AUTHORIZER_URL"):
        settings(**{**PRODUCTION, "AUTHORIZER": "sandbox"})
    opt_in = {"VIDOS_AUTHORIZER_URL": "", "ALLOW_SANDBOX_IN_PRODUCTION": "1"}
    demo = settings(**{**PRODUCTION, **opt_in})
    assert demo.authorizer == "sandbox" and demo.allow_sandbox_in_production


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"SECRET_KEY": "s" * 31}, "SECRET_KEY must be at least 32"),
        ({"ADMIN_PASSWORD": "demo"}, "ADMIN_PASSWORD"),
        ({"ADMIN_PASSWORD": "Change-Me"}, "ADMIN_PASSWORD"),
        ({"ADMIN_PASSWORD": "password123"}, "ADMIN_PASSWORD"),
        ({"ADMIN_PASSWORD": "short-pw-11"}, "ADMIN_PASSWORD must be at least 12"),
        ({"PUBLIC_BASE_URL": "http://bank.example"}, "PUBLIC_BASE_URL must be an https"),
        ({"VIDOS_AUTHORIZER_URL": "http://authorizer.example"}, "VIDOS_AUTHORIZER_URL must be"),
        ({"FLASK_DEBUG": "1"}, "FLASK_DEBUG"),
    ],
)
def test_production_refuses_weak_settings(change, variable):
    with pytest.raises(ConfigError, match=variable):
        settings(**{**PRODUCTION, **change})
    assert settings(**{**PRODUCTION, "FLASK_DEBUG": "0"}).production  # off is fine


def test_configuration_errors_never_print_a_password():
    with pytest.raises(ConfigError) as caught:
        settings(DATABASE_URL="mysql://bank:s3cr3t-pw@db.example/bank")
    assert "s3cr3t-pw" not in str(caught.value) and "***" in str(caught.value)
    for password in ("demo", "short-pw-11"):
        with pytest.raises(ConfigError) as caught:
            settings(**{**PRODUCTION, "ADMIN_PASSWORD": password})
        assert password not in str(caught.value).replace("ADMIN_PASSWORD", "")


def test_https_session_cookie_is_host_prefixed(database_url):
    app = make_app(database_url, PUBLIC_BASE_URL="https://bank.example")
    client = app.test_client()
    page = client.get("/signup", base_url="https://bank.example")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    plain = make_app(database_url).test_client().get("/signup").headers["Set-Cookie"]
    assert plain.startswith("session=")


def test_public_sandbox_demo_starts_with_a_warning_and_the_banner(database_url, caplog):
    caplog.set_level("WARNING")
    app = make_app(
        database_url,
        TESTING=False,
        **{**PRODUCTION, "VIDOS_AUTHORIZER_URL": "", "ALLOW_SANDBOX_IN_PRODUCTION": "1"},
    )
    assert any(
        r.levelname == "WARNING" and "sandbox" in r.getMessage() for r in caplog.records
    ), caplog.text
    page = app.test_client().get("/", base_url="https://bank.example").get_data(as_text=True)
    assert "Sandbox: identities are simulated" in page


def test_production_without_vidos_does_not_start_the_process(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_PATH": str(tmp_path / "x.db"),
        **{k: v for k, v in PRODUCTION.items() if k != "VIDOS_AUTHORIZER_URL"},
    }
    result = run_wsgi(env)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "VIDOS_AUTHORIZER_URL" in line and "ALLOW_SANDBOX_IN_PRODUCTION" in line


def test_development_secret_key_survives_a_restart(tmp_path):
    env = {"DATABASE_PATH": str(tmp_path / "data" / "bank.db")}
    first = load_settings(environ=env)
    second = load_settings(environ=env)
    assert first.secret_key == second.secret_key and not first.secret_key_generated
    key_file = tmp_path / "data" / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["secret_key"]  # no temp file left


def test_development_secret_key_falls_back_to_a_random_one(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    s = load_settings(
        environ={"DATABASE_URL": "sqlite:///:memory:", "DATABASE_PATH": str(blocked / "x.db")}
    )
    assert s.secret_key_generated and len(s.secret_key) >= 32


def test_concurrent_starts_agree_on_one_secret_key(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from app.dev_defaults import persistent_secret_key

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: persistent_secret_key(tmp_path), range(16)))
    assert len(keys) == 1 and None not in keys


def test_explicit_and_production_secret_keys_are_not_written(tmp_path):
    env = {"DATABASE_PATH": str(tmp_path / "bank.db")}
    assert load_settings(environ={**env, "SECRET_KEY": "k" * 32}).secret_key == "k" * 32
    production = {**env, "DEMOBANK_ENV": "production", "ADMIN_PASSWORD": "hunter22"}
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(environ=production)
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:5000"),
        ({"PORT": "5600"}, "http://127.0.0.1:5600"),
        ({"HOST": "0.0.0.0", "PORT": "5600"}, "http://127.0.0.1:5600"),
        ({"HOST": "192.168.1.20", "PORT": "8000"}, "http://192.168.1.20:8000"),
        ({"HOST": "::1"}, "http://[::1]:5000"),
        ({"PORT": "5600", "PUBLIC_BASE_URL": "https://bank.example"}, "https://bank.example"),
    ],
)
def test_development_public_base_url_follows_host_and_port(env, expected):
    assert settings(**env).public_base_url == expected


def test_production_public_base_url_ignores_port():
    """Production never derives its address from PORT: it must be given, as https."""
    without = {k: v for k, v in PRODUCTION.items() if k != "PUBLIC_BASE_URL"}
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL must be an https"):
        settings(**without, PORT="8000")


def test_makefile_passes_host_and_port_to_the_server():
    makefile = (ROOT / "Makefile").read_text()
    assert "HOST=$(HOST) PORT=$(PORT) $(BIN)/flask run --host $(HOST) --port $(PORT)" in makefile


def test_startup_warnings_print_once_when_serving(tmp_path):
    """`make run` loads the app twice (flask db upgrade, then flask run): only the server
    process warns."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_PATH": str(tmp_path / "x.db"),
        "FLASK_APP": "wsgi",
    }
    flask = str(Path(sys.executable).parent / "flask")
    upgrade = subprocess.run(
        [flask, "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert "development default" not in upgrade.stderr
    served = run_wsgi(env)
    assert served.stderr.count("admin page password is the development default") == 1


# -- the local verifier (AUTHORIZER=local / sandbox) ---------------------------------------


def _pem_bundle(path: Path) -> Path:
    from app.verification.sandbox.pki import sandbox_pki

    path.write_bytes(sandbox_pki("another secret for a test CA of its own").ca_pem)
    return path


def test_local_verifier_needs_its_trust_anchors(tmp_path):
    with pytest.raises(ConfigError, match="TRUSTED_ISSUER_CA_PATH is required"):
        settings(AUTHORIZER="local")
    with pytest.raises(ConfigError, match="TRUSTED_ISSUER_CA_PATH"):
        settings(AUTHORIZER="local", TRUSTED_ISSUER_CA_PATH=str(tmp_path / "missing.pem"))
    s = settings(AUTHORIZER="local", TRUSTED_ISSUER_CA_PATH=str(_pem_bundle(tmp_path / "ca.pem")))
    assert s.local_verifier and not s.demo_wallet and s.dc_api_available


def test_verifier_key_and_certificate_come_together(tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("x")
    with pytest.raises(ConfigError, match="VERIFIER_KEY_PATH and VERIFIER_CERT_PATH together"):
        settings(VERIFIER_KEY_PATH=str(key))


def test_production_local_verifier_needs_its_own_identity(tmp_path):
    env = {**PRODUCTION, "AUTHORIZER": "local"}
    env["TRUSTED_ISSUER_CA_PATH"] = str(_pem_bundle(tmp_path / "ca.pem"))
    with pytest.raises(ConfigError, match="VERIFIER_KEY_PATH and VERIFIER_CERT_PATH are required"):
        settings(**env)


def test_the_sandbox_ca_is_trusted_only_with_the_demo_wallet(tmp_path):
    from app.verification.local.setup import trust_anchors
    from app.verification.sandbox.pki import sandbox_pki

    bundle = _pem_bundle(tmp_path / "ca.pem")
    local = settings(AUTHORIZER="local", TRUSTED_ISSUER_CA_PATH=str(bundle), SECRET_KEY="k" * 32)
    sandbox = settings(AUTHORIZER="sandbox", SECRET_KEY="k" * 32)
    sandbox_ca = sandbox_pki("k" * 32).ca_certificate
    assert sandbox_ca not in trust_anchors(local) and len(trust_anchors(local)) == 1
    assert trust_anchors(sandbox) == [sandbox_ca]


def test_a_bad_trust_anchor_file_stops_the_start(tmp_path):
    from app.verification.local.setup import trust_anchors

    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ConfigError, match="not a PEM file of certificates"):
        trust_anchors(settings(AUTHORIZER="local", TRUSTED_ISSUER_CA_PATH=str(junk)))
