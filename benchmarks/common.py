"""What the benchmark scripts share: results as JSON, baselines, ratio tables, a temporary
checkout of another git ref measured in the same sitting, process figures from /proc, a
browser's form posts (CSRF token) and one p95 (nearest rank) for every script.

Scripts in this folder import it as `common` (they are run as files, so their folder is
first on sys.path); `unshadow()` then takes the folder off sys.path, because
benchmarks/requests.py would otherwise shadow the `requests` library for anything that
imports it lazily.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from argparse import ArgumentParser, Namespace
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent  # the checkout these scripts belong to ("ours")
RUNNING: set[subprocess.Popen[bytes]] = set()  # gunicorn masters to stop on a timeout
SECRET_KEY = "benchmark-secret-key-0123456789abcdef"  # noqa: S105 - throwaway servers'
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def unshadow() -> None:
    """Take this folder off sys.path (see the module docstring)."""
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def describe(root: Path) -> dict[str, Any]:
    """Which code a result belongs to: the commit, and whether the work tree differs."""
    try:
        commit = git("rev-parse", "--short", "HEAD", cwd=root)
        dirty = bool(git("status", "--porcelain", "--untracked-files=no", cwd=root))
    except (subprocess.SubprocessError, OSError):
        return {"root": str(root), "commit": root.name, "dirty": False}
    return {"root": str(root), "commit": commit, "dirty": dirty}


@contextmanager
def checkout(ref: str) -> Iterator[Path]:
    """The tracked files of `ref` in a temporary folder (git archive), removed afterwards.

    Nothing is registered with git (unlike `git worktree add`), so an interrupted run
    leaves at most a folder in the temp dir. Run the code there with cwd and PYTHONPATH
    set to it; the .venv's editable install comes after PYTHONPATH on sys.path.
    """
    commit = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    folder = Path(tempfile.mkdtemp(prefix=f"demobank-{commit[:9]}-"))
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit],
            cwd=ROOT,
            capture_output=True,
            timeout=120,
            check=True,
        )
        subprocess.run(
            ["tar", "-x", "-C", str(folder)], input=archive.stdout, timeout=120, check=True
        )
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def code_env(root: Path) -> dict[str, str]:
    """Environment for a child process that must import `app` from `root`."""
    return {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}


def check_imports_from(root: Path) -> None:
    """Fail unless a Python started with code_env(root) in root imports app from root."""
    found = subprocess.run(
        [sys.executable, "-c", "import app; print(app.__file__)"],
        cwd=root,
        env=code_env(root),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    if not Path(found).resolve().is_relative_to(root.resolve()):
        raise SystemExit(f"app would be imported from {found}, not from {root}")


def watchdog(seconds: float, on_expire: Callable[[], None] | None = None) -> None:
    """End this process after `seconds` whatever it is doing (after `on_expire`)."""

    def expire() -> None:
        print(f"timeout: still running after {seconds:.0f} s, stopping", file=sys.stderr)
        try:
            if on_expire:
                on_expire()
        finally:
            os._exit(3)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


def p95(values: Iterable[float]) -> float:
    """The 95th percentile by nearest rank: the ceil(0.95 n)-th smallest of n values."""
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


# -- a browser's requests (httpx) -----------------------------------------------------


def get_ok(http: httpx.Client, path: str) -> httpx.Response:
    """GET `path`; RuntimeError unless it answers 200."""
    return _expect(http.get(path), 200, path)


def post_form(http: httpx.Client, path: str, data: dict[str, str]) -> str:
    """GET the form page, POST it with its CSRF token; returns the redirect (303)."""
    match = CSRF.search(get_ok(http, path).text)
    if not match:
        raise RuntimeError(f"no CSRF token on {path}")
    response = http.post(path, data={**data, "csrf_token": match[1]})
    return _expect(response, 303, path).headers["location"]


def _expect(response: httpx.Response, status: int, path: str) -> httpx.Response:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {path}: {response.status_code}")
    return response


# -- processes (Linux /proc) ----------------------------------------------------------


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group `process` leads, SIGKILL if it is still there in 15 s."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def serve(
    root: Path,
    env: dict[str, str],
    args: Namespace,
    app: str = "wsgi:app",
) -> Iterator[tuple[str, int]]:
    """gunicorn -c gunicorn.conf.py of `root` on a fresh SQLite file, 127.0.0.1 only, with
    `env` over a development environment; yields (url, master pid). `args.workers` and
    `args.threads`, when set, override gunicorn.conf.py's defaults."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    folder = Path(tempfile.mkdtemp(prefix="demobank-bench-"))
    url = f"http://127.0.0.1:{port}"
    full_env = {
        **code_env(root),
        "PORT": str(port),
        "DEMOBANK_ENV": "development",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{folder / 'bank.db'}",
        "DATABASE_PATH": str(folder / "bank.db"),  # the data folder: keys, verifier identity
        "AUTO_MIGRATE": "1",
        "PUBLIC_BASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "ADMIN_PASSWORD": "benchmark-admin-password",
        "RATELIMIT_STORAGE_URI": "memory://",
        **env,
    }
    full_env.pop("FLASK_DEBUG", None)
    for name, value in (("WEB_CONCURRENCY", args.workers), ("GUNICORN_THREADS", args.threads)):
        if value:
            full_env[name] = str(value)
    log_path = folder / "gunicorn.log"
    command = ["-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", app]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, *command],
            cwd=root,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    RUNNING.add(process)
    try:
        deadline = time.monotonic() + 60
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url, process.pid
    finally:
        stop_group(process)
        RUNNING.discard(process)
        if re.search(r"Traceback|\[ERROR\]|CRITICAL", log_path.read_text(errors="replace")):
            print(f"  ! errors in {log_path} (kept)")
        else:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass
