"""Development defaults that keep a newcomer out of dead ends: a public base URL that
follows the port `make run` serves on, and a secret key that survives a restart.

Production never uses either: it requires SECRET_KEY, and its PUBLIC_BASE_URL default
stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name
_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - names, never bound here


def default_public_base_url(env: Mapping[str, str]) -> str:
    """`http://HOST:PORT` from the variables `make run` and gunicorn use; an address that
    binds every interface (0.0.0.0) becomes 127.0.0.1, which this machine can open."""
    host = env.get("HOST", "").strip()
    if host in _ANY_ADDRESS:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    port = env.get("PORT", "").strip() or "5000"
    return f"http://{host}:{port}"


def persistent_secret_key(folder: Path) -> str | None:
    """The development secret kept in `folder/secret_key` (mode 0600), made once.

    The file appears whole or not at all: the key is written to a private temporary file
    that is then hard-linked into place, so two processes starting together agree on one
    key. None when the folder cannot be used (the caller falls back to a random key).
    """
    path = folder / SECRET_KEY_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        existing = _read(path)
        if existing:
            return existing
        temporary = folder / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)  # someone else's key wins a race
        finally:
            temporary.unlink(missing_ok=True)
        return _read(path)
    except OSError:
        return None


def _read(path: Path) -> str | None:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    return text if len(text) >= 32 else None
