"""How the dashboard's first page scales with history: 100,000 activity rows vs 10.

    .venv/bin/python benchmarks/dashboard_first_page.py [--rows 100000] [--repeat 30]

Set DATABASE_URL to a PostgreSQL URL to measure there (its tables are emptied first);
the default is a fresh SQLite file. Prints median times and their ratio, which is what to
compare on a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from app import create_app
from app.accounts import NewAccount, create_user
from app.database import write_transaction
from app.extensions import db
from app.housekeeping import reset_everything
from app.login_sessions import create_session
from app.models import Activity


def seed_user(identifier: str, rows: int) -> str:
    with write_transaction():
        user = create_user(
            NewAccount(identifier=identifier, family_name="Bench", given_name="Mark")
        )
        start = datetime.now(UTC) - timedelta(days=400)
        db.session.execute(
            Activity.__table__.insert(),
            [
                {
                    "user_id": user.id,
                    "type": "loan" if i % 10 == 0 else "payment",
                    "title": f"Entry {i}",
                    "amount_cents": -100,
                    "meta": {"kind": "seeded"},
                    "created_at": start + timedelta(minutes=i),
                }
                for i in range(rows)
            ],
        )
        return create_session(user.id, "direct_post", ["sd-jwt"], timedelta(hours=1))


def median_ms(client, token: str, path: str, repeat: int) -> float:
    with client.session_transaction() as session:
        session["_user_id"] = token
    client.get(path)  # warm up
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "b" * 32, "AUTO_MIGRATE": "1", "LOG_LEVEL": "WARNING"}
    )
    with app.app_context():
        reset_everything()
        big = seed_user("BENCH-BIG", args.rows)
        small = seed_user("BENCH-SMALL", 10)
        if db.engine.dialect.name == "postgresql":  # what autovacuum would do soon after
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE activities")
    for path in ("/dashboard", "/dashboard?filter=loans"):
        big_ms = median_ms(app.test_client(), big, path, args.repeat)
        small_ms = median_ms(app.test_client(), small, path, args.repeat)
        print(
            f"{path:28} {args.rows:>7} rows: {big_ms:7.2f} ms   10 rows: {small_ms:7.2f} ms"
            f"   ratio {big_ms / small_ms:5.2f}"
        )


if __name__ == "__main__":
    main()
