"""End-to-end sandbox payments: the bank and its demo wallet on gunicorn, nothing faked.

    .venv/bin/python benchmarks/sandbox_payments.py [--clients 4] [--duration 30]
        [--save FILE.json] [--baseline FILE.json | --baseline-ref GITREF [--rounds R]]

Each client signs up once with its own custom identity, then pays in a loop the way a
person on one device does: the send form, the confirmation, the waiting page, the demo
wallet page (opened from "Open wallet on this device"), Share, and the wallet's redirect
through /callback to the receipt. Since the real-credentials work, Share issues a signed
PID, presents it, and the bank verifies it (over HTTP to /oid4vp/response); before it, the
sandbox moved plain claims through the database. `--baseline-ref` measures both in one
sitting. Reports payments/s, p50/p95 seconds per payment and server CPU per payment.
"""

from __future__ import annotations

import argparse
import html
import re
import time
from pathlib import Path
from typing import Any

import common
import httpx

WALLET_LINK = re.compile(r'href="(https?://[^"]+/sandbox/wallet[^"]*)"')
UNITS = {
    "payments_per_s": "1/s",
    "p50_s_per_payment": "s",
    "p95_s_per_payment": "s",
    "server_cpu_ms_per_payment": "ms",
    "payments": "count",
    "errors": "count",
}


class Person:
    """One browser and its demo wallet on the same device."""

    def __init__(self, url: str, number: int) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.identity = {
            "identity": "custom",
            "given_name": "Bench",
            "family_name": f"Client{number}",
            "birth_date": "1990-01-01",
            "nationality": "DE",
            "personal_administrative_number": f"BENCH-{number:04d}",
            "credential_format": "sd-jwt",
            "outcome": "valid",
            "share": "Share",
        }

    def _through_the_wallet(self, waiting_path: str) -> str:
        """Open the demo wallet from the waiting page and share; where the bank lands."""
        found = WALLET_LINK.search(self.http.get(waiting_path).text)
        if not found:
            raise RuntimeError("no demo wallet link on the waiting page")
        wallet = httpx.URL(html.unescape(found[1]))
        opened = self.http.get(wallet.raw_path.decode())
        if opened.is_redirect:  # the short link of the QR code leads to the wallet's page
            wallet = httpx.URL(opened.headers["location"])
        callback = common.post_form(self.http, wallet.raw_path.decode(), self.identity)
        landing = self.http.get(callback)
        if landing.status_code != 303:
            raise RuntimeError(f"callback answered {landing.status_code}")
        return landing.headers["location"]

    def signup(self) -> None:
        form = {"mode": "direct_post", "credential_format": "sd-jwt"}
        waiting = common.post_form(self.http, "/signup", form)
        if self._through_the_wallet(waiting) != "/profile?welcome=1":
            raise RuntimeError("sign-up did not land on the profile")

    def pay(self) -> float:
        started = time.perf_counter()
        form = {"recipient": "Bench Shop", "amount": "1.00", "reference": "benchmark"}
        waiting = common.post_form(self.http, common.post_form(self.http, "/send", form), {})
        receipt = self._through_the_wallet(waiting)
        if not receipt.startswith("/send/success/") or self.http.get(receipt).status_code != 200:
            raise RuntimeError(f"payment ended on {receipt}")
        return time.perf_counter() - started


def drive(url: str, master: int, args: argparse.Namespace) -> dict[str, Any]:
    people = [Person(url, i) for i in range(args.clients)]

    def warm_up(person: Person) -> None:
        person.signup()
        person.pay()  # not measured

    measured = common.run_clients(people, warm_up, Person.pay, master, args)
    for person in people:
        person.http.close()
    for message in measured.errors[:5]:
        print(f"  ! {message}")
    figures = common.payment_figures(measured, measured.done) | {
        "payments": len(measured.done),
        "errors": len(measured.errors),
    }
    return {"figures": figures, "workers": len(measured.workers)}


def run(root: Path, code: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    print(f"measuring {code['commit']} ({root}) ...", flush=True)
    unlimited = "100000 per minute"
    env = {
        "AUTHORIZER": "sandbox",
        "RATELIMIT_VERIFICATIONS": unlimited,
        "RATELIMIT_CALLBACKS": unlimited,
    }
    with common.serve(root, env, args) as (url, master):
        measured = drive(url, master, args)
    names = ("clients", "duration", "payments", "threads")
    settings = {name: getattr(args, name) for name in names} | {"workers": measured["workers"]}
    return common.result("sandbox_payments", code, settings, measured["figures"], UNITS)


def main() -> None:
    common.unshadow()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of payments")
    parser.add_argument("--payments", type=int, help="payments per client instead of --duration")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS (default: gunicorn.conf.py)")
    common.add_options(parser, timeout=900)
    args = parser.parse_args()
    common.watchdog(args.timeout, common.stop_all_servers)
    ours, baseline = common.measure_sides(args, lambda root, code: run(root, code, args))
    title = f"sandbox payments end to end: {args.clients} clients, the demo wallet on one device"
    common.report(args, title, ours, baseline)


if __name__ == "__main__":
    main()