class ClientRun:
    """What `run_clients` measured: each measured call's result, the errors, the wall
    time, and the CPU seconds of the server's processes during the measured part."""

    done: list[Any]
    errors: list[str]
    wall: float
    server_cpu: float
    workers: list[int]
    probed: tuple[float, ...] = ()  # how much `probe`'s readings grew meanwhile


def run_clients(
    clients: list[Any],
    warm_up: Callable[[Any], object],
    once: Callable[[Any], Any],
    master: int,
    args: Namespace,
    probe: Callable[[], tuple[float, ...]] = tuple,
) -> ClientRun:
    """Each client in its own thread: `warm_up(client)`, then, once all are ready,
    `once(client)` in a loop for --duration seconds or --payments times (bounded by
    --timeout), while the server's CPU time is read from /proc (and `probe`'s figures
    before and after)."""
    ready, go = threading.Barrier(len(clients) + 1, timeout=180), threading.Event()
    done: list[Any] = []
    errors: list[str] = []
    deadline = [float("inf")]

    def client(one: Any) -> None:
        try:
            warm_up(one)
        except Exception as exc:
            errors.append(f"warm-up: {exc}")
        ready.wait()
        go.wait()
        for _ in range(args.payments) if args.payments else iter(int, 1):
            if time.monotonic() >= deadline[0] or len(errors) > 20:
                break
            try:
                done.append(once(one))
            except Exception as exc:
                errors.append(str(exc))
                time.sleep(0.5)

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    ready.wait()
    workers = children(master)
    cpu_before, probed_before = cpu_seconds([master, *workers]), probe()
    started = time.monotonic()
    deadline[0] = started + (args.timeout if args.payments else args.duration)
    go.set()
    for thread in threads:
        thread.join(max(1.0, deadline[0] + 90 - time.monotonic()))
    wall = time.monotonic() - started
    cpu_after, probed_after = cpu_seconds([master, *workers]), probe()
    probed = tuple(a - b for a, b in zip(probed_after, probed_before, strict=True))
    if children(master) != workers:
        errors.append("gunicorn replaced a worker during the run (its CPU time is missing)")
    server_cpu = sum(cpu_after[p] - cpu_before[p] for p in cpu_before if p in cpu_after)
    print(f"  {len(workers)} workers, {len(done)} runs in {wall:.1f} s")
    return ClientRun(done, errors, wall, server_cpu, workers, probed)


def payment_figures(measured: ClientRun, seconds: list[float]) -> dict[str, float]:
    """Payments/s, p50 and p95 seconds per payment and server CPU per payment, from the
    measured payments' `seconds`."""
    n, values = max(1, len(seconds)), seconds or [0.0]
    return {
        "payments_per_s": len(seconds) / measured.wall,
        "p50_s_per_payment": statistics.median(values),
        "p95_s_per_payment": p95(values),
        "server_cpu_ms_per_payment": 1000 * measured.server_cpu / n,
    }


def stop_all_servers() -> None:
    for process in list(RUNNING):
        stop_group(process)


