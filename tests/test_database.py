"""The data layer on both engines: schema, pragmas, constraints, concurrency, persistence."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from app import create_app
from app.accounts import NewAccount, create_user, delete_user
from app.database import write_transaction
from app.db_types import StoredDataError
from app.extensions import db
from app.flows.requests import create_request, finish, get_request
from app.housekeeping import reset_everything
from app.login_sessions import create_session, resolve_token
from app.models import Activity, LoginSession, PendingAuthRequest, User
from app.schemas import FlowResult, SigninMeta
from tests.helpers import BASE_CONFIG, postgres_url

NOW = datetime(2026, 11, 30, 12, 0)
EXPECTED_TABLES = {
    "users",
    "sessions",
    "pending_auth_requests",
    "activities",
    "verifier_requests",
    "alembic_version",
}


def make_user(identifier: str = "DE-1") -> User:
    with write_transaction():
        user = create_user(NewAccount(identifier=identifier, family_name="Doe", given_name="Jo"))
    return user


def make_request(user_id: str | None = None, authorization_id: str = "auth-1") -> str:
    with write_transaction():
        request = create_request(
            SigninMeta(credential_formats=["sd-jwt"]),
            "direct_post",
            authorization_id,
            "nonce",
            timedelta(minutes=10),
            user_id=user_id,
        )
    return request.id


# -- schema ---------------------------------------------------------------------------


def empty_database_urls(tmp_path):
    urls = [f"sqlite:///{tmp_path / 'empty.db'}"]
    pg = postgres_url()
    if pg:
        engine = create_engine(pg)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS migrate_check CASCADE"))
            conn.execute(text("CREATE SCHEMA migrate_check"))
        engine.dispose()
        urls.append(pg + ("&" if "?" in pg else "?") + "options=-csearch_path%3Dmigrate_check")
    return urls


def test_migrations_build_the_schema_on_empty_databases_and_check_is_clean(tmp_path):
    for url in empty_database_urls(tmp_path):
        app = create_app({**BASE_CONFIG, "DATABASE_URL": url, "AUTO_MIGRATE": "0"})
        runner = app.test_cli_runner()
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            inspector = inspect(db.engine)
            assert set(inspector.get_table_names()) >= EXPECTED_TABLES
            user_columns = {c["name"] for c in inspector.get_columns("users")}
            assert {"identifier", "balance_cents", "pending_loans_total_cents"} <= user_columns
            indexes = {i["name"] for i in inspector.get_indexes("activities")}
            assert "ix_activities_user_id_created_at" in indexes
            db.engine.dispose()
        check = runner.invoke(args=["db", "check"])
        assert check.exit_code == 0, check.output


def test_authorization_id_rename_keeps_rows_on_upgrade_and_downgrade(tmp_path):
    """0004 renames vidos_authorization_id: rows written at 0003 survive both ways."""
    insert = text(
        "INSERT INTO pending_auth_requests (id, {column}, type, mode, status, "
        "browser_binding_hash, metadata, created_at, expires_at) VALUES ('r-1', 'auth-old', "
        "'signin', 'direct_post', 'pending', 'h', :meta, :now, :now)"
    )
    meta = '{"kind": "signin", "credential_formats": ["sd-jwt"]}'
    for url in empty_database_urls(tmp_path):
        app = create_app({**BASE_CONFIG, "DATABASE_URL": url, "AUTO_MIGRATE": "0"})
        runner = app.test_cli_runner()
        assert runner.invoke(args=["db", "upgrade", "0003"]).exit_code == 0
        with app.app_context():
            with db.engine.begin() as conn:
                column = "vidos_authorization_id"
                conn.execute(text(insert.text.format(column=column)), {"meta": meta, "now": NOW})
            db.engine.dispose()
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        with app.app_context():
            stored = db.session.get(PendingAuthRequest, "r-1")
            assert stored.authorization_id == "auth-old" and stored.type == "signin"
            with pytest.raises(IntegrityError), db.engine.begin() as conn:
                conn.execute(
                    text(insert.text.format(column="authorization_id").replace("'r-1'", "'r-2'")),
                    {"meta": meta, "now": NOW},
                )
            db.session.remove()
            db.engine.dispose()
        assert runner.invoke(args=["db", "downgrade", "0003"]).exit_code == 0
        with app.app_context():
            with db.engine.connect() as conn:
                kept = (
                    conn.execute(text("SELECT vidos_authorization_id FROM pending_auth_requests"))
                    .scalars()
                    .all()
                )
            assert kept == ["auth-old"]
            db.engine.dispose()


def test_db_check_detects_drift(tmp_path):
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    app = create_app({**BASE_CONFIG, "DATABASE_URL": url, "AUTO_MIGRATE": "1"})
    with sqlite3.connect(tmp_path / "drift.db") as conn:
        conn.execute("ALTER TABLE users ADD COLUMN nickname TEXT")
    assert app.test_cli_runner().invoke(args=["db", "check"]).exit_code != 0


def test_server_refuses_to_serve_when_schema_is_behind(tmp_path):
    app = create_app(
        {**BASE_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}", "AUTO_MIGRATE": "0"}
    )
    response = app.test_client().get("/")
    assert response.status_code == 503
    assert "flask db upgrade" in response.get_data(as_text=True)


def test_auto_migrate_upgrades_at_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'auto.db'}"
    app = create_app({**BASE_CONFIG, "DATABASE_URL": url, "AUTO_MIGRATE": "1"})
    assert app.test_client().get("/").status_code == 200


def test_parallel_start_ups_migrate_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'race.db'}"
    errors: list[BaseException] = []

    def start() -> None:
        try:
            create_app({**BASE_CONFIG, "DATABASE_URL": url, "AUTO_MIGRATE": "1"})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with sqlite3.connect(tmp_path / "race.db") as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


def test_sqlite_connection_pragmas(app):
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


# -- constraints and cascades -----------------------------------------------------------


def test_deleting_a_user_removes_sessions_requests_and_activities(any_app):
    with any_app.app_context():
        user = make_user()
        with write_transaction():
            create_session(user.id, "direct_post", ["sd-jwt"], timedelta(minutes=5))
        make_request(user.id)
        assert db.session.scalar(select(Activity).where(Activity.user_id == user.id))
        with write_transaction():
            assert delete_user(user.id)
        for model in (LoginSession, PendingAuthRequest, Activity):
            assert db.session.scalars(select(model)).all() == []


def test_check_constraint_refuses_negative_balance(any_app):
    with any_app.app_context():
        user = make_user()
        with pytest.raises(IntegrityError), write_transaction():
            db.session.execute(
                text("UPDATE users SET balance_cents = -1 WHERE id = :id"), {"id": user.id}
            )
        db.session.rollback()
        assert db.session.get(User, user.id).balance_cents > 0


def test_timestamps_are_aware_utc(any_app):
    with any_app.app_context():
        user = make_user()
        db.session.expire_all()
        created = db.session.get(User, user.id).created_at
        assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
        with pytest.raises(Exception, match="naive"), write_transaction():
            db.session.execute(
                LoginSession.__table__.insert().values(
                    id="x",
                    token_hash="h",
                    user_id=user.id,
                    mode="direct_post",
                    credential_formats=["sd-jwt"],
                    created_at=datetime(2030, 1, 1),
                    expires_at=datetime(2030, 1, 1),
                )
            )


# -- JSON columns ----------------------------------------------------------------------


def test_invalid_metadata_is_refused_on_write(any_app):
    with any_app.app_context():
        with pytest.raises(StatementError) as caught, write_transaction():
            db.session.execute(
                PendingAuthRequest.__table__.insert().values(
                    id="r1",
                    authorization_id="a1",
                    type="payment",
                    mode="direct_post",
                    status="pending",
                    browser_binding_hash="h",
                    metadata={"kind": "payment", "credential_formats": ["sd-jwt"]},
                    created_at=datetime.now(UTC),
                    expires_at=datetime.now(UTC),
                )
            )
        assert isinstance(caught.value.orig, StoredDataError)
        assert "pending_auth_requests.metadata" in str(caught.value.orig)
        assert db.session.scalars(select(PendingAuthRequest)).all() == []


def test_invalid_stored_json_raises_on_read(any_app):
    with any_app.app_context():
        request_id = make_request()
        with write_transaction():
            db.session.execute(
                text("UPDATE pending_auth_requests SET metadata = :m WHERE id = :id"),
                {"m": '{"kind": "payment", "amount_cents": -5}', "id": request_id},
            )
        db.session.expire_all()
        with pytest.raises(StoredDataError, match="on read"):
            db.session.get(PendingAuthRequest, request_id)


# -- sessions --------------------------------------------------------------------------


def test_expired_session_resolves_to_nothing(any_app):
    with any_app.app_context():
        user = make_user()
        with write_transaction():
            token = create_session(user.id, "direct_post", ["sd-jwt"], timedelta(minutes=5))
        idle = timedelta(minutes=30)
        assert resolve_token(token, idle).user.id == user.id
        later = datetime.now(UTC) + timedelta(minutes=6)
        assert resolve_token(token, idle, now=later) is None
        assert resolve_token("not-a-token", idle) is None
        stored = db.session.scalars(select(LoginSession.token_hash)).all()
        assert token not in stored and len(stored[0]) == 64


def test_sessions_survive_a_restart(database_url):
    first = create_app({**BASE_CONFIG, "DATABASE_URL": database_url, "AUTO_MIGRATE": "0"})
    with first.app_context():
        user = make_user()
        with write_transaction():
            token = create_session(user.id, "direct_post", ["sd-jwt"], timedelta(minutes=30))
    client = first.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = token
        flask_session["_fresh"] = True
    assert client.get("/dashboard").status_code == 200
    cookie = client.get_cookie("session")
    with first.app_context():
        db.engine.dispose()

    second = create_app({**BASE_CONFIG, "DATABASE_URL": database_url, "AUTO_MIGRATE": "0"})
    other_client = second.test_client()
    other_client.set_cookie("session", cookie.value)
    page = other_client.get("/dashboard")
    assert page.status_code == 200
    assert "Jo Doe" in page.get_data(as_text=True)


# -- pending requests: exactly once ----------------------------------------------------


def test_terminal_transition_happens_once(any_app):
    with any_app.app_context():
        request_id = make_request()
        with write_transaction():
            assert finish(request_id, "completed", FlowResult(status="authorized")) is True
        with write_transaction():
            assert finish(request_id, "failed", FlowResult(status="error")) is False
        db.session.expire_all()
        assert get_request(request_id).status == "completed"


def test_expired_request_reads_and_stores_as_expired(any_app):
    with any_app.app_context():
        request_id = make_request()
        later = datetime.now(UTC) + timedelta(minutes=11)
        with write_transaction():
            assert get_request(request_id, now=later).status == "expired"
        db.session.expire_all()
        stored = db.session.get(PendingAuthRequest, request_id)
        assert stored.status == "expired" and stored.result.status == "expired"


def test_two_threads_completing_one_request_exactly_one_wins(any_app):
    with any_app.app_context():
        request_id = make_request()
    barrier = threading.Barrier(2)
    wins: list[bool] = []

    def complete() -> None:
        with any_app.app_context():
            barrier.wait()
            with write_transaction():
                wins.append(finish(request_id, "completed", FlowResult(status="authorized")))
            db.session.remove()

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False, True]


# -- reset -----------------------------------------------------------------------------


def test_reset_empties_every_table(any_app):
    with any_app.app_context():
        user = make_user()
        with write_transaction():
            create_session(user.id, "direct_post", ["sd-jwt"], timedelta(minutes=5))
        make_request(user.id)
        reset_everything()
        for table in EXPECTED_TABLES - {"alembic_version"}:
            count = db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            assert count == 0, table
