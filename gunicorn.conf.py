"""gunicorn settings: threaded workers so a slow authorizer call never blocks a worker."""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 30
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


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
