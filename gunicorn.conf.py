"""gunicorn settings: threaded workers so a slow authorizer call never blocks a worker.

Measured with benchmarks/payments.py on 2 cores (README "Benchmarks"): one worker per core
serves as many payments as 2 x cores + 1 workers, with a third of the memory, and 8 threads
per worker cover the waits on the database and the authorizer. The app is loaded once in
the master and forked (`preload_app`), so the workers share its code pages; its objects are
frozen before the fork (`gc.freeze`). Re-measured for issue 11 (8 clients, a poll every
0.05 s, 2 workers): 8, 4 and 2 threads per worker served 6.20, 6.25 and 6.27 payments/s at
97, 103 and 108 ms of server CPU per payment, within the noise of each other, so 8 stays.
Again later, twice each: 2 workers with 8, 2 or 1 threads and 3 workers with 4 served
7.08-7.23 payments/s at 58-67 ms per payment, no setting ahead of the noise.
"""

import gc
import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
timeout = 30
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The workers' heartbeat file: a write per loop of each worker, in memory rather than on disk
# (gunicorn's advice for containers, where /tmp is an overlay on disk).
# gunicorn makes its own file there with mkstemp (private, unlinked at once).
SHM = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHM if os.path.isdir(SHM) else None


def pre_fork(server, worker):
    """Everything loaded so far (the app, preloaded) goes to the collector's permanent
    generation: the workers' full collections then scan only what they allocate themselves,
    not the tens of thousands of module objects, and leave those pages shared."""
    gc.collect()
    gc.freeze()


def when_ready(server):
    """Per-process rate limits are no limits with several workers: say so at start-up."""
    storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    production = os.environ.get("DEMOBANK_ENV", "development").strip().lower() == "production"
    if production and workers > 1 and storage.startswith("memory://"):
        server.log.warning(
            "RATELIMIT_STORAGE_URI=memory:// with %d workers: every limit is per worker "
            "(%d workers allow %d times as many attempts); use redis://",
            workers,
            workers,
            workers,
        )
