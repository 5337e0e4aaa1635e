"""Time per request in-process (create_app + Flask test client, no server, no network).

    .venv/bin/python benchmarks/requests.py [--repeat 200] [--rows 100000]
        [--save FILE.json] [--baseline FILE.json | --baseline-ref GITREF [--rounds R]]

A Vidos authorizer (benchmarks/fake_vidos.py in this process) and a fresh SQLite file. Two
accounts sign up (their wallets approve); then STATUS_CHECK_INTERVAL_SECONDS is raised so
high that only the first look at a request asks the authorizer. One account starts a
payment and leaves it pending (its waiting page is rendered and its status polled once
first), and the other's history is topped up to --rows activity rows.
Then, round-robin so that all figures share the machine's noise, --repeat times each:

  status_poll_not_due   GET /auth/<id>/status of the pending payment
  waiting_page          GET /auth/<id> of the same payment (after its first render)
  dashboard_10_rows     GET /dashboard of the account with 10 activity rows
  dashboard_N_rows      GET /dashboard of the account with --rows activity rows
  landing               GET / without a session

and reports the median and 95th percentile in ms. With --baseline-ref, both checkouts
run in child processes (cwd and PYTHONPATH set to each), alternating, one after another.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import common
from fake_vidos import AUTH_ID, FakeVidos

WAITING = re.compile(r"^/auth/([0-9a-f-]{36})$")


def make_app(folder: Path, authorizer_url: str) -> Any:
    from app import create_app

    return create_app(
        {
            "DEMOBANK_ENV": "development",
            "DATABASE_URL": f"sqlite:///{folder / 'bank.db'}",
            "SECRET_KEY": common.SECRET_KEY,
            "AUTO_MIGRATE": "1",
            "AUTHORIZER": "vidos",
            "VIDOS_AUTHORIZER_URL": authorizer_url,
            "VIDOS_API_KEY": "benchmark",
            "PUBLIC_BASE_URL": "http://localhost",
            "LOG_LEVEL": "WARNING",
            "ADMIN_PASSWORD": "benchmark-admin-password",
            "RATELIMIT_VERIFICATIONS": "100000 per minute",
            "RATELIMIT_STORAGE_URI": "memory://",
            "STATUS_CHECK_INTERVAL_SECONDS": 0,  # a Flask config key; raised after sign-up
        }
    )


def seed_activity(app: Any, rows: int) -> None:
    """Top the newest account's history up to `rows` (the one place that uses the models)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Activity, User

    with app.app_context():
        user_id = db.session.scalar(select(User.id).order_by(User.created_at.desc()).limit(1))
        count = select(func.count()).select_from(Activity).where(Activity.user_id == user_id)
        have = db.session.scalar(count) or 0
        start = datetime.now(UTC) - timedelta(days=400)
        new = [
            {
                "user_id": user_id,
                "type": "loan" if i % 10 == 0 else "payment",
                "title": f"Entry {i}",
                "amount_cents": -100,
                "meta": {"kind": "seeded"},
                "created_at": start + timedelta(minutes=i),
            }
            for i in range(rows - have)
        ]
        if new:
            db.session.execute(Activity.__table__.insert(), new)
        db.session.commit()
        assert db.session.scalar(count) == rows
        db.session.remove()


def expect(response: Any, status: int, what: str) -> Any:
    if response.status_code != status:
        body = response.get_data(as_text=True)[:300]
        raise SystemExit(f"{what}: HTTP {response.status_code}, expected {status}: {body!r}")
    return response


def post_form(client: Any, path: str, data: dict[str, str]) -> str:
    """POST a form like a browser (CSRF token from its page); returns the redirect."""
    match = common.CSRF.search(expect(client.get(path), 200, f"GET {path}").get_data(as_text=True))
    if not match:
        raise SystemExit(f"no CSRF token on {path}")
    response = client.post(path, data={**data, "csrf_token": match[1]})
    return str(expect(response, 303, f"POST {path}").headers["Location"])


