"""The local verifier beside the Vidos path: from the wallet's answer to the browser knowing.

    .venv/bin/python benchmarks/verifier.py [--payments 30] [--poll-interval 0.05]
        [--workers W] [--threads T] [--save FILE.json] [--timeout 600]

In one sitting the app is served by gunicorn (gunicorn.conf.py, a fresh SQLite file,
127.0.0.1 only) once per side and STATUS_CHECK_INTERVAL_SECONDS (a Flask config key, set
through gunicorn's `create_app({...})` app expression; 1 s is what the app runs with, 0
asks the authorizer on every poll):

  local  AUTHORIZER=sandbox, the bank's own OpenID4VP verifier. This process is the
         wallet: it reads the waiting page's wallet link, GETs and checks the signed
         request object, builds the presentation (app.verification.sandbox.holder.
         build_vp_token) and encrypts it (response_crypto.encrypt_response) beforehand;
         the clock starts when it POSTs the answer to /oid4vp/response.
  vidos  AUTHORIZER=vidos against benchmarks/fake_vidos.py in this process; the clock
         starts at the fake's "wallet has answered" moment (`scan`), after which the
         fake answers the bank's next status check with `authorized`.

For each of --payments payments per side a "browser" (its own cookie jar) fills in
/send and /send/confirm, loads the waiting page and then polls /auth/<id>/status every
--poll-interval seconds, in a thread, as waiting.js does (a browser polls every 1.0 s;
0.05 here so the poll's own phase stays small). The wallet answers a random 0-1 s after
the waiting page loaded, so the answer falls anywhere in the status-check interval. The
figure is the time from the clock's start to the first poll that says authorized (the
moment the browser knows); p50 and p95 over the payments, and local ÷ vidos.

Bounded: --payments per side (at most 200), a hard --timeout for the whole run, every
gunicorn stopped at the end or on the timeout. Rate limits are off (RATELIMIT_ENABLED) so
the verifier endpoints' 120/min per worker do not shape a long run.
"""

from __future__ import annotations

import argparse
import html
import math
import random
import re
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import common
import httpx
from fake_vidos import AUTH_ID, FakeVidos

WAITING = re.compile(r"^/auth/([0-9a-f-]{36})$")
WALLET_LINK = re.compile(r'href="(http://127\.0\.0\.1:\d+/sandbox/wallet[/?][^"]+)"')
PAN = "BENCH-0001"
UNITS = {"p50_ms": "ms", "p95_ms": "ms", "mean_ms": "ms", "post_p50_ms": "ms", "payments": "count"}


@dataclass
class Seen:
    status: str = "pending"
    at: float = math.inf
    polls: int = 0
    error: str | None = None


class Browser:
    """A person's browser: forms with CSRF tokens, the waiting page and its status polls."""

    def __init__(self, url: str, poll_interval: float) -> None:
        self.http = httpx.Client(base_url=url, timeout=15)
        self.poll_interval = poll_interval

    def start_signup(self) -> str:
        form = {"mode": "direct_post", "credential_format": "sd-jwt"}
        return common.post_form(self.http, "/signup", form)

    def start_payment(self) -> str:
        form = {"recipient": "Bench Shop", "amount": "1.00", "reference": "benchmark"}
        return common.post_form(self.http, common.post_form(self.http, "/send", form), {})

    def watch(self, waiting: str, stop: threading.Event) -> tuple[threading.Thread, Seen]:
        """Poll the waiting page's status in a thread until it is not pending."""
        seen = Seen()

        def poll() -> None:
            deadline = time.monotonic() + 60
            try:
                while not stop.is_set() and time.monotonic() < deadline:
                    status = common.get_ok(self.http, f"{waiting}/status").json()
                    seen.polls += 1
                    if status["status"] != "pending":
                        seen.status, seen.at = status["status"], time.perf_counter()
                        return
                    time.sleep(self.poll_interval)
                seen.error = f"{waiting} still pending"
            except Exception as exc:
                seen.error = repr(exc)

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        return thread, seen

    def close(self) -> None:
        self.http.close()


