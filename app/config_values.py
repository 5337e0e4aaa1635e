"""Reading one setting from the environment: each parser names its variable in the
ConfigError it raises, and never prints a secret."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names the variable."""


def flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")


def whole_number(name: str, raw: str, minimum: int) -> int:
    try:
        if not raw.strip().isascii():
            raise ValueError(raw)
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def positive_int(name: str, raw: str) -> int:
    return whole_number(name, raw, minimum=1)


def http_url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http:// or https:// URL, got {raw!r}")
    return raw.rstrip("/")


def rate_limit(name: str, raw: str) -> str:
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a rate like '20 per minute', got {raw!r}") from None
    return raw


def masked_url(url: str) -> str:
    """A database URL fit for a message: its password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(a value that is not a URL)" if "@" in url else url


def database_path(env: Mapping[str, str]) -> Path:
    """The SQLite file DATABASE_PATH names (used when DATABASE_URL is not set)."""
    return Path(env.get("DATABASE_PATH", "./data/demobank.db")).expanduser().resolve()


def data_folder(env: Mapping[str, str]) -> Path:
    return database_path(env).parent


def database_url(env: Mapping[str, str]) -> str:
    url = env.get("DATABASE_URL", "").strip()
    if url:
        if not url.startswith(("sqlite:", "postgresql")):
            raise ConfigError(
                "DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL, "
                f"got {masked_url(url)!r}"
            )
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    path = database_path(env)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"DATABASE_PATH folder {path.parent} cannot be created: {exc}") from None
    return f"sqlite:///{path}"


def optional_file(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"{name} names {path}, which is not a readable file")
    return path


def verifier_paths(env: Mapping[str, str]) -> tuple[Path | None, Path | None]:
    key_path = optional_file(env, "VERIFIER_KEY_PATH")
    cert_path = optional_file(env, "VERIFIER_CERT_PATH")
    if (key_path is None) != (cert_path is None):
        raise ConfigError("set VERIFIER_KEY_PATH and VERIFIER_CERT_PATH together")
    return key_path, cert_path
