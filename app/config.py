"""Configuration read from the environment (and `.env`), validated once at start-up."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

from .config_values import (
    ConfigError as ConfigError,  # raised by load_settings; importable from here
)
from .config_values import (
    data_folder,
    database_url,
    flag,
    http_url,
    optional_file,
    positive_int,
    rate_limit,
    verifier_paths,
    whole_number,
)
from .dev_defaults import default_public_base_url, persistent_secret_key
from .money import euros_to_cents

log = logging.getLogger(__name__)

DEFAULT_ADMIN_PASSWORD = "demo"  # noqa: S105 - the documented development default
# Passwords that documentation, tutorials and this project's own examples show.
KNOWN_DEFAULT_PASSWORDS = frozenset(
    {
        DEFAULT_ADMIN_PASSWORD,
        "admin",
        "administrator",
        "change-me",
        "changeme",
        "change-me-please",
        "password",
        "password123",
        "secret",
        "letmein",
        "123456789012",
    }
)
AUTHORIZERS = ("sandbox", "local", "vidos")
MIN_SECRET_KEY_LENGTH = 32
MIN_ADMIN_PASSWORD_LENGTH = 12
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
ENVIRONMENT_VARIABLES = frozenset(
    {
        "DEMOBANK_ENV",
        "SECRET_KEY",
        "DATABASE_URL",
        "DATABASE_PATH",
        "SESSION_TTL_MINUTES",
        "PUBLIC_BASE_URL",
        "AUTHORIZER",
        "VIDOS_AUTHORIZER_URL",
        "VIDOS_API_KEY",
        "ADMIN_PASSWORD",
        "AUTO_MIGRATE",
        "LOG_LEVEL",
        "RATELIMIT_VERIFICATIONS",
        "RATELIMIT_ADMIN_LOGIN",
        "RATELIMIT_CALLBACKS",
        "RATELIMIT_VERIFIER",
        "RATELIMIT_STORAGE_URI",
        "ALLOW_SANDBOX_IN_PRODUCTION",
        "TRUSTED_PROXY_HOPS",
        "SESSION_IDLE_MINUTES",
        "LOAN_EXPOSURE_LIMIT_EUR",
        "FLASK_DEBUG",
        "VERIFIER_KEY_PATH",
        "VERIFIER_CERT_PATH",
        "TRUSTED_ISSUER_CA_PATH",
    }
)


@dataclass(frozen=True)
class Settings:
    env: str
    secret_key: str
    secret_key_generated: bool
    database_url: str
    session_ttl_minutes: int
    session_idle_minutes: int
    public_base_url: str
    authorizer: str
    vidos_authorizer_url: str | None
    vidos_api_key: str | None
    admin_password: str
    auto_migrate: bool
    log_level: str
    ratelimit_verifications: str
    ratelimit_admin_login: str
    ratelimit_callbacks: str
    ratelimit_verifier: str
    ratelimit_storage_uri: str
    allow_sandbox_in_production: bool
    trusted_proxy_hops: int
    loan_exposure_limit_cents: int
    data_folder: Path
    verifier_key_path: Path | None = None
    verifier_cert_path: Path | None = None
    trusted_issuer_ca_path: Path | None = None

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def demo_wallet(self) -> bool:
        """The sandbox: the local verifier plus the demo wallet, which trusts its own CA."""
        return self.authorizer == "sandbox"

    @property
    def local_verifier(self) -> bool:
        return self.authorizer in ("sandbox", "local")

    @property
    def dc_api_available(self) -> bool:
        """Whether "Browser wallet" (the Digital Credentials API) can be offered: a real
        wallet answers it, so not with the demo wallet."""
        return self.authorizer in ("vidos", "local")

    @property
    def https(self) -> bool:
        return self.public_base_url.startswith("https://")

    @property
    def session_cookie_name(self) -> str:
        # __Host-: the browser refuses it unless Secure, Path=/ and no Domain (RFC 6265bis),
        # so no other host or path can plant or shadow the session cookie.
        return "__Host-session" if self.https else "session"

    def flask_config(self) -> dict[str, Any]:
        from datetime import timedelta

        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.https,
            "SESSION_COOKIE_NAME": self.session_cookie_name,
            "SESSION_COOKIE_PATH": "/",
            "SESSION_COOKIE_DOMAIN": None,
            "PERMANENT_SESSION_LIFETIME": timedelta(minutes=self.session_ttl_minutes),
            # The login's lifetime and idle time are kept on the server: the cookie is sent
            # again only when it changes, not re-signed on every response.
            "SESSION_REFRESH_EACH_REQUEST": False,
            "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
            "WTF_CSRF_TIME_LIMIT": None,
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_uri,
            "RATELIMIT_HEADERS_ENABLED": True,
            "STATUS_CHECK_INTERVAL_SECONDS": 1.0,
        }


def _check_production(settings: Settings, env: Mapping[str, str]) -> None:
    """What production refuses: each check names the variable and never prints a secret."""
    if len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters in production"
        )
    password = settings.admin_password
    if password.strip().lower() in KNOWN_DEFAULT_PASSWORDS:
        raise ConfigError("ADMIN_PASSWORD must be set to a non-default value in production")
    if len(password) < MIN_ADMIN_PASSWORD_LENGTH:
        raise ConfigError(
            f"ADMIN_PASSWORD must be at least {MIN_ADMIN_PASSWORD_LENGTH} characters in production"
        )
    if not settings.https:
        raise ConfigError("PUBLIC_BASE_URL must be an https:// URL in production")
    if settings.vidos_authorizer_url and not settings.vidos_authorizer_url.startswith("https://"):
        raise ConfigError("VIDOS_AUTHORIZER_URL must be an https:// URL in production")
    if env.get("FLASK_DEBUG", "").strip().lower() not in ("", "0", "false", "no", "off"):
        raise ConfigError("FLASK_DEBUG must not be on in production (the debugger runs code)")
    if settings.demo_wallet and not settings.allow_sandbox_in_production:
        raise ConfigError(
            "VIDOS_AUTHORIZER_URL is required in production: the sandbox's demo wallet lets "
            "anyone sign in as anyone (set ALLOW_SANDBOX_IN_PRODUCTION=1 only for a public demo "
            "with play money)"
        )
    if settings.authorizer == "local" and settings.verifier_key_path is None:
        raise ConfigError(
            "VERIFIER_KEY_PATH and VERIFIER_CERT_PATH are required in production with "
            "AUTHORIZER=local: the verifier's signing key and its certificate for the "
            "PUBLIC_BASE_URL host"
        )


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, str] | None = None
) -> Settings:
    """Read settings from `environ` (default: the process environment plus `.env`)."""
    if environ is None:
        load_dotenv(override=False)
        environ = os.environ
    env: dict[str, str] = {k: v for k, v in environ.items() if v != ""}
    env.update(overrides or {})

    app_env = env.get("DEMOBANK_ENV", "development").strip().lower()
    if app_env not in ("development", "production"):
        raise ConfigError(f"DEMOBANK_ENV must be development or production, got {app_env!r}")
    production = app_env == "production"

    secret_key = env.get("SECRET_KEY", "")
    generated = False
    if not secret_key:
        if production:
            raise ConfigError("SECRET_KEY is required when DEMOBANK_ENV=production")
        # Development: kept in the data folder so a restart does not sign everyone out.
        secret_key = persistent_secret_key(data_folder(env)) or ""
        if not secret_key:
            secret_key, generated = secrets.token_urlsafe(32), True

    admin_password = env.get("ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD)
    if production and "ADMIN_PASSWORD" not in env:
        raise ConfigError("ADMIN_PASSWORD must be set to a non-default value in production")

    vidos_url = env.get("VIDOS_AUTHORIZER_URL")
    if vidos_url:
        vidos_url = http_url("VIDOS_AUTHORIZER_URL", vidos_url)
    authorizer = env.get("AUTHORIZER", "vidos" if vidos_url else "sandbox").strip().lower()
    if authorizer not in AUTHORIZERS:
        raise ConfigError(f"AUTHORIZER must be {', '.join(AUTHORIZERS)}, got {authorizer!r}")
    if authorizer == "vidos" and not vidos_url:
        raise ConfigError("VIDOS_AUTHORIZER_URL is required when AUTHORIZER=vidos")
    key_path, cert_path = verifier_paths(env)
    trusted_ca_path = optional_file(env, "TRUSTED_ISSUER_CA_PATH")
    if authorizer == "local" and trusted_ca_path is None:
        raise ConfigError(
            "TRUSTED_ISSUER_CA_PATH is required when AUTHORIZER=local: a PEM file of the PID "
            "providers' CA certificates whose credentials the bank accepts"
        )

    log_level = env.get("LOG_LEVEL", "INFO").strip().upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")

    settings = Settings(
        env=app_env,
        secret_key=secret_key,
        secret_key_generated=generated,
        database_url=database_url(env),
        session_ttl_minutes=positive_int(
            "SESSION_TTL_MINUTES", env.get("SESSION_TTL_MINUTES", "60")
        ),
        session_idle_minutes=positive_int(
            "SESSION_IDLE_MINUTES", env.get("SESSION_IDLE_MINUTES", "30")
        ),
        public_base_url=http_url(
            "PUBLIC_BASE_URL",
            env.get("PUBLIC_BASE_URL")
            or ("http://127.0.0.1:5000" if production else default_public_base_url(env)),
        ),
        authorizer=authorizer,
        vidos_authorizer_url=vidos_url,
        vidos_api_key=env.get("VIDOS_API_KEY"),
        admin_password=admin_password,
        auto_migrate=flag("AUTO_MIGRATE", env.get("AUTO_MIGRATE", "0" if production else "1")),
        log_level=log_level,
        ratelimit_verifications=rate_limit(
            "RATELIMIT_VERIFICATIONS", env.get("RATELIMIT_VERIFICATIONS", "20 per minute")
        ),
        ratelimit_admin_login=rate_limit(
            "RATELIMIT_ADMIN_LOGIN", env.get("RATELIMIT_ADMIN_LOGIN", "5 per minute")
        ),
        ratelimit_callbacks=rate_limit(
            "RATELIMIT_CALLBACKS", env.get("RATELIMIT_CALLBACKS", "30 per minute")
        ),
        ratelimit_verifier=rate_limit(
            "RATELIMIT_VERIFIER", env.get("RATELIMIT_VERIFIER", "120 per minute")
        ),
        ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI", "memory://"),
        allow_sandbox_in_production=flag(
            "ALLOW_SANDBOX_IN_PRODUCTION", env.get("ALLOW_SANDBOX_IN_PRODUCTION", "0")
        ),
        trusted_proxy_hops=whole_number(
            "TRUSTED_PROXY_HOPS", env.get("TRUSTED_PROXY_HOPS", "0"), minimum=0
        ),
        loan_exposure_limit_cents=euros_to_cents(
            positive_int("LOAN_EXPOSURE_LIMIT_EUR", env.get("LOAN_EXPOSURE_LIMIT_EUR", "50000"))
        ),
        data_folder=data_folder(env),
        verifier_key_path=key_path,
        verifier_cert_path=cert_path,
        trusted_issuer_ca_path=trusted_ca_path,
    )
    if production:
        _check_production(settings, env)
    return settings
