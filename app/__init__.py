"""Demo Bank: a web bank that uses the PID from an EU Digital Identity Wallet."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import DEFAULT_ADMIN_PASSWORD, ConfigError, Settings, load_settings
from .extensions import csrf, db, limiter, login_manager
from .logs import configure_logging

ROOT = Path(__file__).resolve().parent.parent
__all__ = ["ConfigError", "create_app"]


def _split_overrides(
    overrides: dict[str, Any] | None,
) -> tuple[dict[str, str], dict[str, Any]]:
    """Upper-case keys that name environment variables go to the settings, others to Flask."""
    from .config import ENVIRONMENT_VARIABLES

    env: dict[str, str] = {}
    flask_config: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if key in ENVIRONMENT_VARIABLES:
            env[key] = str(value)
        else:
            flask_config[key] = value
    return env, flask_config


def create_app(config_overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application.

    `config_overrides` may hold environment-variable settings (`DATABASE_URL`,
    `AUTO_MIGRATE`, ...), which take precedence over the environment, and plain Flask
    config keys (`TESTING`, ...). Raises `ConfigError` for a bad setting.
    """
    env_overrides, flask_overrides = _split_overrides(config_overrides)
    settings = load_settings(overrides=env_overrides)
    configure_logging(settings)

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(settings.flask_config())
    app.config.update(flask_overrides)
    app.extensions["demobank.settings"] = settings
    if settings.trusted_proxy_hops:
        # Only as many X-Forwarded-* hops as there are proxies we run: more would let a
        # client choose its own address (and so its own rate-limit bucket).
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )

    _init_extensions(app, settings)
    _register_blueprints(app, settings)

    from .web import register_web_hooks

    register_web_hooks(app)

    from .cli import demobank_cli

    app.cli.add_command(demobank_cli)

    with app.app_context():
        from .database import configure_engine
        from .schema_version import ensure_schema

        configure_engine(db.engine)
        app.extensions["demobank.schema_current"] = ensure_schema(settings.auto_migrate)
        from .verification import build_authorizer

        authorizer = build_authorizer(settings)
        app.extensions["demobank.authorizer"] = authorizer
        _connect_local_verifier(authorizer, settings)
        # No connection opened at start-up survives into request handling: gunicorn may
        # fork this process (preload_app), and a forked child must open its own.
        db.session.remove()
        db.engine.dispose()

    _announce(app, settings)
    return app


def _init_extensions(app: Flask, settings: Settings) -> None:
    if settings.database_url.startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"connect_timeout": 5},
        }
    elif settings.database_url.startswith("sqlite"):
        # A SQLite file is never dropped like a server connection: no ping per checkout
        # (it was a `SELECT 1` at the start of every request).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "pool_pre_ping": False,
        }
    db.init_app(app)
    from .schema_version import register_migrate_commands

    register_migrate_commands(app)  # Flask-Migrate (and Alembic) load when `flask db` runs
    csrf.init_app(app)
    limiter.init_app(app)

    from .principal import load_user

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.signin"
    login_manager.login_message = "Please sign in with your EUDI Wallet to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the login token itself is the protection


def _register_blueprints(app: Flask, settings: Settings) -> None:
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .banking import bp as banking_bp
    from .flows.views import bp as flows_bp
    from .pages import bp as pages_bp
    from .verification.local import models  # noqa: F401 - its table is in the schema always

    for blueprint in (pages_bp, auth_bp, flows_bp, banking_bp, admin_bp):
        app.register_blueprint(blueprint)
    # The verifier and the demo wallet (and the credential code they load) only when used.
    if settings.local_verifier:
        from .verification.local.views import bp as verifier_bp

        app.register_blueprint(verifier_bp)
    if settings.demo_wallet:
        from .verification.sandbox.views import bp as sandbox_bp

        app.register_blueprint(sandbox_bp)


def _connect_local_verifier(authorizer: object, settings: Settings) -> None:
    """Tell the local verifier when the bank has given up on a request (verification
    does not import the flows, so the link is made here)."""
    if settings.local_verifier:
        from .flows.requests import withdrawn
        from .verification.local.authorizer import LocalAuthorizer

        assert isinstance(authorizer, LocalAuthorizer)  # build_authorizer's, for this setting
        authorizer.settings.withdrawn = withdrawn


def _serving_process() -> bool:
    """Whether this process is the one that serves: a WSGI server (no command line of
    Flask's), or `flask run` (with the reloader, only its child). `flask db upgrade`, which
    `make run` runs first, and the reloader's watcher stay quiet, so warnings print once."""
    import click
    from flask.helpers import get_debug_flag
    from werkzeug.serving import is_running_from_reloader

    context = click.get_current_context(silent=True)
    if context is None:
        return True
    if context.command.name != "run":
        return False
    reload = context.params.get("reload")
    if reload is None:
        reload = get_debug_flag()
    return not reload or is_running_from_reloader()


def _announce(app: Flask, settings: Settings) -> None:
    log = logging.getLogger("demobank")
    if app.testing or not _serving_process():
        log.debug("authorizer: %s", settings.authorizer)
        return
    if settings.secret_key_generated:
        log.warning("SECRET_KEY is not set: using a random key, so logins end at restart")
    if not settings.production and settings.admin_password == DEFAULT_ADMIN_PASSWORD:
        log.warning("admin page password is the development default: demo")
    if settings.production and settings.demo_wallet:
        log.warning(
            "the sandbox authorizer is serving in production (ALLOW_SANDBOX_IN_PRODUCTION=1): "
            "anyone can sign in as any test identity; play money only"
        )
    if settings.production and settings.ratelimit_storage_uri.startswith("memory://"):
        log.info("rate limits are kept per process (RATELIMIT_STORAGE_URI=memory://)")
    log.info("authorizer: %s", settings.authorizer)