Answer = Callable[[str, str], Callable[[], None]]  # (url, waiting page html) -> the answer


def local_wallet(url: str) -> Answer:
    """The demo wallet's work, in this process: everything before the POST is prepared."""
    from app.db_types import utcnow
    from app.verification.oid4vp.request_verification import verify_request_object
    from app.verification.oid4vp.response_crypto import (
        encrypt_response,
        jwk_thumbprint,
        select_response_encryption,
    )
    from app.verification.sandbox.holder import build_vp_token
    from app.verification.sandbox.identities import IDENTITIES_BY_KEY

    wallet = httpx.Client(timeout=15)  # no cookies of the browser's: another device

    def prepare(_url: str, page: str) -> Callable[[], None]:
        link = WALLET_LINK.search(page)
        if not link:
            raise RuntimeError("no wallet link on the waiting page")
        target = html.unescape(link[1])
        if "?" not in target:  # the short link for the QR code: it redirects (303)
            target = wallet.get(target).headers.get("location", "")
        query = parse_qs(urlsplit(target).query)
        client_id, request_uri = query["client_id"][0], query["request_uri"][0]
        fetched = wallet.get(request_uri, headers={"Accept": "application/oauth-authz-req+jwt"})
        if fetched.status_code != 200:
            raise RuntimeError(f"GET {request_uri}: {fetched.status_code}")
        claims = dict(
            verify_request_object(fetched.text, expected_client_id=client_id, now=utcnow()).claims
        )
        jwk, enc = select_response_encryption(claims["client_metadata"])
        vp_token = build_vp_token(
            claims,
            identity=IDENTITIES_BY_KEY["erika"],
            fmt="sd-jwt",
            secret=common.SECRET_KEY,
            issuer=f"{url}/sandbox/pid-provider",
            jwk_thumbprint=jwk_thumbprint(jwk),
            now=utcnow(),
        )
        body = {
            "response": encrypt_response(
                {"vp_token": vp_token, "state": claims["state"]}, jwk, enc=enc
            )
        }
        response_uri = str(claims["response_uri"])

        def answer() -> None:
            posted = wallet.post(response_uri, data=body)
            if posted.status_code != 200 or "redirect_uri" not in posted.json():
                raise RuntimeError(f"POST {response_uri}: {posted.status_code} {posted.text[:200]}")

        return answer

    return prepare


def vidos_wallet(fake: FakeVidos) -> Answer:
    def prepare(_url: str, page: str) -> Callable[[], None]:
        found = AUTH_ID.search(page)
        if not found:
            raise RuntimeError("no request link on the waiting page")
        return lambda: fake.scan(found[0], PAN)

    return prepare


def one(browser: Browser, waiting: str, answer: Answer, url: str) -> tuple[float, float, int]:
    """Load the waiting page, poll; the wallet answers 0-1 s later. Returns (seconds from
    the answer's start to the browser knowing, seconds the answer itself took, polls)."""
    answer_now = answer(url, common.get_ok(browser.http, waiting).text)
    stop = threading.Event()
    thread, seen = browser.watch(waiting, stop)
    time.sleep(random.uniform(0.0, 1.0))  # noqa: S311 - a phase, not a secret
    if seen.error or seen.status != "pending":
        raise RuntimeError(f"{waiting} before the answer: {seen.error or seen.status}")
    started = time.perf_counter()
    try:
        answer_now()
    finally:
        answered = time.perf_counter()
        thread.join(65)
        stop.set()
    if seen.error or seen.status != "authorized":
        raise RuntimeError(f"{waiting}: {seen.error or seen.status}")
    return seen.at - started, answered - started, seen.polls


