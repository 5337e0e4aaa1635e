"""Payments end to end: gunicorn (gunicorn.conf.py), a fake Vidos authorizer, N browsers.

    .venv/bin/python benchmarks/payments.py [--clients 8] [--poll-interval 0.05]
        [--duration 30 | --payments N] [--workers W] [--threads T] [--no-validate-spec]
        [--save FILE.json] [--baseline FILE.json | --baseline-ref GITREF [--rounds R]]

Each client is a thread with its own httpx.Client (cookie jar). It signs up through the
fake, pays once to warm up, then repeats the payment path until the time or count is
reached: GET+POST /send, GET+POST /send/confirm, the waiting page GET /auth/<id>, GET
/auth/<id>/status every --poll-interval seconds (a browser polls every 1.0), and the
success page. The fake answers `pending` to an authorization's first status check and
`authorized` afterwards, once the client's "wallet" has scanned the waiting page's
request link. The app asks the authorizer at most once a second per request
(STATUS_CHECK_INTERVAL_SECONDS), so N clients cannot pass N payments/s. The fake runs
in this process and checks every call against tests/vidos's OpenAPI spec (about 1 ms of
client CPU per call; a violation counts as an error).

Server CPU is utime+stime of the gunicorn master and workers (/proc/<pid>/stat) over the
measured phase; RSS is VmRSS of each worker afterwards. Client CPU is this process (the
clients and the fake) and shows whether the load generator keeps up. gunicorn.conf.py's
access log stays on, as deployed (written to a file in the temp dir). Each run gets a
fresh SQLite file; with --baseline-ref both checkouts are served in this sitting, in turn.
"""

from __future__ import annotations

import argparse
import math
import re
import resource
import statistics
import time
from pathlib import Path
from typing import Any

import common
import httpx
from fake_vidos import AUTH_ID, FakeVidos

REQUEST_ID = re.compile(r"^/auth/([0-9a-f-]{36})$")
UNITS = {
    "payments_per_s": "1/s",
    "server_cpu_ms_per_payment": "ms",
    "polls_per_payment": "requests",
    "p50_s_per_payment": "s",
    "p95_s_per_payment": "s",
    "worker_rss_mb_max": "MB",
    "worker_rss_mb_mean": "MB",
    "authorizer_calls_per_payment": "requests",
    "client_cpu_ms_per_payment": "ms",
    "payments": "count",
    "errors": "count",
}


class Browser:
    def __init__(self, url: str, fake: FakeVidos, pan: str, poll_interval: float) -> None:
        self.http = httpx.Client(base_url=url, timeout=15)
        self.fake, self.pan, self.poll_interval = fake, pan, poll_interval

    def _wait(self, waiting_path: str) -> tuple[dict[str, Any], int]:
        """The waiting page, the wallet's scan, then polls until a final status."""
        found = AUTH_ID.search(common.get_ok(self.http, waiting_path).text)
        if not found:
            raise RuntimeError("no request link on the waiting page")
        self.fake.scan(found[0], self.pan)
        for polls in range(1, math.ceil(60 / self.poll_interval) + 1):
            time.sleep(self.poll_interval)
            status = common.get_ok(self.http, f"{waiting_path}/status").json()
            if status["status"] != "pending":
                return status, polls
        raise RuntimeError(f"{waiting_path} still pending after 60 s")

    def signup(self) -> None:
        form = {"mode": "direct_post", "credential_format": "sd-jwt"}
        waiting = common.post_form(self.http, "/signup", form)
        status, _ = self._wait(waiting)
        if status.get("next_url") != "/profile?welcome=1":
            raise RuntimeError(f"sign-up ended with {status}")

    def pay(self) -> tuple[float, int]:
        """One payment; returns its seconds and its number of status polls."""
        started = time.perf_counter()
        form = {"recipient": "Bench Shop", "amount": "1.00", "reference": "benchmark"}
        waiting = common.post_form(self.http, common.post_form(self.http, "/send", form), {})
        request_id = REQUEST_ID.match(waiting)
        status, polls = self._wait(waiting)
        if not request_id or status.get("next_url") != f"/send/success/{request_id[1]}":
            raise RuntimeError(f"payment {waiting} ended with {status}")
        common.get_ok(self.http, status["next_url"])
        return time.perf_counter() - started, polls


def measure(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    fake = FakeVidos(args.validate_spec)
    fake.server.start()
    try:
        vidos = {
            "AUTHORIZER": "vidos",
            "VIDOS_AUTHORIZER_URL": fake.url,
            "VIDOS_API_KEY": "benchmark",
        }
        env = {**vidos, "RATELIMIT_VERIFICATIONS": "100000 per minute"}
        with common.serve(root, env, args) as (url, master):
            return drive(url, master, fake, args)
    finally:
        fake.server.stop()


def drive(url: str, master: int, fake: FakeVidos, args: argparse.Namespace) -> dict[str, Any]:
    """Sign up and warm up every client, then measure payments until time or count."""
    browsers = [
        Browser(url, fake, f"BENCH-{i:04d}", args.poll_interval) for i in range(args.clients)
    ]

    def warm_up(browser: Browser) -> None:
        browser.signup()
        browser.pay()  # not measured

    measured = common.run_clients(
        browsers,
        warm_up,
        Browser.pay,
        master,
        args,
        probe=lambda: (float(fake.calls), _own_cpu()),
    )
    calls, own = measured.probed
    rss = [common.rss_mb(pid) for pid in measured.workers]
    for browser in browsers:
        browser.http.close()
    for message in measured.errors[:5] + fake.violations[:5]:
        print(f"  ! {message}")
    done = measured.done
    n = max(1, len(done))
    figures = common.payment_figures(measured, [s for s, _ in done]) | {
        "polls_per_payment": sum(p for _, p in done) / n,
        "worker_rss_mb_max": max(rss),
        "worker_rss_mb_mean": statistics.mean(rss),
        "authorizer_calls_per_payment": calls / n,
        "client_cpu_ms_per_payment": 1000 * own / n,
        "payments": len(done),
        "errors": len(measured.errors) + len(fake.violations),
    }
    figures = {name: figures[name] for name in UNITS}  # in the order of the table
    return {"figures": figures, "workers": len(measured.workers)}


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(root: Path, code: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    print(f"measuring {code['commit']} ({root}) ...", flush=True)
    measured = measure(root, args)
    names = ("clients", "poll_interval", "duration", "payments", "threads", "validate_spec")
    settings = {name: getattr(args, name) for name in names} | {"workers": measured["workers"]}
    return common.result("payments", code, settings, measured["figures"], UNITS)


def main() -> None:
    common.unshadow()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--poll-interval", type=float, default=0.05)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of payments")
    parser.add_argument("--payments", type=int, help="payments per client instead of --duration")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS (default: gunicorn.conf.py)")
    parser.add_argument(
        "--validate-spec",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="check the fake's traffic against the OpenAPI spec",
    )
    common.add_options(parser, timeout=900)
    args = parser.parse_args()
    common.watchdog(args.timeout, common.stop_all_servers)
    ours, baseline = common.measure_sides(args, lambda root, code: run(root, code, args))
    title = (
        f"payments: {args.clients} clients, a poll every {args.poll_interval} s "
        f"(the polling ceiling is {args.clients} payments/s)"
    )
    common.report(args, title, ours, baseline)


if __name__ == "__main__":
    main()
