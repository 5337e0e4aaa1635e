import base64
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from app.accounts import NewAccount, create_user
from app.database import write_transaction
from app.extensions import db
from app.login_sessions import create_session
from app.models import User
from app.verification.credentials.session_transcript import redirect_session_transcript
from app.verification.credentials.vp_token import PresentationContext, verify_vp_token
from tests.helpers import Browser


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


@pytest.mark.parametrize(("flow", "fmt"), [("payment", "sd-jwt"), ("signup", "mdoc")])
def test_presentation_prints_what_anyone_needs_to_verify_it_again(app, client, runner, flow, fmt):
    browser = Browser(client)
    if flow == "payment":
        browser.signup()
        request_id = browser.confirm_payment("Maria Garcia", "12.50")
    else:
        request_id = browser.start("/signup", {"mode": "direct_post", "credential_format": "any"})
    browser.wallet_answer(browser.wallet_url(request_id), credential_format=fmt)

    result = runner.invoke(args=["demobank", "presentation", request_id])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) >= {
        "vp_token", "nonce", "client_id", "response_uri", "transaction_data",
        "issuer_ca_pem", "jwk_thumbprint",
    }
    assert document["client_id"].startswith("x509_hash:")
    assert document["response_uri"] == "http://localhost/oid4vp/response"
    assert bool(document["transaction_data"]) == (flow == "payment")

    # verified again from the document alone, as an outside reviewer would
    thumbprint = base64.urlsafe_b64decode(document["jwk_thumbprint"] + "==")
    context = PresentationContext(
        nonce=document["nonce"],
        audience=document["client_id"],
        session_transcript=redirect_session_transcript(
            document["client_id"], document["nonce"], thumbprint, document["response_uri"]
        ),
        transaction_data=document["transaction_data"],
        trust_anchors=x509.load_pem_x509_certificates(document["issuer_ca_pem"].encode()),
        now=datetime.now(UTC),
    )
    presented = verify_vp_token(document["vp_token"], document["dcql_query"], context)
    assert presented[0].format == ("mso_mdoc" if fmt == "mdoc" else "dc+sd-jwt")


def test_presentation_of_an_unanswered_request_says_so(app, client, runner):
    request_id = Browser(client).start("/signin", {"mode": "direct_post"})
    result = runner.invoke(args=["demobank", "presentation", request_id])
    assert result.exit_code != 0 and "no presentation was received" in result.output
    unknown = runner.invoke(args=["demobank", "presentation", "nope"])
    assert unknown.exit_code != 0 and "no verification request nope" in unknown.output
