import sqlite3
from datetime import timedelta

from app.accounts import NewAccount, create_user
from app.database import write_transaction
from app.extensions import db
from app.login_sessions import create_session
from app.models import User


def seed(app):
    with app.app_context(), write_transaction():
        user = create_user(NewAccount(identifier="PL-1", family_name="Nowak", given_name="Ola"))
        create_session(user.id, "direct_post", ["sd-jwt"], timedelta(minutes=-1))
        create_session(user.id, "direct_post", ["sd-jwt"], timedelta(minutes=10))


def test_stats(app, runner):
    seed(app)
    result = runner.invoke(args=["demobank", "stats"])
    assert result.exit_code == 0
    assert "users: 1" in result.output
    assert "sessions: 2 (1 active)" in result.output
    assert "database size:" in result.output


def test_prune_deletes_expired_sessions(app, runner):
    seed(app)
    result = runner.invoke(args=["demobank", "prune"])
    assert result.exit_code == 0
    assert "Deleted 1 expired sessions" in result.output


def test_reset_asks_and_respects_no(app, runner):
    seed(app)
    refused = runner.invoke(args=["demobank", "reset"], input="n\n")
    assert refused.exit_code != 0
    with app.app_context():
        assert db.session.query(User).count() == 1
    done = runner.invoke(args=["demobank", "reset", "--yes"])
    assert done.exit_code == 0 and "deleted" in done.output
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_backup_is_a_consistent_sqlite_copy(app, runner, tmp_path):
    seed(app)
    target = tmp_path / "backups" / "copy.db"
    result = runner.invoke(args=["demobank", "backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT given_name FROM users").fetchall() == [("Ola",)]


def test_backup_on_postgres_points_to_pg_dump(any_app, tmp_path):
    runner = any_app.test_cli_runner()
    with any_app.app_context():
        engine = db.engine.dialect.name
    result = runner.invoke(args=["demobank", "backup", str(tmp_path / "copy.db")])
    if engine == "postgresql":
        assert result.exit_code != 0 and "pg_dump" in result.output
    else:
        assert result.exit_code == 0