def signup(client: Any, fake: FakeVidos, pan: str) -> None:
    """Sign up; the fake's wallet approves once it has "scanned" the waiting page's link."""
    waiting = post_form(client, "/signup", {"mode": "direct_post", "credential_format": "any"})
    page = expect(client.get(waiting), 200, "waiting page").get_data(as_text=True)
    found = AUTH_ID.search(page)
    if not found:
        raise SystemExit("no authorization link on the sign-up waiting page")
    fake.scan(found[0], pan)
    for _ in range(10):
        status = expect(client.get(f"{waiting}/status"), 200, "sign-up poll").get_json()
        if status["status"] != "pending":
            break
    if status.get("next_url") != "/profile?welcome=1":
        raise SystemExit(f"sign-up as {pan} ended with {status}")


def start_payment(client: Any) -> str:
    confirm = post_form(
        client, "/send", {"recipient": "Bench Shop", "amount": "1.00", "reference": ""}
    )
    waiting = post_form(client, confirm, {})
    match = WAITING.match(waiting)
    if not match:
        raise SystemExit(f"the payment went to {waiting}")
    expect(client.get(waiting), 200, "first render of the waiting page")
    poll = expect(client.get(f"{waiting}/status"), 200, "first poll").get_json()
    assert poll["status"] == "pending", poll
    return waiting


def measure(rows: int, repeat: int, root: Path) -> dict[str, Any]:
    import app

    if Path(app.__file__).resolve().parent.parent != root.resolve():
        raise SystemExit(f"app was imported from {app.__file__}, not from {root}")
    code = common.describe(root)
    fake = FakeVidos(validate=False)
    fake.server.start()
    with tempfile.TemporaryDirectory(prefix="demobank-requests-") as folder:
        flask_app = make_app(Path(folder), fake.url)
        small, big = flask_app.test_client(), flask_app.test_client()
        signup(small, fake, "BENCH-SMALL")
        seed_activity(flask_app, 10)
        signup(big, fake, "BENCH-BIG")
        seed_activity(flask_app, rows)
        flask_app.config["STATUS_CHECK_INTERVAL_SECONDS"] = 10**6
        waiting = start_payment(small)
        targets = {
            "status_poll_not_due": (small, f"{waiting}/status"),
            "waiting_page": (small, waiting),
            "dashboard_10_rows": (small, "/dashboard"),
            f"dashboard_{rows}_rows": (big, "/dashboard"),
            "landing": (flask_app.test_client(), "/"),
        }
        timings: dict[str, list[float]] = {name: [] for name in targets}
        for i in range(repeat + 5):  # the first 5 rounds warm up
            for name, (client, path) in targets.items():
                started = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - started
                expect(response, 200, f"GET {path}")
                if i >= 5:
                    timings[name].append(elapsed * 1000)
        poll = small.get(f"{waiting}/status").get_json()
        assert poll["status"] == "pending", f"the payment is no longer pending: {poll}"
    fake.server.stop()
    figures: dict[str, float] = {}
    units: dict[str, str] = {}
    for name, values in timings.items():
        figures[f"{name} p50"] = statistics.median(values)
        figures[f"{name} p95"] = common.p95(values)
        units[f"{name} p50"] = units[f"{name} p95"] = "ms"
    settings = {"rows": rows, "repeat": repeat}
    return common.result("requests", code, settings, figures, units)


def in_child(root: Path, code: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Measure the checkout at `root` in a fresh Python whose cwd and PYTHONPATH are root."""
    print(f"measuring {code['commit']} ({root}) ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="demobank-requests-out-") as folder:
        out = Path(folder) / "result.json"
        options = f"--rows {args.rows} --repeat {args.repeat} --child-out {out}".split()
        command = [sys.executable, str(Path(__file__).resolve()), *options]
        subprocess.run(command, cwd=root, env=common.code_env(root), timeout=600, check=True)
        return {**common.load(str(out)), "code": code}


def main() -> None:
    common.unshadow()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    common.add_options(parser, timeout=1200)
    args = parser.parse_args()
    common.watchdog(args.timeout)
    if args.child_out:
        common.save(args.child_out, measure(args.rows, args.repeat, Path.cwd()), quiet=True)
        return
    if args.baseline_ref:
        ours, baseline = common.measure_sides(args, lambda root, code: in_child(root, code, args))
    else:
        ours, baseline = common.measure_sides(
            args, lambda root, _code: measure(args.rows, args.repeat, root)
        )
    title = f"requests: in-process, median and p95 of {args.repeat} calls each, in ms"
    common.report(args, title, ours, baseline)


if __name__ == "__main__":
    main()
