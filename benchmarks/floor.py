"""The least a request costs behind gunicorn.conf.py: no bank, just gunicorn and Flask.

    .venv/bin/python benchmarks/floor.py [--clients 8] [--interval 0.05] [--duration 15]
        [--payments-result FILE.json] [--save FILE.json]

benchmarks/floor_apps.py's two apps are served exactly as the bank is (gunicorn.conf.py,
its workers, threads and access log), one after the other: `empty`, a WSGI callable that
answers a fixed JSON body (gunicorn's own cost), and `flask`, a Flask app whose one view
returns a dict (the least a Flask view adds). --clients threads, each with its own
keep-alive httpx.Client, send GET /poll every --interval seconds (the payment benchmark's
polling) for --duration seconds. It reports server CPU per request (utime+stime of the
gunicorn master and workers, /proc), as benchmarks/payments.py measures it.

With --payments-result (a file saved by benchmarks/payments.py with --baseline-ref or
--baseline), it also prints what one payment's requests (its polls and the six pages and
form posts around them) would cost if each were as cheap as these apps', next to the
bank's measured CPU per payment and a fifth of the baseline's: a floor no view code can
go under while gunicorn and Flask serve the requests.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import common
import httpx

APPS = {"empty": "floor_apps:empty", "flask": "floor_apps:flask_app"}
PAGES_PER_PAYMENT = 6  # GET+POST /send, GET+POST /send/confirm, the waiting page, success
UNITS = {f"{name}_cpu_ms_per_request": "ms" for name in APPS} | {"requests": "count"}


class Poller:
    """A client with its own keep-alive connection, polling like the payment benchmark."""

    def __init__(self, url: str, interval: float) -> None:
        self.http = httpx.Client(base_url=url, timeout=15)
        self.interval = interval

    def warm_up(self) -> None:
        self.http.get("/poll").raise_for_status()  # opens the keep-alive connection

    def once(self) -> None:
        self.http.get("/poll").raise_for_status()
        time.sleep(self.interval)


def measure_app(app: str, args: argparse.Namespace) -> tuple[float, int]:
    """Server CPU seconds and requests served while the clients poll `app`."""
    env = {"PYTHONPATH": f"{common.HERE}:{common.ROOT}"}
    with common.serve(common.ROOT, env, args, app=app) as (url, master):
        pollers = [Poller(url, args.interval) for _ in range(args.clients)]
        measured = common.run_clients(pollers, Poller.warm_up, Poller.once, master, args)
        for poller in pollers:
            poller.http.close()
    for message in measured.errors[:5]:
        print(f"  ! {message}")
    return measured.server_cpu, len(measured.done)


def print_floor(figures: dict[str, float], path: str) -> None:
    """A payment's requests at these prices, next to payments.py's measured figures."""
    measured = common.load(path)
    polls = measured["figures"]["polls_per_payment"]
    ours = measured["figures"]["server_cpu_ms_per_payment"]
    requests = polls + PAGES_PER_PAYMENT
    print(f"\na payment in {path}: {polls:.3g} polls + {PAGES_PER_PAYMENT} pages and posts")
    for name in APPS:
        floor = figures[f"{name}_cpu_ms_per_request"] * requests
        print(f"  every request as cheap as `{name}`: {floor:7.2f} ms of server CPU")
    print(f"  the bank, measured:                  {ours:7.2f} ms")
    baseline = measured.get("baseline")
    if baseline:
        fifth = baseline["figures"]["server_cpu_ms_per_payment"] / 5
        print(f"  a fifth of baseline {baseline['code']['commit']}:          {fifth:7.2f} ms")


def main() -> None:
    common.unshadow()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between polls")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS (default: gunicorn.conf.py)")
    parser.add_argument("--payments-result", help="a result saved by benchmarks/payments.py")
    parser.add_argument("--save", help="write the result as JSON")
    parser.add_argument("--timeout", type=float, default=300, help="hard limit, seconds")
    parser.set_defaults(payments=None)  # common.run_clients: run for --duration, not a count
    args = parser.parse_args()
    common.watchdog(args.timeout, common.stop_all_servers)
    figures: dict[str, Any] = {"requests": 0}
    for name, app in APPS.items():
        cpu, served = measure_app(app, args)
        figures[f"{name}_cpu_ms_per_request"] = 1000 * cpu / max(1, served)
        figures["requests"] += served
    names = ("clients", "interval", "duration", "workers", "threads")
    settings = {name: getattr(args, name) for name in names}
    result = common.result("floor", common.describe(common.ROOT), settings, figures, UNITS)
    print(f"\nfloor: {args.clients} clients, a request every {args.interval} s each")
    common.print_table(result)
    if args.payments_result:
        print_floor(figures, args.payments_result)
    if args.save:
        common.save(args.save, result)


if __name__ == "__main__":
    main()