def side(name: str, interval: float, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """One gunicorn, one account, --payments payments; the figures and its worker count."""
    flask = {"STATUS_CHECK_INTERVAL_SECONDS": interval, "RATELIMIT_ENABLED": False}
    fake = None
    if name == "vidos":
        fake = FakeVidos(validate=False)
        fake.server.start()
        env = {"AUTHORIZER": "vidos", "VIDOS_AUTHORIZER_URL": fake.url, "VIDOS_API_KEY": "b"}
    else:
        env = {"AUTHORIZER": "sandbox"}
    print(f"  {name}, status checks every {interval:g} s ...", flush=True)
    try:
        # gunicorn evaluates literal arguments of an app factory: the Flask config goes there
        factory = f"app:create_app({flask!r})"
        with common.serve(common.ROOT, env, args, app=factory) as (url, master):
            answer = vidos_wallet(fake) if fake else local_wallet(url)
            browser = Browser(url, args.poll_interval)
            try:
                waiting = browser.start_signup()
                one(browser, waiting, answer, url)
                one(browser, browser.start_payment(), answer, url)  # warm-up, not measured
                workers = len(common.children(master))
                runs = []
                for _ in range(args.payments):
                    waiting = browser.start_payment()
                    if not WAITING.match(waiting):
                        raise RuntimeError(f"payment went to {waiting}")
                    runs.append(one(browser, waiting, answer, url))
            finally:
                browser.close()
    finally:
        if fake is not None:
            fake.server.stop()
            if fake.violations:
                print(f"  ! {fake.violations[:3]}")
    knowing = [1000 * k for k, _, _ in runs]
    figures = {
        "p50_ms": statistics.median(knowing),
        "p95_ms": common.p95(knowing),
        "mean_ms": statistics.mean(knowing),
        "post_p50_ms": statistics.median(1000 * a for _, a, _ in runs),
        "payments": len(runs),
    }
    return figures, workers


def print_report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"\nverifier: wallet answer -> browser knows, {args.payments} payments per side, "
        f"a status poll every {args.poll_interval * 1000:g} ms"
    )
    header = f"{'side':10}{'status checks':>15}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}"
    header += f"{'answer p50 ms':>15}{'payments':>10}"
    print(header)
    print("-" * len(header))
    for key, figures in results.items():
        name, interval = key.rsplit("@", 1)
        print(
            f"{name:10}{'every ' + interval + ' s':>15}{figures['p50_ms']:>10.0f}"
            f"{figures['p95_ms']:>10.0f}{figures['mean_ms']:>10.0f}"
            f"{figures['post_p50_ms']:>15.0f}{figures['payments']:>10}"
        )
    print()
    for interval in ("1", "0"):
        local, vidos = results.get(f"local@{interval}"), results.get(f"vidos@{interval}")
        if local and vidos:
            print(
                f"local ÷ vidos, status checks every {interval} s: "
                f"p50 {local['p50_ms'] / vidos['p50_ms']:.2f}, "
                f"p95 {local['p95_ms'] / vidos['p95_ms']:.2f}"
            )
    print("(answer = the wallet's POST to /oid4vp/response for local, the fake's scan for vidos)")


def main() -> None:
    common.unshadow()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payments", type=int, default=30, help="measured payments per side")
    parser.add_argument("--poll-interval", type=float, default=0.05)
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS (default: gunicorn.conf.py)")
    parser.add_argument("--save", help="write the result as JSON")
    parser.add_argument("--timeout", type=float, default=600, help="hard limit, seconds")
    args = parser.parse_args()
    if not 1 <= args.payments <= 200 or not 0.01 <= args.poll_interval <= 1:
        raise SystemExit("--payments must be 1..200 and --poll-interval 0.01..1")
    common.watchdog(args.timeout, common.stop_all_servers)
    common.check_imports_from(common.ROOT)
    results, workers = {}, 0
    for name, interval in (("local", 1.0), ("vidos", 1.0), ("local", 0.0), ("vidos", 0.0)):
        results[f"{name}@{interval:g}"], workers = side(name, interval, args)
    print_report(results, args)
    if args.save:
        settings = {
            "payments": args.payments,
            "poll_interval": args.poll_interval,
            "workers": workers,  # the same on every side: one --workers
            "threads": args.threads,
        }
        figures = {f"{key}.{n}": v for key, f in results.items() for n, v in f.items()}
        units = {f"{key}.{n}": UNITS[n] for key, f in results.items() for n in f}
        common.save(
            args.save,
            common.result("verifier", common.describe(common.ROOT), settings, figures, units),
        )


if __name__ == "__main__":
    main()