def _healthy(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 (state) on: [1] is ppid, [11] utime, [12] stime."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, IndexError):
                if int(_stat(int(entry.name))[1]) == parent:
                    found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime+stime of each process still there."""
    ticks = os.sysconf("SC_CLK_TCK")
    times = {}
    for pid in pids:
        with suppress(OSError):
            fields = _stat(pid)
            times[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return times


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- the options and the run every script shares --------------------------------------


def add_options(parser: ArgumentParser, timeout: float) -> None:
    parser.add_argument("--save", help="write the result as JSON")
    parser.add_argument("--baseline", help="a result saved with --save to compare with")
    parser.add_argument("--baseline-ref", help="git ref to measure in the same sitting")
    parser.add_argument("--rounds", type=int, default=1, help="runs per side with --baseline-ref")
    parser.add_argument("--timeout", type=float, default=timeout, help="hard limit, seconds")


Measure = Callable[[Path, dict[str, Any]], dict[str, Any]]


def measure_sides(
    args: Namespace, measure: Measure
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Ours, and the baseline: --baseline's file, or --baseline-ref measured now.

    `measure(root, code)` measures the checkout at root. With --baseline-ref the sides
    alternate (ours first, then baseline first, ...) and each figure is the median over
    --rounds runs.
    """
    if args.baseline and args.baseline_ref:
        raise SystemExit("use --baseline or --baseline-ref, not both")
    check_imports_from(ROOT)
    if not args.baseline_ref:
        return measure(ROOT, describe(ROOT)), load(args.baseline) if args.baseline else None
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "baseline": []}
    with checkout(args.baseline_ref) as other:
        check_imports_from(other)
        commit = git("rev-parse", "--short", f"{args.baseline_ref}^{{commit}}")
        sides = {
            "ours": (ROOT, describe(ROOT)),
            "baseline": (other, {"root": args.baseline_ref, "commit": commit, "dirty": False}),
        }
        for i in range(args.rounds):
            for side in ("ours", "baseline") if i % 2 == 0 else ("baseline", "ours"):
                runs[side].append(measure(*sides[side]))
    ours, baseline = median_result(runs["ours"]), median_result(runs["baseline"])
    return {**ours, "baseline": baseline}, baseline


def report(
    args: Namespace, title: str, ours: dict[str, Any], baseline: dict[str, Any] | None
) -> None:
    print(f"\n{title}")
    print_table(ours, baseline)
    if args.save:
        save(args.save, ours)


# -- results ---------------------------------------------------------------------------


def result(
    name: str,
    code: dict[str, Any],
    settings: dict[str, Any],
    figures: dict[str, Any],
    units: dict[str, str],
) -> dict[str, Any]:
    return {
        "benchmark": name,
        "code": code,
        "settings": settings,
        "figures": figures,
        "units": units,
    }


def save(path: str, data: dict[str, Any], quiet: bool = False) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2) + "\n")
    if not quiet:
        print(f"saved {target}")


def load(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text())
    return data


def median_result(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One result whose figures are the medians over several runs of the same code."""
    if len(runs) == 1:
        return runs[0]
    figures = {
        name: statistics.median(run["figures"][name] for run in runs)
        for name in runs[0]["figures"]
        if all(isinstance(run["figures"].get(name), int | float) for run in runs)
    }
    return {**runs[0], "figures": figures, "runs": [run["figures"] for run in runs]}


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def print_table(ours: dict[str, Any], baseline: dict[str, Any] | None = None) -> None:
    """Figures of `ours`, and with a baseline its figures and the ratio ours ÷ baseline."""
    names = list(ours["figures"])
    width = max(len(n) for n in names) + 2
    label = ours["code"]["commit"] + ("+dirty" if ours["code"].get("dirty") else "")
    header = f"{'figure':{width}}{'unit':14}{'ours ' + label:>18}"
    if baseline:
        base_label = baseline["code"]["commit"] + (
            "+dirty" if baseline["code"].get("dirty") else ""
        )
        header += f"{'baseline ' + base_label:>26}{'ours ÷ baseline':>18}"
    print(header)
    print("-" * len(header))
    for name in names:
        value = ours["figures"][name]
        line = f"{name:{width}}{ours['units'].get(name, ''):14}{_cell(value):>18}"
        if baseline:
            other = baseline["figures"].get(name)
            ratio = (
                f"{value / other:.2f}"
                if isinstance(value, int | float) and isinstance(other, int | float) and other
                else "-"
            )
            line += f"{_cell(other) if other is not None else '-':>26}{ratio:>18}"
        print(line)
